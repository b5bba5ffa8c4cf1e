"""Issue 21: requests that race end as one row, a refusal with a field message, or the same
answer twice; never a duplicate and never a 500. Each scenario runs several requests at once
on connections of their own, released together by a barrier, against a database of its own
(on PostgreSQL they truly interleave; SQLite's write lock queues them)."""

import threading
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import time_machine
from flask_migrate import upgrade
from marshmallow import ValidationError
from sqlalchemy import func, select

from hub.casework import activity, notes, plans
from hub.conferences import agenda, running
from hub.extensions import db
from hub.models import (
    Agency,
    AgendaItem,
    Attendance,
    Case,
    CaseFollow,
    CaseMembership,
    CaseNote,
    Conference,
    Hub,
    Notification,
    Plan,
    Referral,
    User,
)
from hub.sharing import membership
from referrals import intake, triage
from tests.conftest import _database, make_app
from tests.support.factories import build_world, make_case, make_isa
from tests.support.referral_data import payload

pytestmark = pytest.mark.own_database
TIMES = 6


@pytest.fixture(scope="module")
def race_app():
    url, options, cleanup = _database("races")
    app = make_app(url, options)
    with app.app_context():
        upgrade()
        world = build_world()
        hub = db.session.get(Hub, world.hub_id)
        agencies = [db.session.get(Agency, i) for i in world.agency_ids.values()]
        make_isa(hub, agencies[:3], ["identity", "incident", "housing"], reference="ISA-RACE")
        db.session.commit()
    app.world = world
    yield app
    with app.app_context():
        db.engine.dispose()
    cleanup()


def race(app, change, times: int = TIMES) -> list[tuple[str, object]]:
    """Run change(i) `times` at once, each in a request of its own, committing what it did.
    Returns ("ok", result), ("refused", field messages) or ("error", what went wrong)."""
    barrier = threading.Barrier(times)
    outcomes: list = [None] * times

    def one(i: int) -> None:
        with app.test_request_context(method="POST"):
            try:
                barrier.wait(10)
                result = change(i)
                db.session.commit()
                outcomes[i] = ("ok", getattr(result, "id", result))
            except ValidationError as exc:
                db.session.rollback()
                outcomes[i] = ("refused", exc.messages)
            except Exception as exc:  # noqa: BLE001 - the test reports what a user would meet
                db.session.rollback()
                outcomes[i] = ("error", repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not [o for o in outcomes if o[0] == "error"], outcomes
    return outcomes


def _count(app, query) -> int:
    with app.app_context():
        return db.session.execute(query).scalar_one()


def _case(app, reference: str) -> SimpleNamespace:
    world = app.world
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council = db.session.get(Agency, world.agency_ids["council"])
        case = make_case(hub, reference, council)
        db.session.commit()
        return SimpleNamespace(id=case.id)


def _user(email: str) -> User:
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def test_adding_the_same_member_at_once_makes_one_membership(race_app):
    case = _case(race_app, "CPL-RACE-M")
    housing = race_app.world.agency_ids["housing"]

    def add(_):
        return membership.add_member(
            db.session.get(Case, case.id),
            {"agency_id": housing, "route": "conference", "reason": "Agreed at conference"},
            actor=_user(race_app.world.email["coordinator"]),
            may_use_hub_manager_route=False,
        )

    outcomes = race(race_app, add)
    assert [o[0] for o in outcomes].count("ok") == 1
    for kind, messages in outcomes:
        assert kind == "ok" or "already a member" in messages["agency_id"][0]
    active = select(func.count()).where(
        CaseMembership.case_id == case.id,
        CaseMembership.agency_id == housing,
        CaseMembership.removed_at.is_(None),
    )
    assert _count(race_app, active) == 1


def _live_conference(app, day: int) -> tuple[int, int]:
    """A live conference of the hub on that day of December 2026: (its id, its version)."""
    world = app.world
    with app.app_context():
        from tests.support.meeting_data import make_conference

        hub = db.session.get(Hub, world.hub_id)
        chair = db.session.get(User, world.user_id["coordinator"])
        conference = make_conference(
            hub, datetime(2026, 12, day, 10, tzinfo=UTC), chair=chair, status="live"
        )
        db.session.commit()
        return conference.id, conference.edit_version


def _attendance(app, conference_id: int, version: int, name: str) -> Attendance:
    """The chair records a housing officer, by name, as present (in a request)."""
    world = app.world
    return running.record_attendance(
        db.session.get(Conference, conference_id),
        {
            "agency_id": str(world.agency_ids["housing"]),
            "name": name,
            "status": "present",
            "version": str(version),
        },
        actor=_user(world.email["coordinator"]),
    )


def test_recording_one_persons_attendance_at_once_makes_one_row(race_app):
    conference_id, version = _live_conference(race_app, 7)
    race(race_app, lambda _: _attendance(race_app, conference_id, version, "Sam Tenancy"))
    rows = select(func.count()).where(Attendance.conference_id == conference_id)
    assert _count(race_app, rows) == 1
    with race_app.test_request_context():  # and the page that lists it still answers
        conference = db.session.get(Conference, conference_id)
        assert len(running.attendance_of(conference)) == 1


def test_changes_to_a_live_conference_from_one_version_apply_once(race_app):
    """Two chairs record at once from pages opened at the same version: one change lands,
    the others are refused as stale (the version moves on in the database, from the version
    read), instead of all landing with one step of the version between them."""
    conference_id, version = _live_conference(race_app, 8)
    outcomes = race(
        race_app, lambda i: _attendance(race_app, conference_id, version, f"Attendee {i}")
    )
    assert [o[0] for o in outcomes].count("ok") == 1, outcomes
    for kind, messages in outcomes:
        assert kind == "ok" or "form" in messages
    rows = select(func.count()).where(Attendance.conference_id == conference_id)
    assert _count(race_app, rows) == 1
    now = select(Conference.edit_version).where(Conference.id == conference_id)
    assert _count(race_app, now) == version + 1


def test_one_person_following_a_case_at_once_makes_one_follow(race_app):
    """Two saves by one person at once (a double click) both follow the case for them."""
    case = _case(race_app, "CPL-RACE-F")

    def follow(_):
        activity.follow(db.session.get(Case, case.id), _user(race_app.world.email["spoc"]))

    race(race_app, follow)
    follows = select(func.count()).where(CaseFollow.case_id == case.id)
    assert _count(race_app, follows) == 1


def _news(app, case_id: int, reference: str, i: int):
    """News number i on a case, for the SPoC who follows it."""
    return activity.send_notice(
        _user(app.world.email["spoc"]),
        f"Case {reference} was updated ({i})",
        subject=f"Update on {reference}",
        body="Update",
        case_id=case_id,
    )


def test_news_counted_into_an_unread_notice_at_once_is_all_counted(race_app):
    """A follower's unread notice counts every update, however many land at once."""
    case = _case(race_app, "CPL-RACE-U")
    with race_app.test_request_context():
        notice_id = _news(race_app, case.id, "CPL-RACE-U", -1).id
        db.session.commit()

    race(race_app, lambda i: _news(race_app, case.id, "CPL-RACE-U", i))
    updates = select(Notification.updates).where(Notification.id == notice_id)
    assert _count(race_app, updates) == 1 + TIMES


def test_first_news_at_once_makes_one_notice_and_one_email(race_app):
    """A follower with nothing unread about the case, and several updates landing at once: one
    notice counting them all, and one email (uq_notification_unread_news)."""
    case = _case(race_app, "CPL-RACE-V")
    outbox = race_app.extensions.setdefault("mail_outbox", [])
    outbox.clear()

    outcomes = race(race_app, lambda i: _news(race_app, case.id, "CPL-RACE-V", i))
    assert [kind for kind, _ in outcomes] == ["ok"] * TIMES
    unread = select(func.count(), func.sum(Notification.updates)).where(
        Notification.case_id == case.id, Notification.read_at.is_(None)
    )
    with race_app.app_context():
        assert tuple(db.session.execute(unread).one()) == (1, TIMES)
    assert [m["Subject"] for m in outbox] == ["Update on CPL-RACE-V"]


def test_a_note_form_sent_twice_at_once_makes_one_note(race_app):
    case = _case(race_app, "CPL-RACE-N")

    def send(_):
        return notes.add_note(
            db.session.get(Case, case.id),
            {"body": "Door kicked in at 2am", "category": "incident", "form_token": "ab12" * 8},
            actor=_user(race_app.world.email["referrer"]),
        )

    outcomes = race(race_app, send)
    assert len({result for _, result in outcomes}) == 1  # everyone was told of the same note
    assert _count(race_app, select(func.count()).where(CaseNote.case_id == case.id)) == 1


def test_two_first_saves_of_a_plan_make_one_plan_and_one_refusal(race_app):
    case = _case(race_app, "CPL-RACE-P")

    def save(i):
        return plans.save_plan(
            db.session.get(Case, case.id),
            {"objective": f"Stop the visits ({i})", "success_measures": "No calls for 8 weeks"},
            actor=_user(race_app.world.email["hub_manager"]),
        )

    outcomes = race(race_app, save)
    assert [o[0] for o in outcomes].count("ok") == 1
    assert all("changed since you opened" in str(m) for kind, m in outcomes if kind == "refused")
    assert _count(race_app, select(func.count()).where(Plan.case_id == case.id)) == 1


def test_putting_a_case_on_an_agenda_at_once_makes_one_item(race_app):
    world = race_app.world
    case = _case(race_app, "CPL-RACE-A")
    with race_app.app_context():
        from tests.support.meeting_data import make_conference

        hub = db.session.get(Hub, world.hub_id)
        chair = db.session.get(User, world.user_id["coordinator"])
        conference = make_conference(
            hub, datetime(2026, 12, 14, 10, tzinfo=UTC), chair=chair, status="scheduled"
        )
        db.session.commit()
        conference_id = conference.id

    def add(_):
        return agenda.add_case(
            db.session.get(Conference, conference_id),
            "CPL-RACE-A",
            _user(world.email["coordinator"]),
        )

    outcomes = race(race_app, add)
    assert [o[0] for o in outcomes].count("ok") == 1
    items = select(func.count()).where(
        AgendaItem.conference_id == conference_id, AgendaItem.case_id == case.id
    )
    assert _count(race_app, items) == 1


def test_cases_opened_at_once_get_references_of_their_own(race_app):
    world = race_app.world
    with race_app.test_request_context():
        referrer = _user(world.email["referrer"])
        ids = [intake.submit_referral(payload(), user=referrer)[0].id for _ in range(TIMES)]
        db.session.commit()

    def open_one(i):
        triage.decide(
            db.session.get(Referral, ids[i]),
            {"decision": "new_case", "reason": "Conference", "title": f"Race case {i}"},
            user=_user(world.email["coordinator"]),
        )
        return db.session.get(Referral, ids[i]).case_id

    outcomes = race(race_app, open_one)
    assert all(kind == "ok" for kind, _ in outcomes)
    with race_app.app_context():
        references = db.session.execute(
            select(Case.reference).where(Case.id.in_([r for _, r in outcomes]))
        ).scalars()
        assert len(set(references)) == TIMES


def test_changing_a_late_conference_reason_at_once_keeps_one_and_refuses_the_rest(race_app):
    """Two coordinators change the same recorded reason from forms opened at one version: one
    change lands and the rest are refused as stale, never a silent overwrite."""
    from hub.conferences import timeliness
    from hub.models import DeadlineBreach
    from tests.conferences.test_conference_timeliness import NOW, christmas_week
    from tests.support.referral_data import hub

    coordinator = race_app.world.email["coordinator"]
    with time_machine.travel(NOW, tick=False):
        with race_app.app_context():
            referral_id = christmas_week()["crit_tue"].id
            db.session.commit()
        with race_app.test_request_context(method="POST"):
            timeliness.record_reason(
                hub(), referral_id, {"reason": "First", "version": ""}, _user(coordinator), NOW
            )
            db.session.commit()
            version = timeliness.version_of(timeliness.breach_row(hub(), referral_id, NOW))

        def change(i):
            form = {"reason": f"Changed by coordinator {i}", "version": version}
            return timeliness.record_reason(hub(), referral_id, form, _user(coordinator), NOW)

        outcomes = race(race_app, change)
    assert [kind for kind, _ in outcomes].count("ok") == 1
    for kind, messages in outcomes:
        assert kind == "ok" or "Someone else recorded a reason" in messages["reason"][0]
    reason = select(DeadlineBreach.reason).where(DeadlineBreach.referral_id == referral_id)
    winner = next(i for i, (kind, _) in enumerate(outcomes) if kind == "ok")
    with race_app.app_context():
        assert db.session.execute(reason).scalar_one() == f"Changed by coordinator {winner}"
