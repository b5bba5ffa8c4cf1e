"""Every area's scheduled jobs, registered with hub.scheduler. Each is idempotent."""

import hub.clock.scheduler  # noqa: F401 - the heartbeat
from hub import permissions
from hub.casework import reminders
from hub.clock.scheduler import scheduled
from hub.conferences import agenda, slot, urgent
from hub.core.timeutil import utcnow
from hub.sharing import agreements


@scheduled("isa_reminders", "cron", run_at_start=True, hour=7, minute=0)
def isa_reminders() -> None:
    """Email hub managers before an agreement's review or expiry date."""
    agreements.isa_reminders(permissions.hub_today())


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
