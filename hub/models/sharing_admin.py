"""Section 115 administration (issue 4): the reminders sent before an agreement's review or
expiry, and the indexes that keep permission-filtered case lists fast."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.extensions import db
from hub.models.base import UTCDateTime, created_now
from hub.models.case import Case, CaseMembership


class IsaReminder(db.Model):
    """One row per reminder sent, so a reminder is never sent twice however often (or from
    however many workers) the job runs."""

    __tablename__ = "isa_reminder"
    __table_args__ = (UniqueConstraint("isa_id", "kind", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    isa_id: Mapped[int] = mapped_column(ForeignKey("isa.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # review | expiry
    due_on: Mapped[date] = mapped_column(Date)  # the review or expiry date reminded of
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    recipients: Mapped[int] = mapped_column(default=0)


# cases_with_access lists a hub's cases newest first and keeps those the agency is a member of:
# walk the hub's cases in order and probe membership, or (for an agency on few cases) start
# from the agency's memberships. These two indexes serve both plans (bench/bench_permissions.py).
Index("ix_case_hub_opened", Case.hub_id, Case.opened_at)
Index(
    "ix_case_membership_agency",
    CaseMembership.agency_id,
    CaseMembership.removed_at,
    CaseMembership.case_id,
)
