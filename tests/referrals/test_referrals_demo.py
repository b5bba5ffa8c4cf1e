"""The demo hub has realistic referrals, seven triaged into cases, and running it again adds
none. No critical or high case is due before a conference with nobody convened."""

from sqlalchemy import func, select

from hub.casework import deadlines
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AgendaItem, Case, CaseDeadline, Conference, Hub, Referral

COPELAND = Referral.hub_id == select(Hub.id).where(Hub.slug == "copeland").scalar_subquery()


def test_demo_referrals_are_scored_triaged_and_idempotent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["hub", "demo"]).exit_code == 0
    with app.app_context():
        # The demo referrals (the demo's evaluated cases add two of their own, by other keys:
        # hub.demo.library).
        referrals = (
            db.session.execute(
                select(Referral)
                .where(COPELAND, Referral.idempotency_key.like("demo-referral-%"))
                .order_by(Referral.id)
            )
            .scalars()
            .all()
        )
        assert len(referrals) == 9
        assert {r.band for r in referrals} >= {"critical", "high"}
        cases = db.session.execute(
            select(Case).where(Case.id.in_([r.case_id for r in referrals if r.case_id]))
        ).scalars()
        cases = list(cases)
        assert sorted(c.reference for c in cases) == [f"CPL-2026-000{n}" for n in range(1, 8)]
        # The stairwell case, medium on referral, was raised to critical by a reassessment.
        (raised,) = [c for c in cases if "Block C" in c.title]
        assert raised.band == "critical"
        sources = db.session.execute(
            select(CaseDeadline.source).where(CaseDeadline.case_id == raised.id)
        ).scalars()
        assert "reassessment" in set(sources)
        # Every critical or high case is on a conference (urgent or weekly) held or to be held
        # by its deadline.
        owing = db.session.execute(
            select(Case)
            .join(CaseDeadline, CaseDeadline.case_id == Case.id)
            .where(
                Case.hub_id == raised.hub_id,
                CaseDeadline.band.in_(("critical", "high")),
                CaseDeadline.due_by > utcnow(),
                deadlines.owed(),
            )
        ).scalars()
        for case in set(owing):
            convened = db.session.execute(
                select(Conference.starts_at)
                .join(AgendaItem, AgendaItem.conference_id == Conference.id)
                .where(
                    AgendaItem.case_id == case.id,
                    AgendaItem.removed.is_(False),
                    Conference.status != "cancelled",
                    Conference.starts_at <= case.conference_due_by,
                )
            ).all()
            # Or its deadline is a weekly conference itself, whose agenda (built hours before)
            # takes it.
            at_weekly = db.session.execute(
                select(Conference.id).where(
                    Conference.hub_id == case.hub_id,
                    Conference.kind == "weekly",
                    Conference.starts_at == case.conference_due_by,
                )
            ).all()
            assert convened or at_weekly, f"{case.reference} is due with nobody convened"
        # The fifth names the first one's victim differently ("Mr Bryan Tyson", "Mill St."):
        # matching still finds him, and the open case.
        last = referrals[4]
        assert last.repeat["victim"]["30"] >= 1 and last.repeat["place"]["30"] >= 1
    again = runner.invoke(args=["hub", "demo"])
    assert "0 records created" in again.output
    with app.app_context():
        assert db.session.execute(select(func.count()).where(COPELAND)).scalar_one() == 9 + 2
