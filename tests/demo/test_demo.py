"""The demo hub: realistic, complete, and idempotent."""

import json

from sqlalchemy import func, select

from hub.extensions import db
from hub.models import Agency, Hub, Role, User, UserRole


def test_demo_builds_every_role_and_twice_duplicates_nothing(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["hub", "demo"])
    assert first.exit_code == 0, first.output
    assert "demo-password" in first.output
    with app.app_context():
        counts = [
            db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Hub, Agency, User, UserRole)
        ]
        roles = set(db.session.execute(select(UserRole.role)).scalars())
        kinds = set(db.session.execute(select(Agency.kind)).scalars())
    assert roles == {r.value for r in Role}
    assert {"council", "police", "housing", "fire", "health", "voluntary", "youth_justice"} <= kinds
    second = runner.invoke(args=["hub", "demo"])
    assert "0 records created" in second.output
    with app.app_context():
        again = [
            db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Hub, Agency, User, UserRole)
        ]
    assert again == counts
    assert "already has users" in runner.invoke(args=["hub", "demo", "--if-empty"]).output


def test_users_json_lists_email_agency_kind_hubs_and_roles(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["hub", "demo"])
    users = json.loads(runner.invoke(args=["hub", "users", "--json"]).output)
    coordinator = next(u for u in users if "coordinator@copeland" in " ".join(u["roles"]))
    assert coordinator["agency_kind"] == "police"
    assert coordinator["hubs"] == ["copeland"]
    assert {"email", "agency", "agency_kind", "hubs", "roles"} <= set(coordinator)


def test_a_demo_user_can_sign_in(app, client):
    from hub.demo.build import DEMO_PASSWORD

    app.test_cli_runner().invoke(args=["hub", "demo"])
    client.sign_in("asb.officer@copeland.example", DEMO_PASSWORD)
    assert "Rachel Dixon" in client.get("/").get_data(as_text=True)


def test_the_demo_coordinator_works_a_demo_case_under_its_agreement(app, client):
    from hub.demo.build import DEMO_PASSWORD
    from hub.models import Case

    app.test_cli_runner().invoke(args=["hub", "demo"])
    with app.app_context():
        case_id = db.session.execute(select(Case.id).order_by(Case.id)).scalars().first()
    client.sign_in("ps.coordinator@cumbria-police.example", DEMO_PASSWORD)
    page = client.get(f"/cases/{case_id}/referrals").get_data(as_text=True)
    assert page.count("(victim)") >= 1
    board = client.get("/hubs/copeland/board")
    assert board.status_code == 200
    conferences = client.get("/hubs/copeland/conferences").get_data(as_text=True)
    assert "Copeland Centre" in conferences  # the coming weekly conferences exist


def test_the_demo_case_has_incidents_evidence_a_letter_and_a_power_expiring(app):
    """Issue 12: a case worked after it opened, shown in the demo."""
    from datetime import timedelta

    from hub.casework import powers
    from hub.core import storage
    from hub.models import Case, CaseIncident, Evidence, Intervention, Letter, PowerStep
    from hub.permissions import hub_today

    assert app.test_cli_runner().invoke(args=["hub", "demo"]).exit_code == 0
    with app.app_context():
        case = db.session.execute(select(Case).order_by(Case.id).limit(1)).scalar_one()
        count = lambda model: db.session.execute(  # noqa: E731
            select(func.count()).select_from(model).where(model.case_id == case.id)
        ).scalar_one()
        assert count(CaseIncident) == 2 and count(Evidence) == 2 and count(Letter) == 1
        store = storage.evidence_store()
        for item in db.session.execute(select(Evidence)).scalars():
            assert len(store.get(item.storage_key)) == item.size_bytes
        power = db.session.execute(
            select(Intervention).where(Intervention.case_id == case.id)
        ).scalar_one()
        assert power.type == "youth_injunction" and power.status == "served"
        assert hub_today() < power.expires_on <= hub_today() + timedelta(days=28)
        steps = db.session.execute(
            select(PowerStep.step).where(PowerStep.intervention_id == power.id)
        ).scalars()
        assert list(steps) == ["proposed", "applied", "granted", "served"]
        due = [d for d, _ in powers.power_reminders(hub_today())]
        assert {(d.item.id, d.kind) for d in due} == {(power.id, "expiry"), (power.id, "review")}
        db.session.rollback()


def test_the_demo_holds_a_case_review_with_timescales_and_figures(app):
    """Issue 14: a review held from start to finish, every timescale so far met, and this
    financial year's figures with something in them."""
    from hub.conferences import case_review_figures, timescales
    from hub.models import CaseReview
    from hub.permissions import hub_today

    assert app.test_cli_runner().invoke(args=["hub", "demo"]).exit_code == 0
    with app.app_context():
        review = db.session.execute(
            select(CaseReview).where(CaseReview.outcome_sent_on.is_not(None))
        ).scalar_one()
        rules = timescales.settings_for(review.hub_id)
        steps = timescales.timescales_of(review, hub_today(), rules)
        assert [(s.step, s.state.value) for s in steps] == [
            ("acknowledge", "met"),
            ("decide", "met"),
            ("meet", "met"),
            ("outcome_letter", "met"),
        ]
        assert review.victim_account == "received" and review.chair_name
        year = case_review_figures.financial_year(review.held_on)
        figures = case_review_figures.annual_figures(review.hub, year)
        assert figures.counts["applications"] >= 1 and figures.counts["held"] == 1
