"""Analytics: police.uk context incidents and their imports, the area a hub covers, and the
monthly partnership reports the scheduler files.

Nothing here is personal. police.uk publishes anonymised, month-level records snapped to a
public point ("On or near Bishopsgate"); the reports hold counts and case references only.
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
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import UTCDateTime, created_now
from hub.models.casework import CaseAction, Evaluation, Intervention
from hub.models.conference import AgendaItem
from hub.models.org import Hub
from hub.models.referral import Referral

ASB = "Anti-social behaviour"  # police.uk's crime type for ASB rows


class HubArea(db.Model):
    """The area a hub covers, as police.uk names it: local authority names (the LSOA name
    without its code, e.g. "City of London" from "City of London 001A") or single LSOA codes
    (E01000001). An import keeps only rows inside it."""

    __tablename__ = "hub_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"), unique=True)
    places: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class ImportStatus(StrEnum):
    QUEUED = "queued"  # uploaded; waiting for the scheduler
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"  # a malformed file: nothing written
    FAILED = "failed"  # an unexpected error; what was committed stays (re-import is safe)

    @property
    def label(self) -> str:
        return {
            "queued": "Waiting to start",
            "running": "Importing",
            "done": "Imported",
            "refused": "Refused",
            "failed": "Failed",
        }[self.value]


class PoliceUkImport(db.Model):
    """One import of police.uk street files into a hub, from the command line or an upload:
    its progress while it runs and its report when done (rows read, added, skipped and why)."""

    __tablename__ = "police_uk_import"
    __table_args__ = (Index("ix_police_uk_import_hub", "hub_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(10))  # upload | command
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    all_crimes: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(10), default=ImportStatus.QUEUED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Progress, committed with each batch of rows: a stopped import resumes after the last.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[dict] = mapped_column(JSON, default=dict)  # reason -> rows
    files: Mapped[list] = mapped_column(JSON, default=list)  # [{name, rows}]
    error: Mapped[str | None] = mapped_column(Text)

    hub: Mapped[Hub] = relationship()
    uploads: Mapped[list["PoliceUkUpload"]] = relationship(
        order_by="PoliceUkUpload.position", cascade="all, delete-orphan"
    )

    @property
    def status_label(self) -> str:
        return ImportStatus(self.status).label

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        return round(100 * self.rows_done / self.rows_total) if self.rows_total else 0


class PoliceUkUpload(db.Model):
    """An uploaded file, kept in the database so the scheduler (perhaps on another machine)
    can read it; its content is dropped once the import has finished."""

    __tablename__ = "police_uk_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        ForeignKey("police_uk_import.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)


class ContextIncident(db.Model):
    """A police.uk street-level record kept as context for the hub's places: month, crime type,
    where (snap point, LSOA, ~50 m cell as repeat matching uses) and last outcome.

    `source_key` makes re-import a no-op: the file's Crime ID, or for rows without one (every
    ASB row) a hash of the row and its occurrence among identical rows of the same file, since
    police.uk publishes several identical ASB rows for one snap point and month."""

    __tablename__ = "context_incident"
    __table_args__ = (
        UniqueConstraint("hub_id", "source_key"),
        Index("ix_context_incident_month", "hub_id", "month", "is_asb"),
        Index("ix_context_incident_cell", "hub_id", "cell", "month_index"),
        Index("ix_context_incident_latest", "hub_id", "month_index"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"))
    import_id: Mapped[int | None] = mapped_column(
        ForeignKey("police_uk_import.id", ondelete="SET NULL"), index=True
    )
    source_key: Mapped[str] = mapped_column(String(80))
    month: Mapped[date] = mapped_column(Date)  # the first day of the published month
    # year * 12 + month - 1: "the latest N months" in plain integer SQL on both databases.
    month_index: Mapped[int] = mapped_column(Integer)
    crime_type: Mapped[str] = mapped_column(String(60))
    is_asb: Mapped[bool] = mapped_column(Boolean)
    reported_by: Mapped[str] = mapped_column(String(100), default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    lsoa_code: Mapped[str] = mapped_column(String(12), default="")
    lsoa_name: Mapped[str] = mapped_column(String(100), default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    cell: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(150), default="")


class ContextMonthCount(db.Model):
    """How many context incidents (ASB, or other crime) a hub holds for a month: kept exact by
    the import, the only writer of context incidents, so the dashboard reads a few rows
    instead of counting a million."""

    __tablename__ = "context_month_count"
    __table_args__ = (UniqueConstraint("hub_id", "month", "is_asb"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    is_asb: Mapped[bool] = mapped_column(Boolean)
    incidents: Mapped[int] = mapped_column(Integer)


class MonthlyReport(db.Model):
    """The monthly partnership report for one hub and month, built once by the scheduler on
    the first working day of the month after (or on request) and filed: its figures as they
    stood then, and the PDF made from them."""

    __tablename__ = "monthly_report"
    __table_args__ = (UniqueConstraint("hub_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)  # the first day of the month reported
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    figures: Mapped[dict] = mapped_column(JSON)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)

    hub: Mapped[Hub] = relationship()


# Indexes the dashboard's aggregates read, declared here beside their reader rather than in
# each area's model: the referrals a hub received in a period, the open actions by agency,
# the evaluations recorded and the interventions served in a period.
# PostgreSQL answers the referral figures from the index alone (its INCLUDE columns): a
# referral's row is wide, and 20,000 random reads of it cost more than all the counting.
Index(
    "ix_referral_hub_submitted",
    Referral.hub_id,
    Referral.submitted_at,
    postgresql_include=[
        "id",
        "band",
        "asb_category",
        "status",
        "decision",
        "case_id",
        "conference_due_by",
    ],
)
Index(
    "ix_case_action_status_agency",
    CaseAction.status,
    CaseAction.agency_id,
    CaseAction.due_on,
    CaseAction.case_id,
)
# The held conferences' agenda items, for the deadline figures, without reading their rows.
Index(
    "ix_agenda_item_conference_held",
    AgendaItem.conference_id,
    postgresql_include=["referral_id", "case_id", "discussed_at", "removed"],
)
Index("ix_case_evaluation_recorded", Evaluation.recorded_at, Evaluation.case_id, Evaluation.outcome)
Index("ix_intervention_served", Intervention.served_on, Intervention.type, Intervention.case_id)
Index("ix_intervention_case_type", Intervention.case_id, Intervention.type)
