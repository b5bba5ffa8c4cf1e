"""Case conferences: a hub's weekly slot, each conference, and its agenda.

Nothing here is personal data: a conference carries a time and a place, and an agenda item
points at a referral or a case, whose details are shown only through hub.permissions.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import PERSONAL, UTCDateTime, created_now
from hub.models.org import Hub


class ConferenceKind(StrEnum):
    WEEKLY = "weekly"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return {"weekly": "Weekly conference", "urgent": "Urgent conference"}[self.value]


class ConferenceStatus(StrEnum):
    PROPOSED = "proposed"  # an urgent conference the coordinator has not yet confirmed
    SCHEDULED = "scheduled"
    LIVE = "live"  # the chair has opened it and is recording decisions
    HELD = "held"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {"live": "In progress"}.get(self.value, self.value.capitalize())


class AgendaReason(StrEnum):
    NEW_REFERRAL = "new_referral"
    NEW_CASE = "new_case"  # triaged into a case that has not yet been conferenced
    URGENT = "urgent"
    CASE_REVIEW = "case_review"
    REVIEW_DUE = "review_due"
    OVERDUE_ACTIONS = "overdue_actions"
    OVERDUE_REASSESSMENT = "overdue_reassessment"
    READY_FOR_EVALUATION = "ready_for_evaluation"
    POWER_DUE = "power_due"  # a power in force expires or is due for review soon
    ADDED_BY_COORDINATOR = "added_by_coordinator"
    RISK_RAISED = "risk_raised"  # an open case's band was raised: its deadline needs a meeting

    @property
    def label(self) -> str:
        return {
            "new_referral": "New referral",
            "new_case": "New case awaiting conference",
            "urgent": "Urgent: deadline before the weekly conference",
            "case_review": "ASB case review application",
            "review_due": "Review due",
            "overdue_actions": "Overdue actions",
            "overdue_reassessment": "Risk reassessment overdue",
            "ready_for_evaluation": "Ready for evaluation",
            "power_due": "A power expires or is due for review",
            "added_by_coordinator": "Added by the coordinator",
            "risk_raised": "Risk raised: conference due",
        }[self.value]


class ConferenceSlot(db.Model):
    """A hub's weekly conference: when and where, who chairs, and how far ahead the
    scheduler creates conferences and builds their agendas."""

    __tablename__ = "conference_slot"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"), unique=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    time: Mapped[str] = mapped_column(String(5))  # "HH:MM", Europe/London
    place: Mapped[str] = mapped_column(String(200), default="")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    agenda_hours_before: Mapped[int] = mapped_column(Integer, default=48)
    weeks_ahead: Mapped[int] = mapped_column(Integer, default=4)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    version: Mapped[int] = mapped_column(default=1)

    hub: Mapped[Hub] = relationship()
    chair = relationship("User", foreign_keys=[chair_id])
    deputy = relationship("User", foreign_keys=[deputy_id])

    __mapper_args__ = {"version_id_col": version}

    standing_attendees: Mapped[list["StandingAttendee"]] = relationship(
        back_populates="slot", cascade="all, delete-orphan"
    )


class StandingAttendee(db.Model):
    """An agency expected at every weekly conference of the hub."""

    __tablename__ = "conference_standing_attendee"
    __table_args__ = (UniqueConstraint("slot_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("conference_slot.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))

    slot: Mapped[ConferenceSlot] = relationship(back_populates="standing_attendees")
    agency = relationship("Agency")


class Conference(db.Model):
    """One meeting. Unique per (hub, kind, start) so the scheduler creating it twice is a
    no-op."""

    __tablename__ = "conference"
    __table_args__ = (
        UniqueConstraint("hub_id", "kind", "starts_at"),
        Index("ix_conference_hub_starts", "hub_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default=ConferenceKind.WEEKLY.value)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default=ConferenceStatus.SCHEDULED.value)
    agenda_built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    # Why an urgent conference was proposed, in words that name no one.
    reason: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    # Running it: who chaired, and when it was opened and closed.
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Minutes are built from the decisions; the chair adds general remarks that name no one,
    # approves them (after which nothing about this conference changes) and circulates them.
    minutes_remarks: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    minutes_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    minutes_circulated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every change a person makes to the meeting or its minutes, so a stale form is
    # refused (checked by the services; the scheduler's agenda builds do not bump it).
    edit_version: Mapped[int] = mapped_column(Integer, default=1)

    hub: Mapped[Hub] = relationship()
    chair = relationship("User", foreign_keys=[chair_id])
    minutes_approved_by = relationship("User", foreign_keys=[minutes_approved_by_id])
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="conference", order_by="AgendaItem.position"
    )


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    APOLOGIES = "apologies"
    ABSENT = "absent"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Attendance(db.Model):
    """Who came: an agency, and the person who represented it where they have an account
    (user_id) or by name where they do not."""

    __tablename__ = "conference_attendance"
    __table_args__ = (
        Index("ix_conference_attendance_conference", "conference_id", "agency_id"),
        # One row per agency and person: "u12" for a user, "n:jane smith" for a typed name.
        UniqueConstraint("conference_id", "agency_id", "person_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    name: Mapped[str] = mapped_column(String(120), default="", info=PERSONAL)
    person_key: Mapped[str] = mapped_column(
        String(130),
        default=lambda ctx: Attendance.key_of(
            ctx.current_parameters["user_id"], ctx.current_parameters["name"] or ""
        ),
        info=PERSONAL,
    )
    status: Mapped[str] = mapped_column(String(10), default=AttendanceStatus.PRESENT.value)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)

    agency = relationship("Agency")
    user = relationship("User", foreign_keys=[user_id])

    @staticmethod
    def key_of(user_id: int | None, name: str) -> str:
        """Who the row is about, as one value the unique rule can compare."""
        return f"u{user_id}" if user_id is not None else "n:" + " ".join(name.lower().split())


def _where_set(name: str, *columns: str, unique: bool = False) -> Index:
    """An index of the rows whose last column is set, on PostgreSQL and SQLite alike."""
    where = text(f"{columns[-1]} IS NOT NULL")
    return Index(name, *columns, unique=unique, postgresql_where=where, sqlite_where=where)


class AgendaItem(db.Model):
    """A referral or a case to discuss. A removed item stays (removed=True) so the builder
    does not put it back."""

    __tablename__ = "agenda_item"
    # An item is a referral's or a case's (a referral's gains its case when the conference
    # opens one). Each index skips the rows whose column is empty: every index entry is paid
    # for on each of the thousands of rows a large hub's agenda build inserts.
    __table_args__ = (
        # An agenda in order, and where the next item goes.
        Index("ix_agenda_item_conference_position", "conference_id", "position"),
        _where_set(
            "uq_agenda_item_conference_referral", "conference_id", "referral_id", unique=True
        ),
        _where_set("uq_agenda_item_conference_case", "conference_id", "case_id", unique=True),
        _where_set("ix_agenda_item_referral", "referral_id"),
        _where_set("ix_agenda_item_case", "case_id"),
        _where_set("ix_agenda_item_case_review", "case_review_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"))
    case_review_id: Mapped[int | None] = mapped_column(ForeignKey("case_review.id"))
    reason: Mapped[str] = mapped_column(String(24))
    position: Mapped[int] = mapped_column(Integer)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    # Set when the chair records the first note or decision on it at a live conference.
    discussed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    conference: Mapped[Conference] = relationship(back_populates="items")
    referral = relationship("Referral")
    case = relationship("Case")
    case_review = relationship("CaseReview")


class DecisionKind(StrEnum):
    OPEN_CASE = "open_case"
    DECLINE = "decline"
    LEAD_AGENCY = "lead_agency"
    ADD_MEMBER = "add_member"
    BAND = "band"
    ACTION = "action"
    NEXT_REVIEW = "next_review"
    CASE_REVIEW = "case_review"
    REVIEW_THRESHOLD = "review_threshold"
    SPOC = "spoc"
    CLOSE = "close"

    @property
    def label(self) -> str:
        return {
            "open_case": "Open the case",
            "decline": "Decline",
            "lead_agency": "Agree the lead agency",
            "add_member": "Add a member agency",
            "band": "Set the band",
            "action": "Assign an action",
            "next_review": "Set the next review date",
            "case_review": "Refer to an ASB case review",
            "review_threshold": "Decide the ASB case review threshold",
            "spoc": "Confirm or change the SPoC",
            "close": "Close the case",
        }[self.value]


class ConferenceDecision(db.Model):
    """A decision taken on an agenda item, already written into the case when recorded. The
    minutes are built from these rows, which never change once the minutes are approved.

    `summary` is what the minutes say; it can name an action's task, so it is shown only to
    readers who may open the case (hub.permissions)."""

    __tablename__ = "conference_decision"
    __table_args__ = (Index("ix_conference_decision_conference", "conference_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conference.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_item.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, info=PERSONAL)
    reason: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    details: Mapped[dict] = mapped_column(JSON, default=dict, info=PERSONAL)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("case_action.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)

    conference: Mapped[Conference] = relationship()
    item: Mapped[AgendaItem] = relationship()
    case = relationship("Case")
    referral = relationship("Referral")
    decided_by = relationship("User")


class CaseReviewStatus(StrEnum):
    RECEIVED = "received"  # awaiting the threshold decision at conference
    THRESHOLD_NOT_MET = "not_met"
    REVIEW_DUE = "review_due"  # threshold met: the review is to be held
    COMPLETED = "completed"

    @property
    def label(self) -> str:
        return {
            "received": "Received",
            "not_met": "Threshold not met",
            "review_due": "Review due",
            "completed": "Completed",
        }[self.value]


class CaseReviewApplicant(StrEnum):
    VICTIM = "victim"
    ON_BEHALF = "on_behalf"  # with the victim's consent: family, carer, councillor, MP

    @property
    def label(self) -> str:
        return {
            "victim": "The victim",
            "on_behalf": "Someone on the victim's behalf, with their consent",
        }[self.value]


class LetterChannel(StrEnum):
    """How a letter to an ASB case review's applicant was sent."""

    POST = "post"
    EMAIL = "email"
    BY_HAND = "by_hand"

    @property
    def label(self) -> str:
        return {"post": "By post", "email": "By email", "by_hand": "By hand"}[self.value]


class CaseReview(db.Model):
    """An ASB case review (Anti-social Behaviour, Crime and Policing Act 2014, s.104): an
    application by or for a victim, or a referral by a conference. Nothing personal here: the
    applicant's details stay in the case's records."""

    __tablename__ = "case_review"
    __table_args__ = (
        UniqueConstraint("reference"),
        Index("ix_case_review_hub", "hub_id"),
        # One application per case awaits its threshold decision at a time.
        Index(
            "uq_case_review_awaiting",
            "case_id",
            unique=True,
            postgresql_where=text("status = 'received'"),
            sqlite_where=text("status = 'received'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(30))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"))
    source: Mapped[str] = mapped_column(String(12))  # application | conference
    applicant: Mapped[str | None] = mapped_column(
        String(12)
    )  # an application's CaseReviewApplicant
    # How many complaints about the ASB the applicant says they made in the hub's window (the
    # threshold's test), when the application says.
    complaints_reported: Mapped[int | None] = mapped_column(Integer)
    received_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=CaseReviewStatus.RECEIVED.value)
    threshold_met: Mapped[bool | None] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The statutory timescales (hub.conferences.timescales): each step's day, once taken.
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    held_on: Mapped[date | None] = mapped_column(Date)  # the review meeting
    outcome_sent_on: Mapped[date | None] = mapped_column(Date)  # the outcome letter
    # The victim's own account of the ASB: invited, then given or declined.
    victim_invited_on: Mapped[date | None] = mapped_column(Date)
    victim_account: Mapped[str | None] = mapped_column(String(10))  # VictimAccount
    victim_account_on: Mapped[date | None] = mapped_column(Date)
    # The independent chair: a person's name and role, and the agency they come from (none
    # when from outside the partnership).
    chair_name: Mapped[str] = mapped_column(String(120), default="", info=PERSONAL)
    chair_role: Mapped[str] = mapped_column(String(120), default="", info=PERSONAL)
    chair_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    # An appeal against the outcome, heard by someone other than the review's chair.
    appeal_lodged_on: Mapped[date | None] = mapped_column(Date)
    appeal_chair_name: Mapped[str] = mapped_column(String(120), default="", info=PERSONAL)
    appeal_chair_role: Mapped[str] = mapped_column(String(120), default="", info=PERSONAL)
    appeal_decided_on: Mapped[date | None] = mapped_column(Date)
    appeal_upheld: Mapped[bool | None] = mapped_column(Boolean)
    # How each letter to the applicant went (a LetterChannel), and the appeal's outcome letter
    # (which has no statutory timescale, so only its day is kept).
    acknowledged_by: Mapped[str | None] = mapped_column(String(10))
    outcome_sent_by: Mapped[str | None] = mapped_column(String(10))
    appeal_letter_sent_on: Mapped[date | None] = mapped_column(Date)
    appeal_letter_sent_by: Mapped[str | None] = mapped_column(String(10))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    version: Mapped[int] = mapped_column(default=1)

    hub: Mapped[Hub] = relationship()
    case = relationship("Case")
    chair_agency = relationship("Agency")
    recommendations: Mapped[list["CaseReviewRecommendation"]] = relationship(
        back_populates="review", order_by="CaseReviewRecommendation.id"
    )

    __mapper_args__ = {"version_id_col": version}


class VictimAccount(StrEnum):
    RECEIVED = "received"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return {"received": "Account received", "declined": "Declined to give one"}[self.value]


class CaseReviewRecommendation(db.Model):
    """A review's recommendation, written into its case as an action (hub.casework.actions):
    the action holds the words; this row ties it to the review for the annual figures."""

    __tablename__ = "case_review_recommendation"
    __table_args__ = (UniqueConstraint("action_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_review_id: Mapped[int] = mapped_column(
        ForeignKey("case_review.id", ondelete="CASCADE"), index=True
    )
    action_id: Mapped[int] = mapped_column(ForeignKey("case_action.id", ondelete="CASCADE"))

    review: Mapped[CaseReview] = relationship(back_populates="recommendations")
    action = relationship("CaseAction")


# The statutory guidance's usual timescales, unless the hub sets its own.
DEFAULT_TIMESCALES = {
    "acknowledge_days": 2,  # working days from receipt
    "decision_days": 10,  # working days from receipt to the threshold decision
    "meeting_days": 28,  # calendar days from the decision to the review meeting
    "outcome_days": 5,  # working days from the meeting to the outcome letter
    "appeal_days": 20,  # working days from the outcome letter to lodge an appeal
}


class CaseReviewSettings(db.Model):
    """A hub's ASB case review timescales. The threshold itself (complaints in a window) is
    the hub's scoring rules' (scoring.rules.CaseReviewRule)."""

    __tablename__ = "hub_case_review_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"), unique=True)
    acknowledge_days: Mapped[int] = mapped_column(default=DEFAULT_TIMESCALES["acknowledge_days"])
    decision_days: Mapped[int] = mapped_column(default=DEFAULT_TIMESCALES["decision_days"])
    meeting_days: Mapped[int] = mapped_column(default=DEFAULT_TIMESCALES["meeting_days"])
    outcome_days: Mapped[int] = mapped_column(default=DEFAULT_TIMESCALES["outcome_days"])
    appeal_days: Mapped[int] = mapped_column(default=DEFAULT_TIMESCALES["appeal_days"])
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)


class DeadlineBreach(db.Model):
    """Why a referral's conference was not held within its band's deadline, as recorded by
    a coordinator or hub manager. Whether it was is computed, never stored."""

    __tablename__ = "conference_deadline_breach"
    __table_args__ = (
        UniqueConstraint("referral_id"),
        UniqueConstraint("case_deadline_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A referral's deadline, or a case's (one raised after it opened): exactly one is set.
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"))
    case_deadline_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_deadline.id", ondelete="CASCADE")
    )
    reason: Mapped[str] = mapped_column(Text, info=PERSONAL)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)

    recorded_by = relationship("User")
