"""Hubs and their partner agencies."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import UTCDateTime, created_now


class AgencyKind(StrEnum):
    POLICE = "police"
    COUNCIL = "council"
    HOUSING = "housing"
    FIRE = "fire"
    HEALTH = "health"
    EDUCATION = "education"
    PROBATION = "probation"
    YOUTH_JUSTICE = "youth_justice"
    VOLUNTARY = "voluntary"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class HubAgency(db.Model):
    """An agency's membership of a hub; an agency may belong to several hubs."""

    __tablename__ = "hub_agency"
    __table_args__ = (UniqueConstraint("hub_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)


class Hub(db.Model):
    """A local focus hub: its partner agencies and its weekly conference slot."""

    __tablename__ = "hub"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    area: Mapped[str] = mapped_column(String(200), default="")
    # Local accounts holding a role that reads personal data here must use two-factor
    # sign-in (hub/accounts/two_factor.py). On unless a system administrator turns it off.
    two_factor_required: Mapped[bool] = mapped_column(server_default=true())
    # Its published lessons are read by the other hubs on this installation that share
    # theirs (hub.permissions.can_see_lesson): sharing is reciprocal, and off until a hub
    # manager turns it on. Lessons hold nothing personal, so no section 115 gate applies.
    shares_lessons: Mapped[bool] = mapped_column(server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)

    agencies: Mapped[list["Agency"]] = relationship(
        secondary="hub_agency", back_populates="hubs", order_by="Agency.name", viewonly=True
    )

    def __repr__(self) -> str:
        return f"<Hub {self.slug}>"


class Agency(db.Model):
    """A partner organisation. Its users see what its signed agreements entitle it to."""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)

    hubs: Mapped[list[Hub]] = relationship(
        secondary="hub_agency", back_populates="agencies", order_by="Hub.name", viewonly=True
    )

    @property
    def kind_label(self) -> str:
        return AgencyKind(self.kind).label

    def __repr__(self) -> str:
        return f"<Agency {self.name}>"
