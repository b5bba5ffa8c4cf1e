"""The lessons-learned library: lessons drawn from evaluations, conference decisions, ASB case
reviews or written on their own, and the cases they were used on.

A published lesson holds nothing personal (hub.lessons.redaction checks it before it leaves
its author), so the hub reads it without a section 115 gate. A draft may still hold what the
check will find, so its words are marked PERSONAL like any case text."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import PERSONAL, UTCDateTime, created_now
from hub.models.user import User


class LessonStatus(StrEnum):
    DRAFT = "draft"  # its author's alone
    IN_REVIEW = "in_review"  # passed the personal-data check; awaiting a coordinator
    PUBLISHED = "published"  # in the library

    @property
    def label(self) -> str:
        return {"draft": "Draft", "in_review": "Awaiting review", "published": "Published"}[
            self.value
        ]


LESSON_SOURCES = {
    "evaluation": "A case's evaluation",
    "decision": "A conference decision",
    "case_review": "An ASB case review's recommendations",
    "own": "Written on its own",
}

PLACE_TYPES = {
    "residential_street": "Residential street",
    "flats": "Block of flats or housing estate",
    "town_centre": "Town centre or high street",
    "retail": "Shop or retail parade",
    "licensed": "Licensed premises or night-time economy",
    "park": "Park, play area or open space",
    "transport": "Bus or railway station, transport",
    "car_park": "Car park",
    "school": "School or college surroundings",
    "rural": "Rural lane, farmland or woodland",
    "beach": "Beach, harbour or seafront",
    "private_dwelling": "A private home",
}


class Lesson(db.Model):
    __tablename__ = "lesson"
    __table_args__ = (Index("ix_lesson_hub_status", "hub_id", "status", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12), default=LessonStatus.DRAFT.value)
    source: Mapped[str] = mapped_column(String(12), default="own")
    # The case it came from (its people's names are what the personal-data check looks for)
    # and the record on it: the evaluation, decision or case review.
    source_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="SET NULL"), index=True
    )
    source_record_id: Mapped[int | None] = mapped_column()
    title: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    problem: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    context: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    people_roles: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    tried: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    worked: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    not_worked: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    asb_category: Mapped[str | None] = mapped_column(String(15))
    place_type: Mapped[str | None] = mapped_column(String(20))
    interventions: Mapped[list] = mapped_column(JSON, default=list)
    outcome: Mapped[str | None] = mapped_column(String(20))
    tags: Mapped[list] = mapped_column(JSON, default=list, info=PERSONAL)
    # Fingerprints of the personal-data check's findings the author confirmed are not
    # personal ("Mill Lane" as a kind of place): hub.lessons.redaction.finding_key.
    confirmed: Mapped[list] = mapped_column(JSON, default=list)
    # The words the library searches, joined at publication (SQLite FTS5 / PostgreSQL).
    search_text: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    # How many cases it came from or helped on: the evidence ordering.
    cases_helped: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    author_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(default=1)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return LessonStatus(self.status).label


class LessonUse(db.Model):
    """A partner marked a suggested lesson as used on a case; the case's evaluation later says
    whether it helped (yes | no | unsure), which feeds the evidence ordering."""

    __tablename__ = "lesson_use"
    __table_args__ = (UniqueConstraint("lesson_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    marked_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    helped: Mapped[str | None] = mapped_column(String(8))
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("case_evaluation.id"))

    lesson: Mapped[Lesson] = relationship()
