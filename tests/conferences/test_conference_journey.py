"""A conference from start to finish, across the chair's page and the minutes: the decisions
the chair records at the meeting are what the approved minutes say, each reader sees what the
s.115 rule lets them see, and nothing about the meeting changes after approval."""

from hub.extensions import db
from hub.models import CaseAction, Conference, ConferenceDecision, User
from tests.conferences.test_conference_running import post_decision, served  # noqa: F401 - a fixture
from tests.conftest import HubClient


def browser(app, email):
    app.test_client_class = HubClient
    client = app.test_client()
    client.sign_in(email)
    return client


def conference_version(app, s) -> int:
    with app.app_context():
        return db.session.get(Conference, s.conference).edit_version


def test_decisions_taken_live_become_the_approved_minutes_and_then_stand(app, served):  # noqa: F811
    s = served
    chair = browser(app, s.email["coordinator"])
    live = f"/conferences/{s.conference}/live"
    council = s.agencies["council"]
    assert (
        post_decision(app, chair, s, "case", kind="lead_agency", agency_id=council).status_code
        == 302
    )
    with app.app_context():
        spoc_id = db.session.execute(
            db.select(User.id).where(User.email == s.email["spoc"])
        ).scalar_one()
    response = post_decision(
        app,
        chair,
        s,
        "case",
        kind="action",
        description="Visit the family at home with the tenancy officer",
        agency_id=council,
        owner_id=spoc_id,
        due_on="2099-01-08",
    )
    assert response.status_code == 302
    ended = chair.submit(f"{live}/end", {"version": conference_version(app, s)}, token_from=live)
    assert ended.status_code in (200, 302)

    minutes_url = f"/conferences/{s.conference}/minutes"
    approved = chair.submit(
        f"{minutes_url}/approve", {"version": conference_version(app, s)}, token_from=minutes_url
    )
    assert approved.status_code in (200, 302)

    # A member agency's reader sees the decisions; a partner not on the case sees none of them.
    member = browser(app, s.email["spoc"]).get(minutes_url).get_data(as_text=True)
    assert "Visit the family at home" in member and "Lead agency" in member
    outsider = browser(app, s.email["case_worker"]).get(minutes_url).get_data(as_text=True)
    assert "CPL-RUN-1" in outsider
    assert "Visit the family" not in outsider

    # The case's Conferences tab keeps them with the case.
    tab = browser(app, s.email["spoc"]).get(f"/cases/{s.case}/conferences").get_data(as_text=True)
    assert "Visit the family at home" in tab

    # After approval the meeting stands: a further decision is refused and nothing is written.
    with app.app_context():
        before = (
            db.session.execute(db.select(db.func.count()).select_from(ConferenceDecision)).scalar(),
            db.session.execute(db.select(db.func.count()).select_from(CaseAction)).scalar(),
        )
    late = post_decision(app, chair, s, "case", kind="next_review", review_on="2099-02-01")
    assert late.status_code == 400
    assert "nothing about this conference can change" in late.get_data(as_text=True)
    with app.app_context():
        after = (
            db.session.execute(db.select(db.func.count()).select_from(ConferenceDecision)).scalar(),
            db.session.execute(db.select(db.func.count()).select_from(CaseAction)).scalar(),
        )
    assert after == before
