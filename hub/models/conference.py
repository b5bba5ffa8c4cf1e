"""Case conferences: a hub's weekly slot, each conference, and its agenda.

Nothing here is personal data: a conference carries a time and a place, and an agenda item
points at a referral or a case, whose details are shown only through hub.permissions.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import UTCDateTime, created_now
from hub.models.org import Hub


class ConferenceKind(StrEnum):
    WEEKLY = "weekly"
    URGENT = "urgent"

    @property
    def label(self) -> str:
        return {"weekly": "Weekly conference", "urgent": "Urgent conference"}[self.value]


class ConferenceStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class AgendaReason(StrEnum):
    NEW_REFERRAL = "new_referral"
    REVIEW_DUE = "review_due"
    OVERDUE_ACTIONS = "overdue_actions"
    READY_FOR_EVALUATION = "ready_for_evaluation"
    ADDED_BY_COORDINATOR = "added_by_coordinator"

    @property
    def label(self) -> str:
        return {
            "new_referral": "New referral",
            "review_due": "Review due",
            "overdue_actions": "Overdue actions",
            "ready_for_evaluation": "Ready for evaluation",
            "added_by_coordinator": "Added by the coordinator",
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

    hub: Mapped[Hub] = relationship()
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="conference", order_by="AgendaItem.position"
    )


class AgendaItem(db.Model):
    """A referral or a case to discuss. A removed item stays (removed=True) so the builder
    does not put it back."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("conference_id", "referral_id"),
        UniqueConstraint("conference_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referral.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id"), index=True)
    reason: Mapped[str] = mapped_column(String(24))
    position: Mapped[int] = mapped_column(Integer)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)

    conference: Mapped[Conference] = relationship(back_populates="items")
    referral = relationship("Referral")
    case = relationship("Case")
