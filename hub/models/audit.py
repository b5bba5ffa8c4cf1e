"""The audit log: append-only, each entry hash-chained to the one before it."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db
from hub.models.base import UTCDateTime, created_now


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now, index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    outcome: Mapped[str] = mapped_column(String(10), default="ok")  # ok | denied | failed
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hub.id"), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(60))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    request_id: Mapped[str | None] = mapped_column(String(40))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditAnchor(db.Model):
    """A fixed point of the chain kept beside it. A re-chaining (once, to take personal data
    out of entries written before the log held metadata only) keeps here the head it
    superseded, so anyone holding that old head can see where and why the chain changed."""

    __tablename__ = "audit_anchor"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # rechain
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    entry_id: Mapped[int] = mapped_column()  # the chain's head when the anchor was made
    entry_hash: Mapped[str] = mapped_column(String(64))
    superseded_hash: Mapped[str | None] = mapped_column(String(64))  # the head it replaced
    first_changed_id: Mapped[int | None] = mapped_column()
    redacted_entries: Mapped[int] = mapped_column(default=0)
