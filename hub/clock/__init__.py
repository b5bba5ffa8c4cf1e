"""The hub's clock: the scheduler that runs timed work once across processes (scheduler.py).

Each area declares its own jobs in its jobs.py with @scheduled; the clock imports no area.
The frame (hub/cli.py) loads every area's jobs module, so the scheduler command, `hub jobs`,
`hub run-job` and the in-process scheduler (wsgi.py) all know them.
"""
