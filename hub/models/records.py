"""What partners add to an open case after it opens: new incidents (and, in hub.casework,
the evidence, letters and the lifecycle of powers). Each is a personal record with a data
category and an optional restriction, read only through hub.permissions."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import PERSONAL, UTCDateTime, created_now, once_per_form
from hub.models.case import PersonalRecord
from hub.models.org import Agency
from hub.models.user import User


class CaseIncident(PersonalRecord, db.Model):
    """A new incident a partner logs on an open case, without a new referral. It adds rows to
    the hub's matching history (hub.models.referral.Incident, case_incident_id), so it counts
    in the case's repeat history and the ASB case review threshold as a referral does."""

    __tablename__ = "case_incident"
    __table_args__ = (
        Index("ix_case_incident_case_occurred", "case_id", "occurred_on"),
        once_per_form("case_incident"),
    )
    record_type = "case_incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    # The day it happened in Europe/London (what the history counts), and the moment in UTC
    # when the time is known.
    occurred_on: Mapped[date] = mapped_column(Date)
    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(Text, info=PERSONAL)
    location: Mapped[str] = mapped_column(String(300), info=PERSONAL)
    people: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    reported_by: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    reported_to: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    # A crime reference ties the incident to a person's police record: personal too.
    crime_reference: Mapped[str | None] = mapped_column(String(40), info=PERSONAL)
    hate: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    form_token: Mapped[str | None] = mapped_column(String(40))

    recorded_by: Mapped[User] = relationship()
    agency: Mapped[Agency] = relationship(foreign_keys="CaseIncident.origin_agency_id")


class AgencyComplaint(PersonalRecord, db.Model):
    """A complaint about the case's ASB made to one partner agency (origin_agency_id) and
    recorded there, whether or not it became a referral or a logged incident. It counts
    towards the ASB case review threshold (hub.casework.complaints), where the same incident
    reported to several agencies counts once."""

    __tablename__ = "agency_complaint"
    __table_args__ = (
        Index("ix_agency_complaint_case_made", "case_id", "made_on"),
        once_per_form("agency_complaint"),
    )
    record_type = "agency_complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    made_on: Mapped[date] = mapped_column(Date)  # the day the complaint was made
    # Who complained and where it happened: what the same incident is recognised by.
    complainant: Mapped[str] = mapped_column(String(120), default="", info=PERSONAL)
    location: Mapped[str] = mapped_column(String(300), default="", info=PERSONAL)
    summary: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    form_token: Mapped[str | None] = mapped_column(String(40))

    agency: Mapped[Agency] = relationship(foreign_keys="AgencyComplaint.origin_agency_id")


# What a partner uploads, as the hub reports it.
EVIDENCE_KINDS = {
    "diary_sheet": "Diary sheet",
    "photo": "Photograph",
    "noise_recording": "Noise recording",
    "letter": "Letter",
    "witness_statement": "Witness statement",
    "other": "Other document",
}


class Evidence(PersonalRecord, db.Model):
    """A file uploaded on a case: its content is in the evidence store (hub.core.storage)
    under `storage_key`, served only through hub.permissions, each download audited."""

    __tablename__ = "case_evidence"
    __table_args__ = (once_per_form("case_evidence"),)
    record_type = "case_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    # The name the partner's file had (names often name people: personal).
    filename: Mapped[str] = mapped_column(String(120), info=PERSONAL)
    file_type: Mapped[str] = mapped_column(String(8))  # hub.core.uploads.TYPES key
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    form_token: Mapped[str | None] = mapped_column(String(40))

    uploaded_by: Mapped[User] = relationship()
    agency: Mapped[Agency] = relationship(foreign_keys="Evidence.origin_agency_id")

    @property
    def kind_label(self) -> str:
        return EVIDENCE_KINDS[self.kind]


class PowerStep(db.Model):
    """One step in a power's lifecycle (proposed, risk-assessed, applied for, granted, served,
    varied, expired, discharged, ...), with its date and, for court steps, the court, hearing
    date and whether the order is interim or full. The intervention keeps its current status;
    these keep how it got there. Read with the intervention, through its permission rule."""

    __tablename__ = "power_step"
    __table_args__ = (Index("ix_power_step_intervention", "intervention_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(20))
    on: Mapped[date] = mapped_column(Date)
    court: Mapped[str] = mapped_column(String(200), default="")
    hearing_on: Mapped[date | None] = mapped_column(Date)
    order_kind: Mapped[str | None] = mapped_column(String(8))
    expires_on: Mapped[date | None] = mapped_column(Date)
    review_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)

    recorded_by: Mapped[User] = relationship()


class PowerBreach(db.Model):
    """A breach of a power, in a structured log: when, what, who reported it and what was done.
    Any member agency that may see the power may report one; the coordinators are told at
    once. Read with the intervention, through its permission rule."""

    __tablename__ = "power_breach"
    __table_args__ = (
        Index("ix_power_breach_intervention", "intervention_id", "occurred_on"),
        once_per_form("power_breach"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    occurred_on: Mapped[date] = mapped_column(Date)
    what: Mapped[str] = mapped_column(Text, info=PERSONAL)
    reported_by: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    action_taken: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    form_token: Mapped[str | None] = mapped_column(String(40))

    agency: Mapped[Agency] = relationship()


class Letter(PersonalRecord, db.Model):
    """A letter made from one of the hub's templates (hub.casework.letters), filled from the
    case and kept on it exactly as issued: a letter sent is never edited, a new one is made."""

    __tablename__ = "case_letter"
    __table_args__ = (once_per_form("case_letter"),)
    record_type = "case_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    recipient_name: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    recipient_address: Mapped[str] = mapped_column(Text, info=PERSONAL)
    subject: Mapped[str] = mapped_column(String(300), info=PERSONAL)
    body: Mapped[str] = mapped_column(Text, info=PERSONAL)
    signed_by: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    # The intervention a community protection warning letter gives notice of, if any.
    intervention_id: Mapped[int | None] = mapped_column(
        ForeignKey("intervention.id", ondelete="SET NULL")
    )
    letter_date: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    form_token: Mapped[str | None] = mapped_column(String(40))

    agency: Mapped[Agency] = relationship(foreign_keys="Letter.origin_agency_id")
