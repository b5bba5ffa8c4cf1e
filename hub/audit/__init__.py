"""The audit log: append-only and tamper-evident. Writing and verifying it is here (record,
verify_chain); reading it, for a hub's managers, is hub.audit.reading.

Each entry carries the SHA-256 of its own content and of the entry before it, so an edit or
deletion of any row breaks the chain at that point. Callers add the entry in the same
transaction as the change it records, so there is never a write without its audit entry.
"""

import hashlib
import json
from dataclasses import dataclass

from flask import g, has_request_context, request
from sqlalchemy import select, text

from hub.core import signals
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AuditEntry

GENESIS = "0" * 64
# Serialises writers on PostgreSQL so two transactions cannot chain to the same predecessor.
_CHAIN_LOCK_KEY = 0x46484155  # "FHAU"


def _canonical(entry: AuditEntry) -> str:
    return json.dumps(
        {
            "at": entry.at.isoformat(),
            "action": entry.action,
            "outcome": entry.outcome,
            "user_id": entry.user_id,
            "agency_id": entry.agency_id,
            "hub_id": entry.hub_id,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "ip_address": entry.ip_address,
            "request_id": entry.request_id,
            "legal_basis": entry.legal_basis,
            "details": entry.details,
            "prev_hash": entry.prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry).encode()).hexdigest()


def record(
    action: str,
    *,
    user=None,
    hub=None,
    agency_id: int | None = None,
    target=None,
    target_type: str | None = None,
    target_id=None,
    outcome: str = "ok",
    legal_basis: str | None = None,
    details: dict | None = None,
    commit: bool = False,
) -> AuditEntry:
    """Append one entry. `target` may be any model with an id; its class names the type."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK_KEY})
    prev = session.execute(
        select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one_or_none()
    if target is not None:
        target_type = target_type or type(target).__name__.lower()
        target_id = target.id
    entry = AuditEntry(
        at=utcnow().replace(microsecond=0),
        action=action,
        outcome=outcome,
        user_id=getattr(user, "id", None),
        agency_id=agency_id if agency_id is not None else getattr(user, "agency_id", None),
        hub_id=getattr(hub, "id", hub if isinstance(hub, int) else None),
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        ip_address=request.remote_addr if has_request_context() else None,
        request_id=g.get("request_id") if has_request_context() else None,
        legal_basis=legal_basis,
        details=details or {},
        prev_hash=prev or GENESIS,
    )
    entry.entry_hash = entry_hash(entry)
    session.add(entry)
    if commit:
        session.commit()
    else:
        session.flush()
    return entry


@signals.csrf_refused.connect
def _record_csrf_refusal(_app, *, user, method: str, path: str, **_) -> None:
    record(
        "csrf_refused",
        outcome="denied",
        user=user,
        details={"method": method, "path": path},
        commit=True,
    )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_at: int | None  # id of the first entry that does not verify
    reason: str | None


def verify_chain(batch: int = 1000) -> ChainReport:
    prev = GENESIS
    checked = 0
    rows = db.session.execute(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    ).scalars()
    for entry in rows:
        if entry.prev_hash != prev:
            return ChainReport(checked, entry.id, "does not follow the entry before it")
        if entry_hash(entry) != entry.entry_hash:
            return ChainReport(checked, entry.id, "its content does not match its hash")
        prev = entry.entry_hash
        checked += 1
    return ChainReport(checked, None, None)
