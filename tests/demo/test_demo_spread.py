"""Issue 20: the demo hub shows a hub's ordinary spread, not only critical cases awaiting
conference: every band, and cases at every stage, each reached through the casework services
(so a closed case has its closure assessment and evaluation)."""

from sqlalchemy import select

from hub.extensions import db
from hub.models import Case, Evaluation, Hub, RiskAssessment


def test_the_demo_board_has_every_band_and_stage(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["hub", "demo"]).exit_code == 0
    with app.app_context():
        copeland = db.session.execute(select(Hub).where(Hub.slug == "copeland")).scalar_one()
        cases = db.session.scalars(select(Case).where(Case.hub_id == copeland.id)).all()
        assert {c.band for c in cases} == {"critical", "high", "medium", "standard"}
        assert {c.stage for c in cases} >= {
            "awaiting_conference",
            "active",
            "review",
            "evaluation",
            "closed",
        }
        closed = next(c for c in cases if c.stage == "closed")
        assert closed.closed_at is not None
        assert db.session.scalar(select(Evaluation.id).where(Evaluation.case_id == closed.id))
        assert db.session.scalar(
            select(RiskAssessment.id).where(
                RiskAssessment.case_id == closed.id, RiskAssessment.kind == "at_closure"
            )
        )
        active = [c for c in cases if c.stage != "awaiting_conference"]
        assert all(c.lead_agency_id is not None for c in active)
    again = runner.invoke(args=["hub", "demo"])
    assert "0 records created" in again.output
