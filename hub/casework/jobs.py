"""Casework's scheduled work, run by the hub's clock. Idempotent."""

from hub import permissions
from hub.casework import complaints, powers, reminders
from hub.clock.scheduler import scheduled


@scheduled("overdue_reminders", "cron", run_at_start=True, hour=7, minute=30)
def overdue_reminders() -> None:
    """Remind owners, or else coordinators, of overdue actions and risk reassessments."""
    reminders.overdue_reminders(permissions.hub_today())


@scheduled("power_reminders", "cron", run_at_start=True, hour=7, minute=40)
def power_reminders() -> None:
    """Remind the issuing agency of powers expiring or due for review within 28, then 7 days."""
    powers.power_reminders(permissions.hub_today())


@scheduled("case_review_offers", "cron", run_at_start=True, hour=7, minute=35)
def case_review_offers() -> None:
    """Prompt each SPoC whose victim has reported a second time in the case review window."""
    complaints.prompt_open_cases(permissions.hub_today())
