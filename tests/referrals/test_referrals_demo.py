"""The demo hub has realistic referrals, six triaged into cases, and running it again adds none."""

from sqlalchemy import func, select

from hub.extensions import db
from hub.models import Case, Hub, Referral

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
        assert sorted(c.reference for c in cases) == [f"CPL-2026-000{n}" for n in range(1, 7)]
        # The fifth names the first one's victim differently ("Mr Bryan Tyson", "Mill St."):
        # matching still finds him, and the open case.
        last = referrals[4]
        assert last.repeat["victim"]["30"] >= 1 and last.repeat["place"]["30"] >= 1
    again = runner.invoke(args=["hub", "demo"])
    assert "0 records created" in again.output
    with app.app_context():
        assert db.session.execute(select(func.count()).where(COPELAND)).scalar_one() == 9 + 2
