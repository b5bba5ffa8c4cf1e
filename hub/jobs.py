"""Every area's scheduled jobs, registered with hub.scheduler. Each is idempotent."""

import hub.scheduler  # noqa: F401 - the heartbeat
from hub import permissions, sharing
from hub.analytics import police_uk, reports
from hub.casework import reminders
from hub.conferences import agenda, slot, urgent
from hub.scheduler import scheduled
from hub.timeutil import utcnow


@scheduled("isa_reminders", "cron", run_at_start=True, hour=7, minute=0)
def isa_reminders() -> None:
    """Email hub managers before an agreement's review or expiry date."""
    sharing.isa_reminders(permissions.hub_today())


@scheduled("overdue_reminders", "cron", run_at_start=True, hour=7, minute=30)
def overdue_reminders() -> None:
    """Remind owners, or else coordinators, of overdue actions and risk reassessments."""
    reminders.overdue_reminders(permissions.hub_today())


@scheduled("conferences", "interval", run_at_start=True, hours=1)
def conference_job() -> None:
    """Create the coming weekly conferences, propose any urgent conference a referral still
    needs, and build the agendas now open."""
    slot.ensure_weekly_conferences(permissions.hub_today())
    urgent.propose_due(utcnow())
    agenda.build_due_agendas(utcnow())


@scheduled("police_uk_imports", "interval", run_at_start=True, seconds=10)
def police_uk_imports() -> None:
    """Run uploaded police.uk imports, and resume any whose runner stopped mid-way."""
    police_uk.run_waiting(utcnow())


@scheduled("monthly_reports", "cron", run_at_start=True, hour=6, minute=30)
def monthly_reports() -> None:
    """From the first working day of a month, file each hub's report for the month before."""
    reports.due_reports(utcnow())
