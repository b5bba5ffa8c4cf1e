"""The data lifecycle's scheduled work, run by the hub's clock. Idempotent."""

from hub.clock.scheduler import scheduled
from hub.core.timeutil import utcnow
from hub.lifecycle import retention


@scheduled("retention_review", "cron", run_at_start=True, hour=2, minute=15)
def retention_review() -> None:
    """Write the retention reviews of closed cases and referrals not taken on, and anonymise
    the records whose retention has ended (never while a case is open or on legal hold)."""
    retention.run(utcnow())
