"""Cases and the agencies that are members of them."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from hub.extensions import db
from hub.models.base import PERSONAL, UTCDateTime, created_now
from hub.models.org import Agency, Hub


class Stage(StrEnum):
    REFERRED = "referred"
    AWAITING_CONFERENCE = "awaiting_conference"
    ACTIVE = "active"
    REVIEW = "review"
    EVALUATION = "evaluation"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Band(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    STANDARD = "standard"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Case(db.Model):
    """The hub's shared record of one problem.

    The columns here are the board card (reference, stage, band, lead agency, next
    conference) plus dates and the score: nothing personal. Personal data lives in records
    that carry a data category (people, notes, assessments) and pass hub.permissions."""

    __tablename__ = "case"
    __table_args__ = (
        UniqueConstraint("reference"),
        Index("ix_case_hub_stage", "hub_id", "stage"),
        # The open cases of a hub (a small part of all, once years of closed cases build up):
        # what the agenda builder and the board's open columns scan.
        Index(
            "ix_case_hub_open",
            "hub_id",
            postgresql_where=text("stage <> 'closed'"),
            sqlite_where=text("stage <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"), index=True)
    reference: Mapped[str] = mapped_column(String(30))
    # A short, non-personal title ("Noise and intimidation, Mill Street flats").
    title: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    stage: Mapped[str] = mapped_column(String(24), default=Stage.REFERRED.value)
    band: Mapped[str] = mapped_column(String(10))
    score: Mapped[int] = mapped_column(default=0)
    score_explanation: Mapped[list] = mapped_column(JSON, default=list)
    ruleset_version: Mapped[str] = mapped_column(String(40), default="")
    lead_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    lead_agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lead_agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The conference at which the partners agreed the lead, when it was agreed at one.
    lead_agreed_conference_id: Mapped[int | None] = mapped_column(ForeignKey("conference.id"))
    spoc_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    conference_due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_conference_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_review_on: Mapped[date | None] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Optimistic locking: a save from a stale page is refused, never silently applied.
    version: Mapped[int] = mapped_column(default=1)

    hub: Mapped[Hub] = relationship()
    lead_agency: Mapped[Agency | None] = relationship(foreign_keys=[lead_agency_id])

    __mapper_args__ = {"version_id_col": version}


class MembershipRoute(StrEnum):
    REFERRAL = "referral"  # the referring agency, always a member
    TRIAGE = "triage"
    CONFERENCE = "conference"
    HUB_MANAGER = "hub_manager"


class CaseMembership(db.Model):
    """An agency's membership of a case: who added it, when, how and why. Removal ends it
    (removed_at) rather than deleting the row, so the history stays."""

    __tablename__ = "case_membership"
    __table_args__ = (Index("ix_case_membership_active", "case_id", "agency_id", "removed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    route: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    removal_reason: Mapped[str | None] = mapped_column(Text, info=PERSONAL)

    case: Mapped[Case] = relationship()
    agency: Mapped[Agency] = relationship()


class PersonalRecord:
    """Mixin for every record that holds personal data: its data category, the agency it came
    from, and (through RecordRestriction) an optional need-to-know list."""

    @declared_attr
    def category(cls) -> Mapped[str]:
        return mapped_column(String(30))

    @declared_attr
    def origin_agency_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("agency.id"), index=True)

    @declared_attr
    def restricted(cls) -> Mapped[bool]:
        # True when RecordRestriction rows narrow who may see this record.
        return mapped_column(default=False)

    record_type: str = ""  # set by each model: the key used in RecordRestriction


class CaseNote(PersonalRecord, db.Model):
    """A note or update on a case from a member agency."""

    __tablename__ = "case_note"
    record_type = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text, info=PERSONAL)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now, index=True)
    # Set when the note was taken in discussion of this agenda item at a conference.
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"), index=True)
