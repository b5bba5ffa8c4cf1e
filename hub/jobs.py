"""Every area's scheduled jobs, registered with hub.scheduler. Each is idempotent."""

import hub.scheduler  # noqa: F401 - the heartbeat
from hub import permissions, sharing
from hub.accounts import jobs as account_jobs  # noqa: F401 - registers the accounts' jobs
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
