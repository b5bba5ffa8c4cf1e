"""The record of what conferences decided: the conferences a case has been to, with their
decisions, and the hub's decision log, each decision shown in full only to a reader who may
read its case (hub.permissions.readable_decisions)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from hub import permissions as perm
from hub.conferences.schemas import DecisionLogFilters
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    AgendaItem,
    AgendaReason,
    Case,
    Conference,
    ConferenceDecision,
    Hub,
    Referral,
    User,
)

LOG_PAGE_SIZE = 50


@dataclass
class CaseConference:
    conference: Conference
    reasons: list[str] = field(default_factory=list)
    decisions: list[ConferenceDecision] = field(default_factory=list)


def case_conferences(reader, case: Case) -> list[CaseConference]:
    """Every conference at which the case (or a referral now on it) was on the agenda or
    was decided on, newest first, with its decisions on this case. For a reader already
    entitled to the case's working records (the read of the decisions is audited); two
    queries however many conferences."""
    params = {"case_id": case.id}
    items = db.session.execute(_case_agenda_items(), params).scalars()
    found: dict[int, CaseConference] = {}
    for item in items:
        row = found.setdefault(item.conference_id, CaseConference(item.conference))
        row.reasons.append(AgendaReason(item.reason).label)
    decisions = db.session.execute(_case_decisions(), params).scalars()
    shown = []
    for d in decisions:
        found.setdefault(d.conference_id, CaseConference(d.conference)).decisions.append(d)
        shown.append(d.id)
    perm.working_records_read(
        reader, case.hub_id, what="conference decisions", records={"decision": shown}, case=case
    )
    return sorted(found.values(), key=lambda r: (r.conference.starts_at, r.conference.id))[::-1]


@cache
def _case_agenda_items() -> Select:
    """Built once, as the statements of every case tab are."""
    referrals_of_case = select(Referral.id).where(Referral.case_id == bindparam("case_id"))
    return (
        select(AgendaItem)
        .where(
            AgendaItem.removed.is_(False),
            or_(
                AgendaItem.case_id == bindparam("case_id"),
                AgendaItem.referral_id.in_(referrals_of_case),
            ),
        )
        .options(joinedload(AgendaItem.conference))
        .order_by(AgendaItem.id)
    )


@cache
def _case_decisions() -> Select:
    return (
        select(ConferenceDecision)
        .where(ConferenceDecision.case_id == bindparam("case_id"))
        .options(
            joinedload(ConferenceDecision.conference),
            joinedload(ConferenceDecision.decided_by).lazyload(User.roles),
        )
        .order_by(ConferenceDecision.decided_at, ConferenceDecision.id)
    )


# -- the hub's decision log --------------------------------------------------------------------


def parse_log_filters(args: Mapping) -> dict:
    """Query-string filters; blank values are ignored. Raises ValidationError."""
    raw = {k: v.strip() for k, v in args.items() if v.strip()}
    return DecisionLogFilters().load(raw, unknown="exclude")


@dataclass
class LogEntry:
    decision: ConferenceDecision
    reference: str
    entitled: bool


@dataclass
class LogPage:
    entries: list[LogEntry]
    page: int
    pages: int
    total: int


def _london_midnight(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON)


def decision_log(reader, hub: Hub, filters: dict) -> LogPage:
    """The hub's decisions, newest first, a page at a time: every reader in the hub sees
    that a decision of a kind was taken on a reference; its summary and reason only where
    they may see the case or referral. A constant number of queries."""
    query = (
        select(ConferenceDecision)
        .join(Conference, Conference.id == ConferenceDecision.conference_id)
        .where(Conference.hub_id == hub.id)
    )
    if filters.get("kind"):
        query = query.where(ConferenceDecision.kind == filters["kind"])
    if filters.get("date_from"):
        query = query.where(ConferenceDecision.decided_at >= _london_midnight(filters["date_from"]))
    if filters.get("date_to"):
        end = _london_midnight(filters["date_to"] + timedelta(days=1))
        query = query.where(ConferenceDecision.decided_at < end)
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    pages = max(1, -(-total // LOG_PAGE_SIZE))
    page = min(filters.get("page", 1), pages)
    rows = list(
        db.session.execute(
            query.options(
                joinedload(ConferenceDecision.conference),
                joinedload(ConferenceDecision.case),
                joinedload(ConferenceDecision.referral),
                joinedload(ConferenceDecision.decided_by).lazyload(User.roles),
            )
            .order_by(ConferenceDecision.decided_at.desc(), ConferenceDecision.id.desc())
            .limit(LOG_PAGE_SIZE)
            .offset((page - 1) * LOG_PAGE_SIZE)
        ).scalars()
    )
    readable = perm.readable_decisions(reader, hub, rows)
    perm.working_records_read(
        reader, hub.id, what="decision log", records={"decision": sorted(readable)}
    )
    entries = [
        LogEntry(d, d.case.reference if d.case_id else d.referral.reference, d.id in readable)
        for d in rows
    ]
    return LogPage(entries, page, pages, total)
