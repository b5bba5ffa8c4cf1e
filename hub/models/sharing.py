"""Section 115 information sharing: agreements, data categories, record restrictions."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import PERSONAL, UTCDateTime, created_now


class DataCategory(StrEnum):
    """The class of a piece of personal data. An agency sees a category on a case only when an
    agreement in force that it signed covers that category."""

    IDENTITY = "identity"
    INCIDENT = "incident"
    POLICE_INTELLIGENCE = "police_intelligence"
    HEALTH = "health"
    HOUSING = "housing"
    SAFEGUARDING = "safeguarding"
    VICTIM_CONTACT = "victim_contact"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    DataCategory.IDENTITY: "Identity",
    DataCategory.INCIDENT: "Incident",
    DataCategory.POLICE_INTELLIGENCE: "Police intelligence",
    DataCategory.HEALTH: "Health",
    DataCategory.HOUSING: "Housing and tenancy",
    DataCategory.SAFEGUARDING: "Safeguarding (children and adults at risk)",
    DataCategory.VICTIM_CONTACT: "Victim contact",
}


class IsaStatus(StrEnum):
    DRAFT = "draft"
    IN_FORCE = "in_force"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


class InformationSharingAgreement(db.Model):
    """An ISA: who signed, for what purpose, on what legal basis, covering which categories.

    "In force today" is decided at query time from status and dates (hub.permissions), so an
    expiry takes effect at midnight without any job having run."""

    __tablename__ = "isa"
    __table_args__ = (UniqueConstraint("hub_id", "reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)  # s115 CDA 1998 and the DPA 2018 basis
    status: Mapped[str] = mapped_column(String(12), default=IsaStatus.DRAFT.value)
    starts_on: Mapped[date] = mapped_column(Date)
    review_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)

    signatories: Mapped[list["IsaSignatory"]] = relationship(
        back_populates="isa", cascade="all, delete-orphan", lazy="selectin"
    )
    categories: Mapped[list["IsaCategory"]] = relationship(
        back_populates="isa", cascade="all, delete-orphan", lazy="selectin"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def category_values(self) -> set[str]:
        return {c.category for c in self.categories}


class IsaSignatory(db.Model):
    __tablename__ = "isa_signatory"
    __table_args__ = (UniqueConstraint("isa_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    isa_id: Mapped[int] = mapped_column(ForeignKey("isa.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    signed_by: Mapped[str] = mapped_column(String(200), info=PERSONAL)  # the signing officer
    signed_on: Mapped[date] = mapped_column(Date)

    isa: Mapped[InformationSharingAgreement] = relationship(back_populates="signatories")


class IsaCategory(db.Model):
    __tablename__ = "isa_category"
    __table_args__ = (UniqueConstraint("isa_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    isa_id: Mapped[int] = mapped_column(ForeignKey("isa.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(30))

    isa: Mapped[InformationSharingAgreement] = relationship(back_populates="categories")


class IsaVersion(db.Model):
    """A snapshot of an agreement each time it changes: its version history."""

    __tablename__ = "isa_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    isa_id: Mapped[int] = mapped_column(ForeignKey("isa.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column()
    snapshot: Mapped[dict] = mapped_column(JSON)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)


class RecordRestriction(db.Model):
    """An originating agency's need-to-know list for one personal record: when a record has
    any rows here, only these agencies (and the originator) may see it.

    Generic over record kinds (note, person, assessment, document) so one SQL filter serves
    them all: see hub.permissions.record_visible()."""

    __tablename__ = "record_restriction"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id", "agency_id"),
        Index("ix_record_restriction_lookup", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int] = mapped_column()
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)


class Disclosure(db.Model):
    """The disclosure register: which categories of one agency's data on a case reached which
    other agency, under which agreement, first and last when. Each read is also in the audit
    log; this is the register the originating agency and the hub manager review."""

    __tablename__ = "disclosure"
    __table_args__ = (UniqueConstraint("case_id", "from_agency_id", "to_agency_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    from_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    to_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    category: Mapped[str] = mapped_column(String(30))
    isa_id: Mapped[int] = mapped_column(ForeignKey("isa.id"))
    first_disclosed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    last_disclosed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    times: Mapped[int] = mapped_column(default=1)
