"""Working a case: risk assessments, the OSARA plan, actions, interventions and powers, the
evaluation, the activity log, followers and in-app notifications."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import PERSONAL, UTCDateTime, created_now, once_per_form
from hub.models.case import Case, PersonalRecord
from hub.models.org import Agency
from hub.models.user import User


class AssessmentKind(StrEnum):
    INITIAL = "initial"
    ON_CHANGE = "on_change"
    AT_REVIEW = "at_review"
    AT_CLOSURE = "at_closure"

    @property
    def label(self) -> str:
        return {
            "initial": "Initial",
            "on_change": "On change",
            "at_review": "At review",
            "at_closure": "At closure",
        }[self.value]


class RiskAssessment(PersonalRecord, db.Model):
    """A dated risk assessment. A draft can be edited; once signed it never changes (the
    service refuses, and a new assessment records any change in risk)."""

    __tablename__ = "risk_assessment"
    __table_args__ = (Index("ix_risk_assessment_case_signed", "case_id", "signed_at"),)
    record_type = "risk_assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    problem_type: Mapped[str] = mapped_column(String(16))  # personal | nuisance | environmental
    answers: Mapped[dict] = mapped_column(JSON, default=dict, info=PERSONAL)
    summary: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    score: Mapped[int] = mapped_column(default=0)
    band: Mapped[str] = mapped_column(String(10))
    explanation: Mapped[list] = mapped_column(JSON, default=list)
    ruleset_version: Mapped[str] = mapped_column(String(40), default="")
    assessor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assessed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the next assessment falls due: signed date + the band's review cadence.
    next_due_on: Mapped[date | None] = mapped_column(Date)

    assessor: Mapped[User] = relationship()


class Plan(db.Model):
    """The problem-solving plan in OSARA form, one per case. Each save bumps `version` (stale
    saves are refused) and keeps a PlanRevision, so earlier versions stay readable."""

    __tablename__ = "case_plan"
    __table_args__ = (UniqueConstraint("case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    objective: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    success_measures: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    scanning: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    analysis_victim: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    analysis_offender: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    analysis_location: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    response: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    assessment: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    signed_off_version: Mapped[int | None] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)

    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    signed_off_by: Mapped[User | None] = relationship(foreign_keys=[signed_off_by_id])

    __mapper_args__ = {"version_id_col": version}


class PlanRevision(db.Model):
    __tablename__ = "case_plan_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("case_plan.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column()
    snapshot: Mapped[dict] = mapped_column(JSON, info=PERSONAL)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class CaseAction(db.Model):
    """An action on a case: a task with an owning agency, an owner and a due date."""

    __tablename__ = "case_action"
    __table_args__ = (
        Index("ix_case_action_case_status_due", "case_id", "status", "due_on"),
        Index("ix_case_action_owner_status", "owner_id", "status"),
        once_per_form("case_action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    description: Mapped[str] = mapped_column(Text, info=PERSONAL)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=ActionStatus.OPEN.value)
    outcome: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    version: Mapped[int] = mapped_column(default=1)
    form_token: Mapped[str | None] = mapped_column(String(40))

    agency: Mapped[Agency] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])

    __mapper_args__ = {"version_id_col": version}


class ActionRevision(db.Model):
    """Each saved version of an action: its history, so an update never overwrites what was
    recorded before, and the audit log can point here instead of copying the words."""

    __tablename__ = "case_action_revision"
    __table_args__ = (UniqueConstraint("action_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("case_action.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column()
    snapshot: Mapped[dict] = mapped_column(JSON, info=PERSONAL)
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)

    saved_by: Mapped[User | None] = relationship()


# Early interventions first, then statutory powers (Anti-social Behaviour, Crime and Policing
# Act 2014 unless noted), as the hub reports them.
INTERVENTION_TYPES: dict[str, tuple[str, bool]] = {
    "advice": ("Advice", False),
    "warning_letter": ("Warning letter", False),
    "acceptable_behaviour_contract": ("Acceptable behaviour contract", False),
    "mediation": ("Mediation", False),
    "diversion": ("Diversion", False),
    "community_protection_warning": ("Community protection warning", True),
    "community_protection_notice": ("Community protection notice", True),
    "criminal_behaviour_order": ("Criminal behaviour order", True),
    "civil_injunction": ("Civil injunction", True),
    # A civil injunction against someone aged 10-17 (youth court), and one a housing provider
    # seeks for its tenancies; counted apart in the powers return.
    "youth_injunction": ("Civil injunction (youth)", True),
    "housing_injunction": ("Housing injunction", True),
    # Crime and Policing Act 2025: replaces the civil injunction for adults; a pre-application
    # risk assessment is required before applying.
    "respect_order": ("Respect order", True),
    "dispersal": ("Dispersal direction", True),
    "closure_notice": ("Closure notice", True),
    "closure_order": ("Closure order", True),
    "public_spaces_protection_order": ("Public spaces protection order", True),
}


class Intervention(PersonalRecord, db.Model):
    """An early intervention or statutory power used on a person or a place."""

    __tablename__ = "intervention"
    record_type = "intervention"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    issuing_officer: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    subject: Mapped[str] = mapped_column(
        String(200), info=PERSONAL
    )  # the person or place it was used on
    # For the powers return: under_18 | adult | place; None when not recorded.
    subject_age_group: Mapped[str | None] = mapped_column(String(10), info=PERSONAL)
    conditions: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    served_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    review_on: Mapped[date | None] = mapped_column(Date)
    breaches: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    appeal: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    # Where the power is in its lifecycle (hub.casework.powers.STEPS); each step taken is a
    # PowerStep. Records made before the lifecycle were of powers already in use: "served".
    status: Mapped[str] = mapped_column(String(20), default="proposed", server_default="served")
    court: Mapped[str] = mapped_column(String(200), default="", server_default="")
    hearing_on: Mapped[date | None] = mapped_column(Date)
    order_kind: Mapped[str | None] = mapped_column(String(8))  # interim | full
    outcome: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    version: Mapped[int] = mapped_column(default=1)

    issuing_agency: Mapped[Agency] = relationship(foreign_keys="Intervention.origin_agency_id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def type_label(self) -> str:
        return INTERVENTION_TYPES[self.type][0]

    @property
    def is_statutory(self) -> bool:
        return INTERVENTION_TYPES[self.type][1]


SUBJECT_AGE_GROUPS = {
    "under_18": "Under 18",
    "adult": "18 and over",
    "place": "A place, not a person",
}


class Evaluation(db.Model):
    """The formal evaluation of a case once interventions are done, written by its lead agency
    and signed off by a coordinator or hub manager. A case closes only with a signed one.

    A draft can be edited (version-checked); once signed it never changes, and the before and
    after figures are kept as they were at signing. A correction is a new evaluation (the
    next `number`) that `supersedes` the signed one."""

    __tablename__ = "case_evaluation"
    __table_args__ = (UniqueConstraint("case_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    # 1 for the first evaluation of a case, 2 for its first correction, ...
    number: Mapped[int] = mapped_column(default=1)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("case_evaluation.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # a key of EVALUATION_OUTCOMES
    summary: Mapped[str] = mapped_column(Text, info=PERSONAL)
    lessons: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    # The plan's objective as it stood, and what happened against it.
    objective: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    objective_result: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    # Each success measure of the plan: [{"measure", "met" (MEASURE_RESULTS), "result"}].
    measures: Mapped[list] = mapped_column(JSON, default=list, info=PERSONAL)
    # The evaluators' judgement of each intervention type used: {type: WORKED key}.
    worked: Mapped[dict] = mapped_column(JSON, default=dict)
    victim_satisfaction: Mapped[int | None] = mapped_column()  # 1 (very dissatisfied) .. 5
    victim_words: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    victim_not_asked: Mapped[str] = mapped_column(Text, default="", info=PERSONAL)
    # Each member agency's view: {agency_id (as text): words}.
    agency_views: Mapped[dict] = mapped_column(JSON, default=dict, info=PERSONAL)
    officer_hours: Mapped[float | None] = mapped_column()
    window_days: Mapped[int] = mapped_column(default=90)
    # The computed before/after figures, frozen at signing (hub.casework.evaluations).
    measured: Mapped[dict | None] = mapped_column(JSON)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(default=1)

    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def outcome_label(self) -> str:
        return EVALUATION_OUTCOMES.get(self.outcome, self.outcome)


# The outcome categories: the first four count as the objective achieved (for the lessons
# library's evidence ordering).
EVALUATION_OUTCOMES = {
    "ceased": "Problem ceased",
    "reduced": "Problem reduced",
    "harm_reduced": "Harm reduced",
    "response_improved": "Response improved",
    "displaced": "Problem displaced",
    "not_achieved": "Not achieved",
}
ACHIEVED_OUTCOMES = frozenset({"ceased", "reduced", "harm_reduced", "response_improved"})

MEASURE_RESULTS = {"met": "Met", "partly": "Partly met", "not_met": "Not met"}
WORKED = {"worked": "Worked", "partly": "Partly worked", "did_not": "Did not work"}
SATISFACTION = {
    1: "Very dissatisfied",
    2: "Dissatisfied",
    3: "Neither satisfied nor dissatisfied",
    4: "Satisfied",
    5: "Very satisfied",
}


class Activity(db.Model):
    """One update on a case, by whom and from which agency. An entry about a personal record
    carries that record's category and restriction, so the feed filters through the same
    permission rule as the record (hub.permissions.visible_activity)."""

    __tablename__ = "case_activity"
    __table_args__ = (Index("ix_case_activity_case_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"))
    kind: Mapped[str] = mapped_column(String(30))
    # Plain words about the change; for a personal record, kept free of its content (the feed
    # shows the record itself, through the permission rule).
    summary: Mapped[str] = mapped_column(Text, info=PERSONAL)
    category: Mapped[str | None] = mapped_column(String(30))  # None: case data, any member
    restricted: Mapped[bool] = mapped_column(default=False)
    record_type: Mapped[str | None] = mapped_column(String(30))
    record_id: Mapped[int | None] = mapped_column()

    actor: Mapped[User | None] = relationship()
    agency: Mapped[Agency | None] = relationship()


class CaseFollow(db.Model):
    """A user who follows a case gets its notifications (while their agency is a member)."""

    __tablename__ = "case_follow"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)


class Notification(db.Model):
    """An in-app notice: the case reference and what kind of update, never personal data.
    It points at a case, at a conference (an urgent one proposed for a referral that has
    no case yet), or at the reader's own referral."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("case.id", ondelete="CASCADE"), index=True
    )
    conference_id: Mapped[int | None] = mapped_column(
        ForeignKey("conference.id", ondelete="CASCADE"), index=True
    )
    activity_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_activity.id", ondelete="SET NULL")
    )
    # A referrer's news about her own referral (triaged, a case opened, a conference decided).
    referral_id: Mapped[int | None] = mapped_column(
        ForeignKey("referral.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(300), info=PERSONAL)
    # Unread news about the same case (or referral, or conference) is one notice, counted, not
    # one per update: see hub.casework.activity.send_notice.
    updates: Mapped[int] = mapped_column(default=1, server_default="1")
    # News (send_notice) counts further news while unread; an alert (a reminder, a victim's
    # worse risk, an urgent conference) stands alone and is never counted into or rewritten.
    counts_news: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# One unread news notice per person and thing (case, referral or conference): news that lands
# while it is unread is counted into it (hub.casework.activity.send_notice), and two updates at
# once cannot make two notices (and two emails). coalesce, as a NULL never clashes with another.
Index(
    "uq_notification_unread_news",
    Notification.user_id,
    func.coalesce(Notification.case_id, 0),
    func.coalesce(Notification.referral_id, 0),
    func.coalesce(Notification.conference_id, 0),
    unique=True,
    postgresql_where=text("read_at IS NULL AND counts_news"),
    sqlite_where=text("read_at IS NULL AND counts_news"),
)


# The planner board reads each stage's cards in deadline order; this index serves that read
# (declared here, beside the board's other needs, rather than in the shared case model).
Index(
    "ix_case_board_deadline",
    Case.hub_id,
    Case.stage,
    Case.conference_due_by,  # ascending: PostgreSQL puts NULLs last, as the board does
    Case.id,
)
