"""The home page's sections. A section provider takes (user, hub, now) and returns a Section,
or None when the section is not the user's to see (a permission, decided by hub.permissions).

SECTIONS is the hook: an area adds its provider to the list (the victims area's call-backs
due are one). Each list is at most LIMIT rows plus its total, so the page costs the same
however busy the hub."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from hub import permissions as perm
from hub.casework import board
from hub.conferences import timeliness, timescales, urgent
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import Hub, Referral
from hub.sharing import agreements
from hub.victims import call_backs
from referrals import present, triage

LIMIT = 10  # rows shown per section; the total and a link lead to the full list


@dataclass
class Item:
    text: str  # what it is: a reference, a description, an agreement's title
    detail: str = ""  # when or why: a deadline, a due date
    endpoint: str | None = None  # where to do it: the template builds the URL
    args: dict = field(default_factory=dict)
    overdue: bool = False


@dataclass
class Section:
    key: str
    title: str
    empty: str  # said when nothing is due
    items: list[Item]
    total: int
    more_endpoint: str | None = None
    more_args: dict = field(default_factory=dict)


def _date(value) -> str:
    return f"{value:%-d %B %Y}"


def _when(value: datetime) -> str:
    return f"{value.astimezone(LONDON):%-d %B %Y, %H:%M}"


def awaiting_triage(user, hub: Hub, now: datetime) -> Section | None:
    """Coordinators: referrals awaiting triage, most urgent first (the triage queue's order)."""
    if hub.id not in perm.triage_hub_ids(user):
        return None
    query = triage.triage_queue(user, [hub.id])
    total = db.session.execute(
        query.with_only_columns(func.count(Referral.id)).order_by(None)
    ).scalar()
    rows = list(
        db.session.execute(query.options(joinedload(Referral.agency)).limit(LIMIT)).scalars()
    )
    present.audit_list(user, rows, what="home triage queue")
    items = [
        Item(
            f"{r.reference} ({r.band or 'unscored'})",
            f"from {r.agency.name}"
            + (f", conference due by {_when(r.conference_due_by)}" if r.conference_due_by else ""),
            endpoint="triage.decide",
            args={"referral_id": r.id},
            overdue=r.conference_due_by is not None and r.conference_due_by < now,
        )
        for r in rows
    ]
    return Section(
        "triage",
        "Referrals awaiting triage",
        "No referrals are waiting for triage.",
        items,
        total,
        "triage.queue",
    )


def urgent_to_confirm(user, hub: Hub, now: datetime) -> Section | None:
    """Coordinators and hub managers: proposed urgent conferences waiting for an answer."""
    if not perm.can_run_conferences(user, hub):
        return None
    proposed = urgent.proposed_of(hub)
    items = [
        Item(
            f"Urgent conference proposed for {_when(c.starts_at)}",
            "waiting for your answer",
            endpoint="conference_time.urgent",
            args={"conference_id": c.id},
            overdue=c.starts_at < now,
        )
        for c in proposed[:LIMIT]
    ]
    return Section(
        "urgent",
        "Urgent conferences to confirm",
        "No urgent conference is waiting for an answer.",
        items,
        len(proposed),
        "conferences.index",
        {"slug": hub.slug},
    )


def breaches_to_explain(user, hub: Hub, now: datetime) -> Section | None:
    """Coordinators and hub managers: conference deadlines missed in the last 90 days whose
    reason is not yet recorded (references and times only)."""
    if not perm.can_see_timeliness(user, hub):
        return None
    today = now.astimezone(LONDON).date()
    start = today - timedelta(days=timeliness.DEFAULT_DAYS)
    found = [
        r for r in timeliness.breaches(timeliness.rows(hub, now, start, today)) if not r.reason
    ]
    found.sort(key=lambda r: r.due_by)
    items = [
        Item(
            f"{r.reference} ({r.band})",
            f"{r.outcome.label}: {r.late}",
            endpoint="conference_time.breach",
            args={"slug": hub.slug, "referral_id": r.referral_id},
            overdue=True,
        )
        for r in found[:LIMIT]
    ]
    return Section(
        "breaches",
        "Conference deadlines breached, reason not recorded",
        "No breach is waiting for its reason.",
        items,
        len(found),
        "conference_time.timeliness",
        {"slug": hub.slug},
    )


def my_overdue_work(user, hub: Hub, now: datetime) -> Section | None:
    """Anyone who works cases: my actions due today or overdue, and reviews or reassessments
    due by today on the cases I work (the "my work" page's lists, cut to what is due)."""
    if not perm.role_allows(user, hub.id, perm.Action.WRITE):
        return None
    today = now.astimezone(LONDON).date()
    work = board.my_work(user, hub, due_by=today, limit=LIMIT)
    items = [
        Item(
            a.description,
            f"{reference}, due {_date(a.due_on)}",
            endpoint="cases.edit_action",
            args={"case_id": a.case_id, "action_id": a.id},
            overdue=a.due_on < today,
        )
        for a, reference in work["actions"]
    ]
    for case, reassess in work["reviews"]:
        if case.next_review_on and case.next_review_on <= today:
            items.append(
                Item(
                    f"{case.reference}: case review",
                    f"due {_date(case.next_review_on)}",
                    endpoint="cases.show",
                    args={"case_id": case.id},
                    overdue=case.next_review_on < today,
                )
            )
        if reassess and reassess <= today:
            items.append(
                Item(
                    f"{case.reference}: risk reassessment",
                    f"due {_date(reassess)}",
                    endpoint="cases.show",
                    args={"case_id": case.id, "tab": "risk"},
                    overdue=reassess < today,
                )
            )
    return Section(
        "my_work",
        "My overdue actions and reviews",
        "Nothing of yours is due today.",
        items,
        max(work["total"], len(items)),  # a case may have its review and reassessment due
        "board.my_work",
        {"slug": hub.slug},
    )


def agreements_ending(user, hub: Hub, now: datetime) -> Section | None:
    """Hub managers: agreements in force whose review or expiry falls within the reminder
    period (or has passed)."""
    if not perm.can_manage_isas(user, hub):
        return None
    today = now.astimezone(LONDON).date()
    days = current_app.config.get("ISA_REMINDER_DAYS", 30)
    due = agreements.ending_soon(hub, today + timedelta(days=days))
    items = [
        Item(
            f"{isa.reference}: {isa.title}",
            f"{kind} {_date(on)}",
            endpoint="sharing.isa_show",
            args={"slug": hub.slug, "isa_id": isa.id},
            overdue=on < today,
        )
        for isa, kind, on in due[:LIMIT]
    ]
    return Section(
        "agreements",
        "Information-sharing agreements near review or expiry",
        f"No agreement is due for review or expiry in the next {days} days.",
        items,
        len(due),
        "sharing.isa_list",
        {"slug": hub.slug},
    )


def call_backs_due(user, hub: Hub, now: datetime) -> Section | None:
    """SPoCs: my call-backs overdue or due today (the "My victims" page's first two lists).
    The case reference and the time only: the victim is named on the case's Victim tab."""
    if hub not in perm.spoc_hubs(user) or not perm.can_keep_victims(user, hub):
        return None
    lists = call_backs.my_victims(user, hub, now, later_days=0)
    due = lists["overdue"] + lists["today"]
    shown = due[:LIMIT]
    perm.list_read(
        user,
        hub.id,
        what="home call backs",
        records={"victim_call_back": sorted(d.call_back.id for d in shown)},
        legal_basis="s115 Crime and Disorder Act 1998",
    )
    items = [
        Item(
            f"{d.case.reference}: call-back",
            f"due {_when(d.call_back.due_at)}",
            endpoint="victims.mine",
            args={"slug": hub.slug},
            overdue=d.state in ("overdue", "late"),
        )
        for d in shown
    ]
    return Section(
        "call_backs",
        "My call-backs due",
        "No call-back of yours is due today.",
        items,
        len(due),
        "victims.mine",
        {"slug": hub.slug},
    )


# The hook: providers in the order the page shows them.
def case_review_steps(user, hub: Hub, now: datetime) -> Section | None:
    """Coordinators and hub managers: ASB case review steps missed or due within two working
    days (hub.conferences.timescales). References and dates only."""
    if not perm.can_set_case_review_timescales(user, hub):
        return None
    due = timescales.steps_to_take(hub.id, now.astimezone(LONDON).date())
    items = [
        Item(
            f"{review.reference}: {step.label.lower()}",
            f"{'was due' if step.state.value == 'missed' else 'due'} {_date(step.due_on)}",
            endpoint="case_reviews.show",
            args={"review_id": review.id},
            overdue=step.state.value == "missed",
        )
        for review, step in due[:LIMIT]
    ]
    return Section(
        "case_review_steps",
        "ASB case review steps due",
        "No ASB case review step is due in the next two working days.",
        items,
        len(due),
        more_endpoint="case_reviews.index",
        more_args={"slug": hub.slug},
    )


SECTIONS = [
    awaiting_triage,
    urgent_to_confirm,
    breaches_to_explain,
    case_review_steps,
    call_backs_due,
    my_overdue_work,
    agreements_ending,
]


@dataclass
class HubToday:
    hub: Hub
    sections: list[Section]


def today_for(user, now: datetime) -> list[HubToday]:
    """Each of the user's hubs with the sections the user may see there."""
    found = []
    for hub in perm.hubs_of(user):
        sections = [s for s in (provider(user, hub, now) for provider in SECTIONS) if s]
        found.append(HubToday(hub, sections))
    return found
