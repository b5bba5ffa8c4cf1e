"""Entry point: `flask --app wsgi …` and `gunicorn wsgi:app`."""

import sys

from hub import create_app

app = create_app()


def _serving_web() -> bool:
    """True under gunicorn or `flask run`; False for other CLI commands (`db upgrade`,
    `hub demo`, and `hub scheduler`, which runs its own)."""
    if "flask" in sys.argv[0]:
        return "run" in sys.argv[1:]
    return True


# The single-machine default runs the scheduler inside the web process. It takes a lock, so
# several workers still run each job once; production runs `flask hub scheduler` instead.
if app.config["SCHEDULER_IN_PROCESS"] and _serving_web():
    from hub.clock.scheduler import start_in_background

    start_in_background(app)
