"""Cases and the agencies that are members of them."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from hub.extensions import db
from hub.models.base import PERSONAL, UTCDateTime, created_now, once_per_form
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
    __table_args__ = (
        Index("ix_case_membership_active", "case_id", "agency_id", "removed_at"),
        # One active membership per agency and case, however two requests interleave.
        Index(
            "uq_case_membership_active",
            "case_id",
            "agency_id",
            unique=True,
            postgresql_where=text("removed_at IS NULL"),
            sqlite_where=text("removed_at IS NULL"),
        ),
    )

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
    __table_args__ = (once_per_form("case_note"),)
    record_type = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text, info=PERSONAL)
    form_token: Mapped[str | None] = mapped_column(String(40))
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now, index=True)
    # Set when the note was taken in discussion of this agenda item at a conference.
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_item.id"), index=True)


class DeadlineSource(StrEnum):
    """What set a case's conference deadline."""

    INTAKE = "intake"  # the referral the case was opened from (its own deadline)
    REFERRAL_ADDED = "referral_added"  # a more urgent referral joined the case
    TRIAGE = "triage"  # a coordinator set the band at triage
    REASSESSMENT = "reassessment"  # a signed risk assessment raised the band
    CONFERENCE = "conference"  # a conference decision raised the band
    INCIDENT = "incident"  # a new incident on the case raised the band

    @property
    def label(self) -> str:
        return {
            "intake": "Referral",
            "referral_added": "Referral added to the case",
            "triage": "Band set at triage",
            "reassessment": "Risk reassessment",
            "conference": "Conference decision",
            "incident": "New incident",
        }[self.value]


class CaseDeadline(db.Model):
    """A deadline by which the partners must hold a conference on a case, set when the case
    is opened or its band is raised. It drives conferences as a referral's deadline does
    (hub.conferences.urgent and agenda) and is kept for the timeliness record: it is met by
    the first held conference with the case on its agenda from `set_at` on. Nothing personal:
    a band, times and what set it."""

    __tablename__ = "case_deadline"
    __table_args__ = (Index("ix_case_deadline_hub_due", "hub_id", "due_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"))
    band: Mapped[str] = mapped_column(String(10))
    due_by: Mapped[datetime] = mapped_column(UTCDateTime)
    # From when a conference counts for it (a referral's deadline: when it was submitted).
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(20))
    # The referral whose own deadline this is: the timeliness record counts it on the
    # referral, once, and this row only makes the case carry it.
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    # The assessment, decision or incident that set it, by id (its kind follows the source).
    record_id: Mapped[int | None] = mapped_column()
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    case: Mapped[Case] = relationship()
