"""Every area's scheduled jobs, registered with hub.scheduler. Each is idempotent."""

import hub.scheduler  # noqa: F401 - the heartbeat
from hub import permissions, sharing
from hub.scheduler import scheduled


@scheduled("isa_reminders", "cron", run_at_start=True, hour=7, minute=0)
def isa_reminders() -> None:
    """Email hub managers before an agreement's review or expiry date."""
    sharing.isa_reminders(permissions.hub_today())
