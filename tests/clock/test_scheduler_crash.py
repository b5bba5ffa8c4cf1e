"""A scheduler killed in the middle of a job (issue 17): the job's claim and its work commit
together, so a crash keeps neither; the next run does the work, and only once."""

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from hub.clock import scheduler
from hub.extensions import db
from hub.models import JobRun
from tests.conftest import _database, make_app

ROOT = Path(__file__).resolve().parents[2]
KEY = "digest:2026-12-07"

# The child runs the job through the scheduler's own entry point, and is killed (SIGKILL: no
# clean-up of any kind) after the job has claimed its key and written its work, before the
# commit that run_job makes at the job's end.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, {root!r})
    from tests.conftest import make_app
    from hub.clock import scheduler
    from hub.extensions import db

    app = make_app({url!r}, {options!r})

    @scheduler.scheduled("digest", "interval", hours=24)
    def digest():
        if scheduler.once({key!r}, "digest"):
            scheduler.once("work-of:" + {key!r}, "digest")  # the job's work, written
            db.session.flush()  # sent to the database, not committed
            os.kill(os.getpid(), signal.SIGKILL)

    scheduler._app = app
    scheduler.run_job("digest")
    """
)


@pytest.mark.own_database
def test_a_job_killed_mid_run_leaves_nothing_and_runs_once_afterwards():
    url, options, cleanup = _database("crash")
    app = make_app(url, options)
    try:
        with app.app_context():
            upgrade()
        code = CHILD.format(root=str(ROOT), url=url, options=options, key=KEY)
        child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=120)
        assert child.returncode == -signal.SIGKILL

        def keys():
            with app.app_context():
                found = db.session.execute(select(JobRun.key).order_by(JobRun.key)).scalars()
                result = list(found)
                db.session.remove()
            return result

        assert keys() == []  # neither the claim nor half the work survived the crash
        runs = []

        @scheduler.scheduled("digest", "interval", hours=24)
        def digest():
            if scheduler.once(KEY, "digest"):
                scheduler.once("work-of:" + KEY, "digest")
                runs.append(KEY)

        previous = scheduler._app
        scheduler._app = app
        try:
            scheduler.run_job("digest")  # the next time comes round: the work is done
            scheduler.run_job("digest")  # and again: already done, nothing more
        finally:
            scheduler._app = previous
            scheduler.JOBS.pop("digest", None)
        assert runs == [KEY]
        assert keys() == [KEY, "work-of:" + KEY]
    finally:
        with app.app_context():
            db.engine.dispose()
        cleanup()
