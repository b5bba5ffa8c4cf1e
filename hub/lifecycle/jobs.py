"""The data lifecycle's scheduled work, run by the hub's clock. Idempotent."""

import json
import logging

from hub.clock.scheduler import scheduled
from hub.core.timeutil import utcnow
from hub.lifecycle import retention

log = logging.getLogger("hub.lifecycle")


@scheduled("retention_review", "cron", run_at_start=True, hour=2, minute=15)
def retention_review() -> None:
    """Write the retention reviews of closed cases and referrals not taken on, and anonymise
    the records whose retention has ended (never while a case is open or on legal hold)."""
    report = retention.run(utcnow())
    # What was refused is in the audit log (once) and `hub retention --run` lists it; the
    # log line says how much, for the operator's dashboards.
    log.info(
        json.dumps(
            {
                "event": "retention_review",
                "reviews_written": report.written,
                "ended": len(report.ended),
                "refused": len(report.refused),
            }
        )
    )
