"""The conferences' scheduled work, run by the hub's clock. Idempotent."""

from hub import permissions
from hub.clock.scheduler import scheduled
from hub.conferences import agenda, slot, timescales, urgent
from hub.core.timeutil import utcnow


@scheduled("conferences", "interval", run_at_start=True, hours=1)
def conference_job() -> None:
    """Create the coming weekly conferences, propose any urgent conference a referral still
    needs, and build the agendas now open."""
    slot.ensure_weekly_conferences(permissions.hub_today())
    urgent.propose_due(utcnow())
    agenda.build_due_agendas(utcnow())


@scheduled("case_review_timescales", "cron", run_at_start=True, hour=7, minute=50)
def case_review_timescales() -> None:
    """Remind coordinators of ASB case review steps due today, and tell them of missed ones."""
    timescales.send_reminders(permissions.hub_today())
