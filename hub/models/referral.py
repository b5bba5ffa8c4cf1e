"""Referrals: what a partner submits to the hub, the people in it, and the incident history
that repeat matching searches.

A referral is itself a personal record (data category "incident": its description, location
and summary); each person named in it is another (category "identity"). Once triage puts a
referral on a case, both carry the case_id, so hub.permissions.visible_records() decides who
on the case may see them, exactly as for any other record on the case.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import PERSONAL, UTCDateTime, created_now
from hub.models.case import PersonalRecord
from hub.models.org import Agency, Hub


class ReferralStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    TRIAGED = "triaged"

    @property
    def label(self) -> str:
        return {"draft": "Draft", "submitted": "Awaiting triage", "triaged": "Triaged"}[self.value]


class About(StrEnum):
    PERSON = "person"
    PROBLEM = "problem"
    PLACE = "place"


class AsbCategory(StrEnum):
    PERSONAL = "personal"
    NUISANCE = "nuisance"
    ENVIRONMENTAL = "environmental"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class TriageDecision(StrEnum):
    NEW_CASE = "new_case"
    ADDED_TO_CASE = "added_to_case"
    DECLINED = "declined"
    SIGNPOSTED = "signposted"

    @property
    def label(self) -> str:
        return {
            "new_case": "New case opened",
            "added_to_case": "Added to an existing case",
            "declined": "Declined",
            "signposted": "Signposted to one agency",
        }[self.value]


class PersonRole(StrEnum):
    VICTIM = "victim"
    SUBJECT = "subject"
    WITNESS = "witness"
    HOUSEHOLD_MEMBER = "household_member"

    @property
    def label(self) -> str:
        return {
            "victim": "Victim or complainant",
            "subject": "Subject (alleged perpetrator)",
            "witness": "Witness",
            "household_member": "Household member",
        }[self.value]


VULNERABILITIES = {
    "age": "Age",
    "disability": "Disability",
    "mental_health": "Mental health",
    "isolation": "Isolation",
    "children": "Children in the household",
    "language": "Language",
}


class HubRulesetVersion(db.Model):
    """Every scoring ruleset a hub has used, by version, so an old score stays explainable and
    a hub manager can see what changed. The one in use is HubScoringSettings.ruleset."""

    __tablename__ = "hub_ruleset_version"
    __table_args__ = (UniqueConstraint("hub_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(40))
    ruleset: Mapped[dict] = mapped_column(JSON)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)


AGE_BANDS = ["under_10", "10_17", "18_24", "25_44", "45_64", "65_79", "80_plus"]


class HubScoringSettings(db.Model):
    """A hub's scoring rules (rules are data, versioned) and its weekly conference slot, which
    sets the medium band's deadline. No row, or no ruleset: the documented default applies."""

    __tablename__ = "hub_scoring_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"), unique=True)
    ruleset: Mapped[dict | None] = mapped_column(JSON)
    ruleset_version: Mapped[str | None] = mapped_column(String(40))
    conference_weekday: Mapped[int | None] = mapped_column(Integer)  # 0 = Monday
    conference_time: Mapped[str | None] = mapped_column(String(5))  # "HH:MM", Europe/London
    # The hub's incident categories, ASB types and hate strands (referrals.classification);
    # none: the default lists.
    classification: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)


class Referral(PersonalRecord, db.Model):
    """A referral to the hub. `category` (from PersonalRecord) is its data category,
    "incident"; the ASB category (personal/nuisance/environmental) is `asb_category`.

    A draft keeps what its author has typed so far in `draft`; the columns are filled when it
    is submitted and scored."""

    __tablename__ = "referral"
    record_type = "referral"
    __table_args__ = (
        UniqueConstraint("reference"),
        UniqueConstraint("user_id", "idempotency_key"),
        UniqueConstraint("form_token"),
        Index("ix_referral_hub_status", "hub_id", "status"),
        Index("ix_referral_agency", "agency_id", "hub_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    reference: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default=ReferralStatus.DRAFT.value)
    draft: Mapped[dict | None] = mapped_column(JSON, info=PERSONAL)

    about: Mapped[str | None] = mapped_column(String(10))
    asb_category: Mapped[str | None] = mapped_column(String(15))
    summary: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)
    description: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    first_incident_on: Mapped[date | None] = mapped_column(Date)
    incident_count: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(300), info=PERSONAL)
    postcode: Mapped[str | None] = mapped_column(String(8), info=PERSONAL)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    consent_given: Mapped[bool | None] = mapped_column(Boolean)
    consent_reason: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    risk: Mapped[dict | None] = mapped_column(JSON, info=PERSONAL)

    score: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str | None] = mapped_column(String(10))
    explanation: Mapped[list | None] = mapped_column(JSON)
    overridden_by: Mapped[str | None] = mapped_column(String(40))
    conference_due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_every_days: Mapped[int | None] = mapped_column(Integer)
    next_review_on: Mapped[date | None] = mapped_column(Date)
    case_review_threshold_met: Mapped[bool] = mapped_column(default=False)
    case_review_reason: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    repeat: Mapped[dict | None] = mapped_column(JSON)
    # Open cases matching seems to concern: shown to coordinators only, never the referrer.
    suggested_case_ids: Mapped[list | None] = mapped_column(JSON)
    ruleset_version: Mapped[str | None] = mapped_column(String(40))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    decision: Mapped[str | None] = mapped_column(String(15))
    decision_reason: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A coordinator's band at triage, where it differs from the scored band, and why (the
    # reason is kept here, on the record; the audit log holds only that one was given).
    triage_band: Mapped[str | None] = mapped_column(String(10))
    triage_band_reason: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    # Risk questions answered "don't know": scored as no, shown to the coordinator.
    risk_unknown: Mapped[list | None] = mapped_column(JSON)
    # Classification by the hub's lists (referrals.classification): the national incident
    # category, the ASB type, the hate strands where hate-motivated, a linked crime reference.
    incident_category: Mapped[str | None] = mapped_column(String(40))
    asb_type: Mapped[str | None] = mapped_column(String(40))
    hate_strands: Mapped[list | None] = mapped_column(JSON)
    crime_reference: Mapped[str | None] = mapped_column(String(40), info=PERSONAL)
    signposted_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)

    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    # SHA-256 of the submitted JSON: a key reused for a different referral is refused.
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    form_token: Mapped[str | None] = mapped_column(String(64))
    # Optimistic locking: two coordinators triaging at once cannot both decide.
    version: Mapped[int] = mapped_column(default=1)

    hub: Mapped[Hub] = relationship()
    agency: Mapped[Agency] = relationship(foreign_keys=[agency_id])
    signposted_agency: Mapped[Agency | None] = relationship(foreign_keys=[signposted_agency_id])
    user = relationship("User", foreign_keys=[user_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    case = relationship("Case")
    people: Mapped[list["ReferralPerson"]] = relationship(
        back_populates="referral",
        cascade="all, delete-orphan",
        order_by="ReferralPerson.position",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return ReferralStatus(self.status).label

    @property
    def decision_label(self) -> str:
        return TriageDecision(self.decision).label if self.decision else ""


class ReferralPerson(PersonalRecord, db.Model):
    """A person named in a referral (data category "identity")."""

    __tablename__ = "referral_person"
    record_type = "referral_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    name_key: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    is_group: Mapped[bool] = mapped_column(default=False)
    date_of_birth: Mapped[date | None] = mapped_column(Date, info=PERSONAL)
    age_band: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(String(300), info=PERSONAL)
    address_key: Mapped[str | None] = mapped_column(String(300), info=PERSONAL)
    phone: Mapped[str | None] = mapped_column(String(40), info=PERSONAL)
    email: Mapped[str | None] = mapped_column(String(254), info=PERSONAL)
    vulnerabilities: Mapped[list] = mapped_column(JSON, default=list, info=PERSONAL)

    referral: Mapped[Referral] = relationship(back_populates="people")

    @property
    def role_label(self) -> str:
        return PersonRole(self.role).label


class Incident(db.Model):
    """One earlier incident in the hub's history, reduced to matching keys (no names).

    A referral adds one row per victim/subject pair (zip-longest); only the first row carries
    the place, so each incident counts once per kind. Keys: victim/subject "n:<name>|d:<dob>"
    and "n:<name>|a:<address>"; place the normalised address; cell a ~50 m grid square.
    Each key has an index (hub_id, key, occurred_on) so a count is an index range scan."""

    __tablename__ = "incident"
    __table_args__ = (
        Index("ix_incident_victim", "hub_id", "victim_key", "occurred_on"),
        Index("ix_incident_victim_addr", "hub_id", "victim_addr_key", "occurred_on"),
        Index("ix_incident_subject", "hub_id", "subject_key", "occurred_on"),
        Index("ix_incident_subject_addr", "hub_id", "subject_addr_key", "occurred_on"),
        Index("ix_incident_place", "hub_id", "place_key", "occurred_on"),
        Index("ix_incident_cell", "hub_id", "cell", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id"))
    occurred_on: Mapped[date] = mapped_column(Date)
    victim_key: Mapped[str | None] = mapped_column(String(120), info=PERSONAL)
    victim_addr_key: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)
    subject_key: Mapped[str | None] = mapped_column(String(120), info=PERSONAL)
    subject_addr_key: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)
    place_key: Mapped[str | None] = mapped_column(String(200), info=PERSONAL)
    cell: Mapped[str | None] = mapped_column(String(24))
    hate: Mapped[bool] = mapped_column(default=False)
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    # Set when the incident was logged on an open case (hub.casework.incidents), not referred.
    case_incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_incident.id", ondelete="CASCADE"), index=True
    )
