"""The demo hub shows the library working: closed cases with signed evaluations, at least
thirty published lessons (each through the personal-data check), and suggestions on its open
cases."""

from sqlalchemy import func, select

from hub.extensions import db
from hub.lessons import suggestions
from hub.models import Case, Evaluation, Hub, Lesson, User


def test_the_demo_has_evaluated_cases_and_a_library(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["hub", "demo"]).exit_code == 0
    with app.test_request_context():
        hub = db.session.execute(select(Hub).where(Hub.slug == "copeland")).scalar_one()
        published = db.session.execute(
            select(func.count()).where(Lesson.hub_id == hub.id, Lesson.status == "published")
        ).scalar()
        assert published >= 30
        closed = db.session.execute(
            select(Case.id)
            .join(Evaluation, Evaluation.case_id == Case.id)
            .where(Case.hub_id == hub.id, Case.stage == "closed", Evaluation.signed_at.is_not(None))
            .order_by(Case.id.desc())  # the library's cases, built last, first
        ).all()
        assert len(closed) >= 2  # the library's two, and the demo referrals' closed one
        drawn = db.session.execute(
            select(func.count()).where(Lesson.source == "evaluation", Lesson.cases_helped == 1)
        ).scalar()
        assert drawn == 2
        evaluation = db.session.execute(
            select(Evaluation).where(Evaluation.case_id == closed[0][0])
        ).scalar_one()
        assert evaluation.measured["measurable"] and evaluation.measured["after"]["complete"]
        worker = db.session.execute(
            select(User).where(User.email == "asb.officer@copeland.example")
        ).scalar_one()
        open_case = (
            db.session.execute(
                select(Case).where(Case.hub_id == hub.id, Case.stage != "closed").order_by(Case.id)
            )
            .scalars()
            .first()
        )
        assert len(suggestions.for_case(worker, open_case)) == 5
    second = runner.invoke(args=["hub", "demo"])
    assert "0 records created" in second.output
