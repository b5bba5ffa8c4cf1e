"""Signed checkpoints of the audit chain, kept outside the database.

The hash chain shows an edit of any entry, but not an intruder who rewrites the chain from
that entry onwards, or cuts off the newest entries: what remains still chains. So the hub
writes down, every few minutes, the chain's head (the newest entry's id and hash), signed with
a key the database never holds, to a file outside it (AUDIT_CHECKPOINT_FILE) and to the log.
Verification then asks that every checkpoint's entry still be there with the same hash. An
intruder with the database alone can neither rewrite nor shorten the chain behind a
checkpoint, nor forge one; entries since the last checkpoint (minutes) are the only ones a
truncation could take unseen.
"""

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AuditEntry

log = logging.getLogger("hub.audit")


@dataclass(frozen=True)
class Checkpoint:
    entry_id: int
    entry_hash: str
    at: str  # ISO time it was made, UTC
    signature: str


def _key() -> bytes:
    """AUDIT_CHECKPOINT_KEY, or one derived from SECRET_KEY: never stored in the database."""
    configured = current_app.config.get("AUDIT_CHECKPOINT_KEY")
    secret = configured or current_app.config["SECRET_KEY"]
    return hmac.new(secret.encode(), b"focus-hub audit checkpoint", hashlib.sha256).digest()


def _sign(entry_id: int, entry_hash: str, at: str) -> str:
    message = f"{entry_id}|{entry_hash}|{at}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def _path() -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINT_FILE"])


def read() -> list[tuple[int, Checkpoint | None]]:
    """Every line of the checkpoint file: (line number, checkpoint or None if unreadable)."""
    path = _path()
    if not path.exists():
        return []
    lines = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        try:
            data = json.loads(line)
            lines.append((number, Checkpoint(**data)))
        except (ValueError, TypeError):
            lines.append((number, None))
    return lines


def make(now: datetime | None = None) -> Checkpoint | None:
    """Write down the committed head if it moved since the last checkpoint. Returns the new
    checkpoint, or None when there was nothing new."""
    head = db.session.execute(
        select(AuditEntry.id, AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    if head is None:
        return None
    last = [c for _, c in read() if c is not None]
    if last and last[-1].entry_id == head.id and last[-1].entry_hash == head.entry_hash:
        return None
    at = (now or utcnow()).replace(microsecond=0).isoformat()
    checkpoint = Checkpoint(head.id, head.entry_hash, at, _sign(head.id, head.entry_hash, at))
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:  # append only; one line per checkpoint
        out.write(json.dumps(checkpoint.__dict__, sort_keys=True) + "\n")
    log.info(json.dumps({"event": "audit_checkpoint", **checkpoint.__dict__}))
    return checkpoint


@dataclass(frozen=True)
class Finding:
    line: int
    problem: str


def check() -> list[Finding]:
    """What the checkpoints say is wrong with the database's chain: a forged or unreadable
    checkpoint, an entry gone (the log cut short) or changed (the chain rewritten)."""
    findings = []
    lines = read()
    wanted = {c.entry_id for _, c in lines if c is not None}
    stored = dict(
        db.session.execute(
            select(AuditEntry.id, AuditEntry.entry_hash).where(AuditEntry.id.in_(wanted))
        ).all()
    )
    for number, checkpoint in lines:
        if checkpoint is None:
            findings.append(Finding(number, "is not a checkpoint"))
            continue
        expected = _sign(checkpoint.entry_id, checkpoint.entry_hash, checkpoint.at)
        if not hmac.compare_digest(expected, checkpoint.signature):
            findings.append(Finding(number, "is not signed with this hub's key"))
        elif checkpoint.entry_id not in stored:
            findings.append(
                Finding(
                    number,
                    f"names entry {checkpoint.entry_id} (made {checkpoint.at}), which is gone: "
                    "the log was cut short",
                )
            )
        elif stored[checkpoint.entry_id] != checkpoint.entry_hash:
            findings.append(
                Finding(
                    number,
                    f"does not match entry {checkpoint.entry_id} (made {checkpoint.at}): the "
                    "chain was rewritten",
                )
            )
    return findings
