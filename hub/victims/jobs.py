"""The victims' scheduled work, run by the hub's clock. Idempotent."""

from hub import permissions
from hub.clock.scheduler import scheduled
from hub.victims import reminders


@scheduled("call_back_reminders", "cron", run_at_start=True, hour=7, minute=45)
def call_back_reminders() -> None:
    """Remind SPoCs of call-backs due today; tell coordinators and managers of missed ones."""
    reminders.call_back_reminders(permissions.hub_today())
