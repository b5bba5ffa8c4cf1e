"""Accounts unused for 90 days are switched off by the scheduler, after a week's notice; the
job is idempotent, so a restart or a second run emails nobody twice."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from hub.accounts import jobs
from hub.cli import AREA_JOBS
from hub.clock.scheduler import JOBS
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import ApiToken, AuditEntry, User, UserSession

DAY = timedelta(days=1)


@pytest.fixture
def start(app, world):
    """Everyone last signed in on one day; nobody since."""
    then = utcnow().replace(microsecond=0)
    with app.app_context():
        db.session.execute(update(User).values(last_sign_in_at=then, created_at=then - DAY))
        db.session.commit()
    return then


def run(app, at):
    with time_machine.travel(at, tick=False), app.test_request_context():
        warned, off = jobs.disable_unused_accounts(at)
        db.session.commit()
    return warned, off


def test_notice_a_week_before_then_switched_off(app, world, start, outbox):
    everyone = len(world.user_id)
    assert run(app, start + 82 * DAY) == ([], [])
    warned, off = run(app, start + 83 * DAY)
    assert len(warned) == everyone and off == []
    assert len(outbox) == everyone
    assert "switched off in 7 days" in outbox[0]["Subject"]
    # Nothing twice: the same day again, the next day, a restart.
    assert run(app, start + 83 * DAY) == ([], [])
    assert run(app, start + 89 * DAY) == ([], [])
    assert len(outbox) == everyone
    warned, off = run(app, start + 90 * DAY)
    assert warned == [] and len(off) == everyone
    assert len(outbox) == 2 * everyone
    assert run(app, start + 91 * DAY) == ([], [])
    with app.app_context():
        assert not any(db.session.execute(select(User.is_active_account)).scalars())
        entries = (
            db.session.execute(select(AuditEntry).where(AuditEntry.action == "user_deactivated"))
            .scalars()
            .all()
        )
        assert len(entries) == everyone
        assert all(e.details["reason"] == "unused" for e in entries)


def test_signing_in_after_the_notice_keeps_the_account(app, client, world, start, outbox):
    run(app, start + 83 * DAY)
    with time_machine.travel(start + 85 * DAY, tick=False):
        client.sign_in(world.email["referrer"])
    warned, off = run(app, start + 90 * DAY)
    assert world.user_id["referrer"] not in off
    with app.app_context():
        assert db.session.get(User, world.user_id["referrer"]).is_active_account
    # A fresh spell of disuse gets a fresh notice, 83 days after that sign-in.
    warned, _ = run(app, start + (85 + 83) * DAY)
    assert world.user_id["referrer"] in warned


def test_an_api_token_in_use_keeps_an_account(app, world, start):
    with app.app_context():
        db.session.add(
            ApiToken(
                user_id=world.user_id["spoc"],
                name="feed",
                prefix="fh_x",
                token_hash="0" * 64,
                last_used_at=start + 80 * DAY,
            )
        )
        db.session.commit()
    warned, _ = run(app, start + 83 * DAY)
    assert world.user_id["spoc"] not in warned


def test_no_switch_off_without_a_weeks_notice(app, world, start, outbox):
    """A scheduler that was stopped for months still gives a week's notice first."""
    warned, off = run(app, start + 200 * DAY)
    assert len(warned) == len(world.user_id) and off == []
    assert run(app, start + 206 * DAY) == ([], [])
    _, off = run(app, start + 207 * DAY)
    assert len(off) == len(world.user_id)


def test_switching_off_ends_sessions(app, client, world, start):
    with time_machine.travel(start, tick=False):
        client.sign_in(world.email["referrer"])
    run(app, start + 83 * DAY)
    run(app, start + 90 * DAY)
    with app.app_context():
        reasons = db.session.execute(select(UserSession.ended_reason)).scalars().all()
        assert reasons == ["unused"]


def test_the_jobs_are_registered():
    assert jobs in AREA_JOBS  # loaded with every area's jobs by the commands
    assert JOBS["dormant_accounts"].func is jobs.dormant_accounts_job
    assert JOBS["sign_in_housekeeping"].func is jobs.sign_in_housekeeping_job
