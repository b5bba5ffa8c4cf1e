"""Every area's scheduled jobs, imported so they register with hub.scheduler."""

import hub.scheduler  # noqa: F401 - the heartbeat
