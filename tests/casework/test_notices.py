"""Issue 20: notices are batched and de-duplicated (seven notes are one unread notice and one
email, and the page no longer reads "New New note"); confirming an urgent conference emails
its invitations to the partners expected there."""

import time_machine
from sqlalchemy import select

from hub.extensions import db
from hub.models import Case, Notification, User
from tests.casework.test_case_workspace import cw, html, signed_in  # noqa: F401 (a fixture)
from tests.conferences.test_conference_urgent import _proposed, at


def test_seven_notes_are_one_notice_and_one_email(client, cw, app, outbox):  # noqa: F811
    from hub.casework.activity import follow

    with app.app_context():
        case = db.session.get(Case, cw.id)
        follow(case, db.session.get(User, cw.world.user_id["case_worker"]))
        db.session.commit()
    signed_in(client, cw.world, "spoc")
    for n in range(7):
        client.submit(f"{cw.url}/notes", {"body": f"Visit {n}", "category": "incident"})
    assert [m["To"] for m in outbox] == [cw.world.email["case_worker"]]
    with app.app_context():
        (notice,) = db.session.scalars(
            select(Notification).where(Notification.user_id == cw.world.user_id["case_worker"])
        ).all()
        assert notice.updates == 7 and notice.text == "Note added on case CPL-100"
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    signed_in(client, cw.world, "case_worker")
    page = html(client.get("/notifications"))
    assert "New New" not in page and "(7 updates, the latest shown)" in page
    assert "Unread" in page
    client.submit("/notifications/read")
    # Once read, the next update is news again: a notice and an email.
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    signed_in(client, cw.world, "spoc")
    client.submit(f"{cw.url}/notes", {"body": "Visit 8", "category": "incident"})
    assert len(outbox) == 2


def test_news_never_rewrites_an_unread_alert(client, cw, app, outbox):  # noqa: F811
    """A follower's unread alert (a victim reports things are worse) stays as it was when a
    note lands on the same case: the note is a notice of its own, with its own email."""
    from hub.casework.activity import follow

    worker = cw.world.user_id["case_worker"]
    alert = "A victim on case CPL-100 reports that things are worse."
    with app.app_context():
        follow(db.session.get(Case, cw.id), db.session.get(User, worker))
        db.session.add(Notification(user_id=worker, case_id=cw.id, text=alert))
        db.session.commit()
    signed_in(client, cw.world, "spoc")
    client.submit(f"{cw.url}/notes", {"body": "Visit", "category": "incident"})
    client.submit(f"{cw.url}/notes", {"body": "Visit again", "category": "incident"})
    assert [m["To"] for m in outbox] == [cw.world.email["case_worker"]]
    with app.app_context():
        notices = db.session.execute(
            select(Notification.text, Notification.updates)
            .where(Notification.user_id == worker)
            .order_by(Notification.id)
        ).all()
    assert [tuple(n) for n in notices] == [(alert, 1), ("Note added on case CPL-100", 2)]


def test_news_as_the_notice_is_marked_read_is_a_notice_of_its_own(ctx, cw, monkeypatch):  # noqa: F811
    """The follower marks her notices read between send_notice finding her unread notice and
    counting into it: the news is not lost in a read notice, it is a new one, with its email."""
    from hub.casework import activity
    from hub.core import mail

    worker = db.session.get(User, cw.world.user_id["case_worker"])
    first = activity.send_notice(
        worker, "Note added on case CPL-100", subject="Update", body="b", case_id=cw.id
    )
    first.read_at = first.created_at  # marked read by her other tab, after the look below
    db.session.flush()
    looks = iter([first])
    real = activity._unread_notice
    monkeypatch.setattr(activity, "_unread_notice", lambda *a: next(looks, None) or real(*a))
    second = activity.send_notice(
        worker, "Action added on case CPL-100", subject="Update", body="b", case_id=cw.id
    )
    assert second.id != first.id and second.read_at is None and second.updates == 1
    db.session.refresh(first)
    assert (first.text, first.updates) == ("Note added on case CPL-100", 1)
    assert len(db.session.info[mail._QUEUE]) == 2  # an email for each


def test_a_notice_that_points_at_nothing_is_listed_as_text(client, cw, app):  # noqa: F811
    """A case review's reminder when the review has no case: listed, without a link."""
    with app.app_context():
        db.session.add(
            Notification(user_id=cw.world.user_id["spoc"], text="ASB case review CR-1: due today.")
        )
        db.session.commit()
    signed_in(client, cw.world, "spoc")
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "ASB case review CR-1: due today." in page.get_data(as_text=True)


@time_machine.travel(at("2026-12-24T16:00"), tick=False)
def test_confirming_an_urgent_conference_invites_the_partners(app, client, world, outbox):
    conference_id, _ = _proposed(app)
    outbox.clear()
    client.sign_in(world.email["coordinator"])
    confirmed = client.submit(
        f"/conferences/{conference_id}/urgent/confirm",
        {"day": "2026-12-29", "time": "10:00", "place": "Fire station", "edit_version": "1"},
        follow_redirects=True,
    )
    assert "2 people invited by email" in confirmed.get_data(as_text=True)
    # The referring council's SPoC and hub manager; not its referrer, not the confirming chair.
    invited = sorted(m["To"] for m in outbox)
    assert invited == sorted([world.email["spoc"], world.email["hub_manager"]])
    body = outbox[0].get_content()
    assert "29 December 2026 at 10:00am" in body and "Fire station" in body
    assert f"http://hub.test/conferences/{conference_id}" in body
    assert f"http://hub.test/conferences/{conference_id}.ics" in body
    assert "REF-" not in body  # no referral (or anyone) named in an email
