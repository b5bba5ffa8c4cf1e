"""The hub's clock: APScheduler 3 runs the hub's timed work.

- One scheduler runs jobs at a time, whatever else is started: each candidate process
  takes a PostgreSQL advisory lock (a file lock on SQLite) and the others wait on standby,
  taking over if the leader stops.
- Job definitions persist in the database (APScheduler's SQLAlchemy job store), so a
  restart catches up on a run it missed (coalesced into one) instead of losing it.
- Jobs are idempotent: each records what it did under a unique key with once(), so a
  retry, a restart or a second scheduler never does the same thing twice.

Run it as its own process (`flask --app wsgi hub scheduler`), or in-process for the
single-machine default (SCHEDULER_IN_PROCESS, started from wsgi.py).
"""

import fcntl
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import JobRun, SchedulerHeartbeat

log = logging.getLogger("hub.scheduler")
RUNNER = f"{socket.gethostname()}:{os.getpid()}"
_LOCK_KEY = 0x46485343  # "FHSC": the scheduler's advisory lock


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[[], None]  # runs inside an app context; the runner commits
    trigger: str  # "interval" or "cron"
    trigger_args: dict = field(default_factory=dict)
    description: str = ""
    run_at_start: bool = False  # also run as soon as a scheduler takes over


JOBS: dict[str, JobSpec] = {}


def scheduled(
    name: str, trigger: str, description: str = "", run_at_start: bool = False, **trigger_args
):
    """Register a function as a hub job: an area's jobs.py, which hub/cli.py loads."""

    def register(func):
        doc = description or func.__doc__ or ""
        JOBS[name] = JobSpec(name, func, trigger, trigger_args, doc, run_at_start)
        return func

    return register


def once(key: str, job: str) -> bool:
    """Claim a piece of work. True the first time a key is claimed (do the work, in the same
    transaction); False if it was already done, here or by another scheduler."""
    if db.session.execute(select(JobRun.id).where(JobRun.key == key)).first():
        return False
    try:
        with db.session.begin_nested():
            db.session.add(JobRun(key=key, job=job, runner=RUNNER))
    except IntegrityError:
        return False  # another process claimed it between our look and our insert
    return True


# -- running one job ----------------------------------------------------------------------------

_app: Flask | None = None  # the app jobs run in; set when a scheduler starts


def run_job(name: str) -> None:
    """APScheduler's entry point (referenced by name, so the job store can persist it)."""
    app = _app
    if app is None:
        raise RuntimeError("the scheduler has not been started with an app")
    with app.app_context():
        try:
            JOBS[name].func()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed; it will run again at its next time", name)
        finally:
            db.session.remove()


@scheduled("heartbeat", "interval", run_at_start=True, seconds=60)
def heartbeat() -> None:
    """Say the clock is running, so /healthz can report a stopped scheduler."""
    row = db.session.get(SchedulerHeartbeat, 1)
    if row is None:
        db.session.add(SchedulerHeartbeat(id=1, runner=RUNNER, beat_at=utcnow()))
    else:
        row.runner, row.beat_at = RUNNER, utcnow()


# -- leadership ---------------------------------------------------------------------------------


class Leadership:
    """Held by the one process allowed to run jobs."""

    def __init__(self, app: Flask):
        self.app = app
        # One key per deployment; tests sharing a PostgreSQL server use their own.
        self.key = app.config.get("SCHEDULER_LOCK_KEY", _LOCK_KEY)
        self._conn = None
        self._file = None

    def acquire(self) -> bool:
        with self.app.app_context():
            engine = db.engine
        if engine.dialect.name == "postgresql":
            # A session-level advisory lock lives as long as this connection stays open.
            conn = engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
            conn.commit()
            if got:
                self._conn = conn
            else:
                conn.close()
            return bool(got)
        lock_path = Path(
            self.app.config.get("SCHEDULER_LOCK_FILE")
            or Path(self.app.instance_path) / "scheduler.lock"
        )
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")  # noqa: SIM115 - held open as the lock
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._conn is not None:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self._conn.close()
            self._conn = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


# -- the scheduler ------------------------------------------------------------------------------


def build_scheduler(app: Flask) -> BackgroundScheduler:
    with app.app_context():
        store = SQLAlchemyJobStore(engine=db.engine, tablename="scheduler_job")
    scheduler = BackgroundScheduler(
        jobstores={"default": store},
        # One job at a time: jobs are short, and SQLite allows one writer anyway.
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
        timezone="Europe/London",
    )
    overrides = app.config.get("SCHEDULER_TRIGGER_OVERRIDES", {})
    for spec in JOBS.values():
        trigger_args = overrides.get(spec.name, spec.trigger_args)
        scheduler.add_job(
            "hub.clock.scheduler:run_job",
            spec.trigger,
            args=[spec.name],
            id=spec.name,
            name=spec.description.strip().splitlines()[0] if spec.description else spec.name,
            replace_existing=True,
            **({"next_run_time": utcnow()} if spec.run_at_start else {}),
            **trigger_args,
        )
    return scheduler


def run_scheduler(app: Flask, stop: threading.Event) -> None:
    """Wait for leadership, then run jobs until `stop` is set."""
    global _app
    _app = app
    leadership = Leadership(app)
    poll = app.config.get("SCHEDULER_STANDBY_SECONDS", 15)
    while not stop.is_set():
        if leadership.acquire():
            break
        log.info("scheduler %s on standby: another scheduler is running", RUNNER)
        stop.wait(poll)
    else:
        return
    log.info("scheduler %s is running the hub's jobs", RUNNER)
    scheduler = build_scheduler(app)
    scheduler.start()
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        leadership.release()
        log.info("scheduler %s stopped", RUNNER)


def start_in_background(app: Flask) -> threading.Event:
    """The single-machine default: the scheduler as a thread of the web process."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_scheduler, args=(app, stop), name="hub-scheduler", daemon=True
    )
    thread.start()
    return stop
