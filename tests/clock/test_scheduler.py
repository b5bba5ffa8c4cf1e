"""The hub's clock: jobs are idempotent, and only one scheduler runs them at a time."""

import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from hub.clock import scheduler
from hub.extensions import db
from hub.models import JobRun
from tests.conftest import _database, make_app

ROOT = Path(__file__).resolve().parents[2]


def test_once_claims_a_key_only_once(app, ctx):
    assert scheduler.once("reminder:isa-12:2027-01-01", "reminders") is True
    assert scheduler.once("reminder:isa-12:2027-01-01", "reminders") is False
    assert scheduler.once("reminder:isa-12:2027-02-01", "reminders") is True
    keys = db.session.execute(select(JobRun.key).order_by(JobRun.key)).scalars().all()
    assert keys == ["reminder:isa-12:2027-01-01", "reminder:isa-12:2027-02-01"]


def test_heartbeat_is_reported_by_healthz(app, client):
    with app.app_context():
        scheduler.heartbeat()
        db.session.commit()
    assert client.get("/healthz").get_json()["scheduler"] == "ok"


@pytest.mark.own_database
def test_only_one_process_holds_leadership(database, tmp_path):
    app = make_app(
        database.url,
        database.engine_options,
        SCHEDULER_LOCK_KEY=random.randint(1, 2**31),
        SCHEDULER_LOCK_FILE=str(tmp_path / "scheduler.lock"),
    )
    first, second = scheduler.Leadership(app), scheduler.Leadership(app)
    assert first.acquire() is True
    assert second.acquire() is False
    first.release()
    assert second.acquire() is True
    second.release()


CHILD = textwrap.dedent(
    """
    import signal, sys, threading, time
    sys.path.insert(0, {root!r})
    from tests.conftest import make_app
    from hub.clock import scheduler

    app = make_app({url!r}, {options!r}, SCHEDULER_LOCK_KEY={key}, SCHEDULER_LOCK_FILE={lock!r},
                   SCHEDULER_STANDBY_SECONDS=0.2)

    @scheduler.scheduled("tick", "interval", seconds=1)
    def tick():
        scheduler.once(f"tick:{{time.time_ns()}}", "tick")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    scheduler.run_scheduler(app, stop)
    """
)


def _ticks(app) -> list[JobRun]:
    with app.app_context():
        rows = (
            db.session.execute(select(JobRun).where(JobRun.job == "tick").order_by(JobRun.ran_at))
            .scalars()
            .all()
        )
        db.session.remove()
    return rows


def _wait_for(fetch, until, seconds: float = 30):
    """Poll fetch() until until(result) holds or time runs out; return the last result."""
    deadline = time.monotonic() + seconds
    result = fetch()
    while not until(result) and time.monotonic() < deadline:
        time.sleep(0.25)
        result = fetch()
    return result


@pytest.mark.own_database
def test_two_scheduler_processes_run_each_job_once_and_fail_over():
    url, options, cleanup = _database("sched")
    lock = os.path.join(tempfile.mkdtemp(), "scheduler.lock")
    key = random.randint(1, 2**31)
    app = make_app(url, options)
    with app.app_context():
        upgrade()
    code = CHILD.format(root=str(ROOT), url=url, options=options, key=key, lock=lock)
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT) for _ in range(2)]
    try:
        runs = _wait_for(lambda: _ticks(app), until=lambda rows: len(rows) >= 3)
        runners = {r.runner for r in runs}
        assert len(runs) >= 3 and len(runners) == 1, runners  # one leader ran every tick
        leader_pid = int(runners.pop().rsplit(":", 1)[1])
        leader = next(p for p in procs if p.pid == leader_pid)
        leader.send_signal(signal.SIGKILL)  # a crash, not a clean stop
        leader.wait()
        mine = f":{leader_pid}"
        after = _wait_for(
            lambda: _ticks(app), until=lambda rows: any(not r.runner.endswith(mine) for r in rows)
        )
        new = [r for r in after if not r.runner.endswith(mine)]
        assert new, "the standby scheduler did not take over"
        old = [r for r in after if r.runner.endswith(mine)]
        assert max(r.ran_at for r in old) <= min(r.ran_at for r in new)  # never both at once
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=20)
        with app.app_context():
            db.engine.dispose()
        cleanup()
