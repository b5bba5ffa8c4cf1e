"""The scheduler's own records: what has been done (so nothing is done twice) and its
heartbeat (so /healthz can tell whether the clock is running)."""

from datetime import datetime

from sqlalchemy import Float, LargeBinary, String, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db
from hub.models.base import UTCDateTime, created_now


class JobRun(db.Model):
    """One piece of scheduled work done, under a key naming it and its period
    ("isa-review-reminder:12:2027-01-01"). The unique key makes every job idempotent: a
    second scheduler, a restart or a retry finds the key and does nothing."""

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    job: Mapped[str] = mapped_column(String(60), index=True)
    runner: Mapped[str] = mapped_column(String(100))  # host:pid of the scheduler that did it
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)


class SchedulerHeartbeat(db.Model):
    __tablename__ = "scheduler_heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    runner: Mapped[str] = mapped_column(String(100))
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SchedulerJob(db.Model):
    """APScheduler's job store table, declared here so a migration owns it (APScheduler's
    SQLAlchemyJobStore would otherwise create it on its own)."""

    __tablename__ = "scheduler_job"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)
