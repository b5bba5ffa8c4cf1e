"""The end of retention: each hub's retention periods, legal holds on cases, and the review of
each case's (or declined referral's) records by data category."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db
from hub.models.base import UTCDateTime, created_now


class HubRetention(db.Model):
    """A hub's own retention periods, in months, where it departs from the defaults
    (hub.lifecycle.retention.DEFAULT_MONTHS): {data category or "not_taken_on": months}."""

    __tablename__ = "hub_retention"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"), unique=True)
    months: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # A form opened before someone else's change is refused (hub.core.locking).
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class LegalHold(db.Model):
    """A case whose records must be kept past their retention (litigation, an inquiry, a
    complaint to the regulator): nothing of it ends while a hold is in place."""

    __tablename__ = "legal_hold"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    placed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class RetentionStatus:
    PENDING = "pending"
    DONE = "done"


class RetentionReview(db.Model):
    """One data category of one closed case (or of one referral not taken on): when its
    retention ends, and whether its records have been anonymised."""

    __tablename__ = "retention_review"
    # One of case_id and referral_id is set; NULLs are distinct, so each pair is unique.
    __table_args__ = (
        UniqueConstraint("case_id", "category"),
        UniqueConstraint("referral_id", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(30))
    # From when the period runs: the case's closure, the referral's triage decision.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(10), default=RetentionStatus.PENDING)
    # Why the last run left it (case_open, legal_hold), so a refusal is audited once.
    refused: Mapped[str | None] = mapped_column(String(20))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    records: Mapped[int] = mapped_column(default=0)
