"""Casework's scheduled work, run by the hub's clock. Idempotent."""

from hub import permissions
from hub.casework import reminders
from hub.clock.scheduler import scheduled


@scheduled("overdue_reminders", "cron", run_at_start=True, hour=7, minute=30)
def overdue_reminders() -> None:
    """Remind owners, or else coordinators, of overdue actions and risk reassessments."""
    reminders.overdue_reminders(permissions.hub_today())
