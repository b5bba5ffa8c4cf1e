"""Victims and their single points of contact (SPoCs): each victim's contact needs, the SPoC's
contact log, the call-backs they schedule, and which milestones the victim has been told of.

Every record here is "victim contact" data (DataCategory.VICTIM_CONTACT): it passes the
section 115 rule like any other personal record (hub.permissions.victim_records). A victim's
record may be restricted by the agency that made it; its contacts, call-backs and updates are
then seen only by whoever may see the victim.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import PERSONAL, UTCDateTime, created_now, once_per_form
from hub.models.case import PersonalRecord
from hub.models.user import User

VICTIM_CATEGORY = "victim_contact"


class Channel(StrEnum):
    PHONE = "phone"
    TEXT = "text"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"
    OFFICE = "office"
    VIDEO = "video"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {
    Channel.PHONE: "Phone call",
    Channel.TEXT: "Text message",
    Channel.EMAIL: "Email",
    Channel.LETTER: "Letter",
    Channel.VISIT: "Home visit",
    Channel.OFFICE: "In person at an office",
    Channel.VIDEO: "Video call",
}


class ContactOutcome(StrEnum):
    SPOKE = "spoke"  # the victim was reached
    MESSAGE_LEFT = "message_left"
    NO_ANSWER = "no_answer"

    @property
    def label(self) -> str:
        return {
            "spoke": "Spoke to the victim",
            "message_left": "Left a message",
            "no_answer": "No answer, no message left",
        }[self.value]


class RiskNow(StrEnum):
    """The risk the victim reports now, against the last contact."""

    LOWER = "lower"
    SAME = "same"
    HIGHER = "higher"

    @property
    def label(self) -> str:
        return {"lower": "Better", "same": "No change", "higher": "Worse"}[self.value]


class SupportConsent(StrEnum):
    NOT_ASKED = "not_asked"
    YES = "yes"
    NO = "no"

    @property
    def label(self) -> str:
        return {"not_asked": "Not asked yet", "yes": "Consents", "no": "Declines"}[self.value]


class CallBackStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class Victim(PersonalRecord, db.Model):
    """A victim on a case and what their SPoC needs to know to keep in touch safely: how and
    when to reach them, whether a message or letter is safe, language and access needs,
    support in place and consent to a referral for more, and whether they want updates."""

    __tablename__ = "victim"
    __table_args__ = (Index("ix_victim_spoc", "spoc_user_id"),)
    record_type = "victim"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    # The victim as named in a referral, when the SPoC took them from one.
    referral_person_id: Mapped[int | None] = mapped_column(ForeignKey("referral_person.id"))
    spoc_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    name: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    phone: Mapped[str | None] = mapped_column(String(40), info=PERSONAL)
    email: Mapped[str | None] = mapped_column(String(254), info=PERSONAL)
    address: Mapped[str | None] = mapped_column(String(300), info=PERSONAL)
    preferred_channel: Mapped[str] = mapped_column(String(12), default=Channel.PHONE.value)
    contact_times: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    # None: not yet asked. A SPoC never leaves a message or sends a letter unless it is safe.
    safe_to_leave_message: Mapped[bool | None] = mapped_column()
    safe_to_send_letter: Mapped[bool | None] = mapped_column()
    safety_notes: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    language: Mapped[str] = mapped_column(String(60), default="", info=PERSONAL)
    interpreter_needed: Mapped[bool] = mapped_column(default=False)
    access_needs: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    support_in_place: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    support_consent: Mapped[str] = mapped_column(String(10), default=SupportConsent.NOT_ASKED.value)
    support_referred_to: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    support_referred_on: Mapped[date | None] = mapped_column(Date)
    wants_updates: Mapped[bool] = mapped_column(default=True)
    # The closing question, for the case's evaluation: how satisfied the victim is with how
    # the partners dealt with the problem (SATISFACTION), and when they said so.
    satisfaction: Mapped[str | None] = mapped_column(String(20))
    satisfaction_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    version: Mapped[int] = mapped_column(default=1)

    spoc: Mapped[User | None] = relationship(foreign_keys=[spoc_user_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def channel_label(self) -> str:
        return Channel(self.preferred_channel).label


class VictimContact(PersonalRecord, db.Model):
    """One entry in the SPoC's contact log: when, how, who, what the victim reported, what
    they were told, and the risk they report now."""

    __tablename__ = "victim_contact"
    __table_args__ = (
        Index("ix_victim_contact_victim_at", "victim_id", "at"),
        once_per_form("victim_contact"),
    )
    record_type = "victim_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    victim_id: Mapped[int] = mapped_column(ForeignKey("victim.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(12))
    outcome: Mapped[str] = mapped_column(String(14))
    made_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reported: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    told: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    risk_now: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    form_token: Mapped[str | None] = mapped_column(String(40))

    made_by: Mapped[User] = relationship()

    @property
    def channel_label(self) -> str:
        return Channel(self.channel).label

    @property
    def outcome_label(self) -> str:
        return ContactOutcome(self.outcome).label


class CallBack(PersonalRecord, db.Model):
    """The next contact a SPoC has promised a victim, due at a time (stored UTC). Done by the
    contact that made it; a missed one is reminded and escalated (hub.victims.reminders)."""

    __tablename__ = "victim_call_back"
    __table_args__ = (
        Index("ix_victim_call_back_spoc_due", "spoc_user_id", "status", "due_at"),
        Index("ix_victim_call_back_status_due", "status", "due_at"),
        Index("ix_victim_call_back_victim", "victim_id", "status"),
        # One open call-back per victim, however two SPoCs' saves interleave.
        Index(
            "uq_victim_call_back_open",
            "victim_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )
    record_type = "victim_call_back"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    victim_id: Mapped[int] = mapped_column(ForeignKey("victim.id", ondelete="CASCADE"))
    spoc_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default=CallBackStatus.OPEN.value)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("victim_contact.id", ondelete="SET NULL")
    )
    scheduled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    version: Mapped[int] = mapped_column(default=1)

    spoc: Mapped[User] = relationship(foreign_keys=[spoc_user_id])

    __mapper_args__ = {"version_id_col": version}


class VictimUpdate(PersonalRecord, db.Model):
    """A milestone the victim was told of (hub.victims.milestones names them): when, how
    and by whom. One per victim and milestone."""

    __tablename__ = "victim_update"
    __table_args__ = (UniqueConstraint("victim_id", "milestone"),)
    record_type = "victim_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    victim_id: Mapped[int] = mapped_column(ForeignKey("victim.id", ondelete="CASCADE"))
    milestone: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(12))
    told_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    told_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    told_by: Mapped[User] = relationship()


SATISFACTION = {
    "very_satisfied": "Very satisfied",
    "satisfied": "Satisfied",
    "neither": "Neither satisfied nor dissatisfied",
    "dissatisfied": "Dissatisfied",
    "very_dissatisfied": "Very dissatisfied",
    "declined": "Did not want to say",
}
# Each answer as the evaluation's five-point scale (hub.models.casework.SATISFACTION);
# "declined" is no point on it.
SATISFACTION_POINTS = {
    "very_dissatisfied": 1,
    "dissatisfied": 2,
    "neither": 3,
    "satisfied": 4,
    "very_satisfied": 5,
}


# Working days between call-backs, by the case's band, unless the hub sets its own.
DEFAULT_CADENCE = {"critical": 2, "high": 5, "medium": 10, "standard": 20}


class VictimSettings(db.Model):
    """A hub's call-back cadence: working days between a SPoC's contacts, by band."""

    __tablename__ = "hub_victim_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"), unique=True)
    critical_days: Mapped[int] = mapped_column(default=DEFAULT_CADENCE["critical"])
    high_days: Mapped[int] = mapped_column(default=DEFAULT_CADENCE["high"])
    medium_days: Mapped[int] = mapped_column(default=DEFAULT_CADENCE["medium"])
    standard_days: Mapped[int] = mapped_column(default=DEFAULT_CADENCE["standard"])
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)

    def cadence(self) -> dict[str, int]:
        return {
            "critical": self.critical_days,
            "high": self.high_days,
            "medium": self.medium_days,
            "standard": self.standard_days,
        }
