"""Section 115's scheduled work, run by the hub's clock. Idempotent."""

from hub import permissions
from hub.clock.scheduler import scheduled
from hub.sharing import agreements


@scheduled("isa_reminders", "cron", run_at_start=True, hour=7, minute=0)
def isa_reminders() -> None:
    """Email hub managers before an agreement's review or expiry date."""
    agreements.isa_reminders(permissions.hub_today())
