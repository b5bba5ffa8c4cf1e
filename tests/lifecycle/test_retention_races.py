"""The end of retention racing a legal hold or a reopening, on connections of their own: the
case's row lock makes the retention run wait for the other transaction, then see what it did,
so a hold placed or a reopening made at that moment is never both missed and overruled. On
PostgreSQL the row lock does it; on SQLite the writer's lock on the whole file."""

import threading
from datetime import UTC, datetime

import pytest

from hub.casework import stages
from hub.extensions import db
from hub.lifecycle import retention
from hub.models import Agency, Case, CaseNote, Hub, RetentionReview, User
from tests.conftest import own_database_app
from tests.support.factories import make_case, make_note

pytestmark = pytest.mark.own_database
CLOSED = datetime(2020, 1, 10, 15, 0, tzinfo=UTC)
RETENTION_RUN = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)  # past every category's review date
BODY = "Shouting at the Tallis family"
WAIT = 1.0  # seconds the retention run is given to (wrongly) get past the lock


@pytest.fixture
def race_app():
    with own_database_app("retention_races") as app:
        yield app


def _closed_case_under_review(app) -> tuple[int, int, int]:
    """(case id, note id, id of the incident category's due review), committed."""
    world = app.world
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        police = db.session.get(Agency, world.agency_ids["police"])
        coordinator = db.session.get(User, world.user_id["coordinator"])
        case = make_case(hub, "CPL-RR1", police, title="Noise at 4 Mill Street")
        note = make_note(case, police, coordinator, body=BODY)
        case.stage, case.closed_at = "closed", CLOSED
        db.session.commit()
        retention.schedule(RETENTION_RUN)
        db.session.commit()
        review = db.session.execute(
            db.select(RetentionReview).where(
                RetentionReview.case_id == case.id, RetentionReview.category == note.category
            )
        ).scalar_one()
        return case.id, note.id, review.id


def _race(app, first, review_id: int) -> tuple[str, bool]:
    """Run first() in a transaction of its own and, while it is still open, the retention
    run's end of the review in another. Returns how the end came out, and whether it waited
    for first()'s transaction to end."""
    started, go = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    outcome: list[str] = []

    def other_partner() -> None:
        with app.test_request_context(method="POST"):
            try:
                first()
                db.session.flush()  # its row lock (or SQLite's write lock) is held from here
                started.set()
                go.wait(10)
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                errors.append(exc)
                started.set()
            finally:
                db.session.remove()

    def retention_run() -> None:
        with app.app_context():  # as the clock runs it: no request
            try:
                review = db.session.get(RetentionReview, review_id)
                retention.end(review, RETENTION_RUN)
                db.session.commit()
                outcome.append("ended")
            except retention.RetentionRefused as refused:
                db.session.rollback()
                outcome.append(refused.reason)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    partner = threading.Thread(target=other_partner)
    partner.start()
    assert started.wait(10)
    run = threading.Thread(target=retention_run)
    run.start()
    run.join(WAIT)
    waited = run.is_alive()  # still blocked on the other transaction's lock
    go.set()
    partner.join(10)
    run.join(10)
    assert not errors, errors
    return outcome[0], waited


def _body(app, note_id: int) -> str:
    with app.app_context():
        return db.session.get(CaseNote, note_id).body


def test_a_hold_placed_as_retention_runs_is_seen_by_it(race_app):
    case_id, note_id, review_id = _closed_case_under_review(race_app)

    def hold():
        retention.place_hold(db.session.get(Case, case_id), None, RETENTION_RUN)

    outcome, waited = _race(race_app, hold, review_id)
    assert waited, "the retention run went past the case's lock"
    assert outcome == "legal_hold"
    assert _body(race_app, note_id) == BODY


def test_a_reopening_as_retention_runs_is_seen_by_it(race_app):
    case_id, note_id, review_id = _closed_case_under_review(race_app)

    def reopen():
        case = db.session.get(Case, case_id)
        actor = db.session.get(User, race_app.world.user_id["coordinator"])
        stages.move_stage(
            case,
            "awaiting_conference",
            case.version,
            actor=actor,
            reason="New reports from the family",
        )

    outcome, waited = _race(race_app, reopen, review_id)
    assert waited, "the retention run went past the case's lock"
    assert outcome == "case_open"
    assert _body(race_app, note_id) == BODY
