"""The audit log's scheduled work, run by the hub's clock. Idempotent."""

from hub.audit import checkpoints
from hub.clock.scheduler import scheduled


@scheduled("audit_checkpoint", "interval", run_at_start=True, minutes=10)
def audit_checkpoint() -> None:
    """Write down the chain's head, signed, outside the database (if it moved)."""
    checkpoints.make()
