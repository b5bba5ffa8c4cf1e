"""The demo hub has realistic referrals, two triaged into cases, and running it again adds none."""

from sqlalchemy import func, select

from hub.extensions import db
from hub.models import Case, Hub, Referral

COPELAND = Referral.hub_id == select(Hub.id).where(Hub.slug == "copeland").scalar_subquery()


def test_demo_referrals_are_scored_triaged_and_idempotent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["hub", "demo"]).exit_code == 0
    with app.app_context():
        # The five demo referrals (the demo's evaluated cases add two more of their own,
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
        assert len(referrals) == 5
        assert {r.band for r in referrals} >= {"critical", "high"}
        cases = db.session.execute(
            select(Case).where(Case.id.in_([r.case_id for r in referrals if r.case_id]))
        ).scalars()
        assert sorted(c.reference for c in cases) == ["CPL-2026-0001", "CPL-2026-0002"]
        # The fifth names the first one's victim differently ("Mr Bryan Tyson", "Mill St."):
        # matching still finds him, and the open case.
        last = referrals[-1]
        assert last.repeat["victim"]["30"] >= 1 and last.repeat["place"]["30"] >= 1
    again = runner.invoke(args=["hub", "demo"])
    assert "0 records created" in again.output
    with app.app_context():
        assert db.session.execute(select(func.count()).where(COPELAND)).scalar_one() == 5 + 2
