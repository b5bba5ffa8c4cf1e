"""Reading the audit log: what a hub manager may see of it, filtered, a page at a time or as
CSV.

A hub manager sees the entries recorded against their hub (hub_id), plus the entries recorded
against no hub — sign-in, sign-out, lock-outs and denials outside any hub — made by people of
the hub's partner agencies. An agency in two hubs has those hub-less entries shown to both
hubs' managers: they concern the person, not either hub. Entries of other hubs never show.
"""

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, or_, select

from hub.audit import write_pending
from hub.audit.schemas import AuditFilterSchema
from hub.core.spreadsheet import safe_cell
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import Agency, AuditEntry, Case, Hub, HubAgency, User

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
HUBLESS_ACTIONS = ("sign_in", "sign_out", "account_locked", "access_denied")


def parse_filters(args) -> dict:
    """Query-string filters; blank values are ignored. Raises ValidationError."""
    raw = {k: v.strip() for k, v in args.items() if v.strip()}
    return AuditFilterSchema().load(raw, unknown="exclude")


def _hub_people(hub: Hub):
    return select(User.id).where(
        User.agency_id.in_(select(HubAgency.agency_id).where(HubAgency.hub_id == hub.id))
    )


def _local_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON)


def hub_entries(hub: Hub, filters: dict):
    """SQL for the entries this hub's manager may see, filtered, newest first."""
    query = select(AuditEntry).where(
        or_(
            AuditEntry.hub_id == hub.id,
            and_(
                AuditEntry.hub_id.is_(None),
                AuditEntry.action.in_(HUBLESS_ACTIONS),
                AuditEntry.user_id.in_(_hub_people(hub)),
            ),
        )
    )
    if filters.get("case"):
        case_id = db.session.execute(
            select(Case.id).where(Case.hub_id == hub.id, Case.reference == filters["case"])
        ).scalar_one_or_none()
        query = query.where(
            AuditEntry.target_type == "case", AuditEntry.target_id == str(case_id or -1)
        )
    if filters.get("user_id"):
        query = query.where(AuditEntry.user_id == filters["user_id"])
    if filters.get("agency_id"):
        query = query.where(AuditEntry.agency_id == filters["agency_id"])
    if filters.get("action"):
        query = query.where(AuditEntry.action == filters["action"])
    if filters.get("date_from"):
        query = query.where(AuditEntry.at >= _local_midnight_utc(filters["date_from"]))
    if filters.get("date_to"):
        end = _local_midnight_utc(filters["date_to"] + timedelta(days=1))
        query = query.where(AuditEntry.at < end)
    return query.order_by(AuditEntry.id.desc())


@dataclass
class Page:
    entries: list
    page: int
    pages: int
    total: int
    case_references: dict  # an entry's target_id -> the case's reference, for case targets


def case_of(entry: AuditEntry) -> int | None:
    """The case a record's entry concerns (an action, a note: its details name the case id), so
    the log can name the case by its reference rather than a number."""
    value = (entry.details or {}).get("case_id") if isinstance(entry.details, dict) else None
    return value if isinstance(value, int) else None


def page_of(hub: Hub, filters: dict) -> Page:
    write_pending()  # the count below names no entry to the ORM (audit.write_pending)
    query = hub_entries(hub, filters)
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())
    ).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(filters.get("page", 1), pages)
    entries = list(
        db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).scalars()
    )
    case_ids = {
        int(e.target_id)
        for e in entries
        if e.target_type == "case" and (e.target_id or "").isdigit()
    } | {case_of(e) for e in entries if case_of(e) is not None}
    references = db.session.execute(
        select(Case.id, Case.reference).where(Case.hub_id == hub.id, Case.id.in_(case_ids))
    ).all()
    return Page(entries, page, pages, total, {str(i): ref for i, ref in references})


def choices(hub: Hub) -> dict:
    """The people, agencies and actions a manager can filter by: this hub's only."""
    people = db.session.execute(
        select(User.id, User.name).where(User.id.in_(_hub_people(hub))).order_by(User.name)
    ).all()
    agencies = db.session.execute(
        select(Agency.id, Agency.name)
        .join(HubAgency, HubAgency.agency_id == Agency.id)
        .where(HubAgency.hub_id == hub.id)
        .order_by(Agency.name)
    ).all()
    actions = db.session.execute(
        select(AuditEntry.action).where(AuditEntry.hub_id == hub.id).distinct()
    ).scalars()
    return {
        "people": people,
        "agencies": agencies,
        "actions": sorted(set(actions) | set(HUBLESS_ACTIONS)),
    }


COLUMNS = (
    "id",
    "at",
    "action",
    "outcome",
    "user_id",
    "agency_id",
    "hub_id",
    "target_type",
    "target_id",
    "ip_address",
    "legal_basis",
    "details",
    "entry_hash",
)


def export_csv(hub: Hub, filters: dict) -> tuple[str, int]:
    rows = db.session.execute(hub_entries(hub, filters).limit(EXPORT_LIMIT)).scalars()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for e in rows:
        values = [getattr(e, c) for c in COLUMNS]
        values[1] = e.at.isoformat()
        values[11] = json.dumps(e.details, sort_keys=True)
        writer.writerow([safe_cell(v) for v in values])
        count += 1
    return out.getvalue(), count
