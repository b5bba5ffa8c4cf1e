"""Analytics' scheduled work: uploaded police.uk imports, and the monthly reports."""

from hub.analytics import police_uk, reports
from hub.clock.scheduler import scheduled
from hub.core.timeutil import utcnow


@scheduled("police_uk_imports", "interval", run_at_start=True, seconds=10)
def police_uk_imports() -> None:
    """Run uploaded police.uk imports, and resume any whose runner stopped mid-way."""
    police_uk.run_waiting(utcnow())


@scheduled("monthly_reports", "cron", run_at_start=True, hour=6, minute=30)
def monthly_reports() -> None:
    """From the first working day of a month, file each hub's report for the month before."""
    reports.due_reports(utcnow())
