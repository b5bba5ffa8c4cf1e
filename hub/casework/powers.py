"""Powers followed to the end: each intervention's lifecycle, step by step (proposed,
risk-assessed, applied for, granted with court and hearing dates, interim or full, served,
varied, expired or discharged), a structured breach log, and the reminders its expiry and
review dates send to the issuing agency.

Steps are the issuing agency's to record (as are updates to the record); a breach may be
reported by any member agency that may see the power, and the hub's coordinators are told at
once. Notices name the case reference and the kind of power, never the person. Audited;
callers commit."""

from dataclasses import dataclass
from datetime import date, timedelta

from marshmallow import ValidationError
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from hub import audit
from hub import permissions as perm
from hub.casework.activity import log
from hub.casework.checks import diff, stale_case
from hub.casework.schemas import BreachSchema, PowerStepSchema
from hub.clock.scheduler import once
from hub.core import mail
from hub.core.database import read_values
from hub.core.locking import add_once, check_version, flush_or_stale, submitted_before
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    Case,
    Intervention,
    JobRun,
    Notification,
    PowerBreach,
    PowerStep,
    Role,
    Stage,
    User,
)

STEPS = {
    "proposed": "Proposed",
    "risk_assessed": "Risk-assessed",
    "applied": "Applied for",
    "granted": "Granted",
    "refused": "Refused by the court",
    "served": "Served",
    "varied": "Varied",
    "expired": "Expired",
    "discharged": "Discharged",
    "withdrawn": "Withdrawn",
}
ORDER_KINDS = {"interim": "Interim", "full": "Full"}
# Powers a court grants; the others are served by the agency itself.
COURT_POWERS = frozenset(
    {
        "criminal_behaviour_order",
        "civil_injunction",
        "youth_injunction",
        "housing_injunction",
        "closure_order",
        "respect_order",
    }
)
# A respect order may be applied for only after the pre-application risk assessment the
# Crime and Policing Act 2025 requires.
ASSESS_BEFORE_APPLYING = frozenset({"respect_order"})
# In force: its expiry and review dates are watched.
LIVE = frozenset({"granted", "served", "varied"})
ENDED = frozenset({"refused", "expired", "discharged", "withdrawn"})

_COURT_NEXT = {
    "proposed": ("risk_assessed", "applied", "withdrawn"),
    "risk_assessed": ("applied", "withdrawn"),
    "applied": ("granted", "refused", "withdrawn"),
    # An interim order is followed by the full one: granted again.
    "granted": ("served", "granted", "varied", "discharged", "expired"),
    "served": ("granted", "varied", "discharged", "expired"),
    "varied": ("served", "varied", "discharged", "expired"),
}
_SERVED_NEXT = {
    "proposed": ("risk_assessed", "served", "withdrawn"),
    "risk_assessed": ("served", "withdrawn"),
    "served": ("varied", "discharged", "expired"),
    "varied": ("varied", "discharged", "expired"),
}


def next_steps(item: Intervention) -> list[str]:
    table = _COURT_NEXT if item.type in COURT_POWERS else _SERVED_NEXT
    steps = list(table.get(item.status, ()))
    if item.type in ASSESS_BEFORE_APPLYING and item.status == "proposed":
        steps.remove("applied")
    return steps


STEP_LABELS = {"status": "Stage"}


def record_step(case: Case, item: Intervention, data: dict, *, actor) -> PowerStep:
    data = PowerStepSchema().load(data)
    differences = lambda: diff(STEP_LABELS, item, {"status": data["step"]})  # noqa: E731
    check_version(item.version, data["version"], stale_case(differences))
    if not perm.is_issuing_agency(actor, item):
        raise ValidationError({"form": ["Only the issuing agency can record its steps"]})
    step = data["step"]
    if step not in next_steps(item):
        if item.type in ASSESS_BEFORE_APPLYING and step == "applied" and item.status == "proposed":
            message = "Record the pre-application risk assessment before applying for the order"
        else:
            allowed = ", ".join(STEPS[s].lower() for s in next_steps(item)) or "none"
            message = f"It is {STEPS[item.status].lower()}: the next step can be {allowed}"
        raise ValidationError({"step": [message]})
    _check_step(item, step, data)
    event = PowerStep(
        intervention_id=item.id,
        step=step,
        on=data["on"],
        court=data["court"],
        hearing_on=data["hearing_on"],
        order_kind=data["order_kind"],
        expires_on=data["expires_on"],
        review_on=data["review_on"],
        note=data["note"],
        recorded_by_id=actor.id,
    )
    item.status = step
    if data["court"]:
        item.court = data["court"]
    if data["hearing_on"] or step in ("granted", "refused"):
        item.hearing_on = data["hearing_on"]
    if data["order_kind"]:
        item.order_kind = data["order_kind"]
    if step == "served":
        item.served_on = data["on"]
    for key in ("expires_on", "review_on"):
        if data[key]:
            setattr(item, key, data[key])
    if step in ("expired", "discharged") and item.expires_on and item.expires_on > data["on"]:
        item.expires_on = data["on"]  # ended early: its expiry is watched no more
    db.session.add(event)
    flush_or_stale(stale_case(differences))
    audit.record(
        "power_step_recorded",
        user=actor,
        hub=case.hub_id,
        target=item,
        details={
            "case_id": case.id,
            "type": item.type,
            "status": step,
            "version": item.version,
        },
    )
    log(case, actor, "power_step", f"{item.type_label}: {STEPS[step].lower()}", record=item)
    return event


def _check_step(item: Intervention, step: str, data: dict) -> None:
    errors: dict[str, list[str]] = {}
    today = utcnow().astimezone(LONDON).date()
    if data["on"] > today:
        errors["on"] = ["Record a step once it is taken: the date must be today or earlier"]
    court = item.type in COURT_POWERS
    if court and step in ("applied", "granted", "refused") and not (data["court"] or item.court):
        errors["court"] = ["Enter the court"]
    if court and step == "granted" and not data["order_kind"]:
        errors["order_kind"] = ["Choose whether the order is interim or full"]
    if step == "varied" and not data["note"]:
        errors["note"] = ["Say how the order or its conditions were varied"]
    for key, field in (
        ("hearing_on", "hearing_on"),
        ("expires_on", "step_expires_on"),
        ("review_on", "step_review_on"),
    ):
        if data[key] and data[key] < data["on"]:
            errors[field] = ["This date must be on or after the step's date"]
    if errors:
        raise ValidationError(errors)


# -- breaches ----------------------------------------------------------------------------------


def report_breach(case: Case, item: Intervention, data: dict, *, actor) -> PowerBreach:
    """Log a breach, and tell the hub's coordinators (in the hub and by email) at once."""
    data = BreachSchema().load(data)
    earlier = submitted_before(PowerBreach, case.id, data["form_token"])
    if earlier is not None:
        return earlier
    if item.status not in LIVE:
        raise ValidationError(
            {"form": [f"It is {STEPS[item.status].lower()}: only a power in force is breached"]}
        )
    if data["occurred_on"] > utcnow().astimezone(LONDON).date():
        raise ValidationError({"occurred_on": ["The date of the breach must be today or earlier"]})
    breach = PowerBreach(
        intervention_id=item.id,
        case_id=case.id,
        occurred_on=data["occurred_on"],
        what=data["what"],
        reported_by=data["reported_by"],
        action_taken=data["action_taken"],
        agency_id=actor.agency_id,
        recorded_by_id=actor.id,
        form_token=data["form_token"],
    )
    added = add_once(breach)
    if added is not breach:
        return added
    told = _tell_coordinators(case, item, breach)
    audit.record(
        "power_breach_reported",
        user=actor,
        hub=case.hub_id,
        target=item,
        details={
            "case_id": case.id,
            "type": item.type,
            "record_id": breach.id,
            "recipients": [u.id for u in told],
        },
    )
    log(case, actor, "power_breached", f"Breach reported: {item.type_label}", record=item)
    return breach


def _may_work(user: User, case: Case) -> bool:
    return user.is_active_account and perm.can_access_case(user, case, perm.Action.WRITE)


def _tell_coordinators(case: Case, item: Intervention, breach: PowerBreach) -> list[User]:
    """The hub's coordinators who may work the case; its managers when none may."""
    people = [u for u in perm.coordinators(case.hub_id) if _may_work(u, case)] or [
        u for u in perm.hub_managers(case.hub_id) if _may_work(u, case)
    ]
    line = (
        f"A breach of a {item.type_label.lower()} is reported on case {case.reference} "
        f"(on {breach.occurred_on:%-d %B %Y})."
    )
    link = mail.external_url("cases.edit_intervention", case_id=case.id, item_id=item.id)
    for user in people:
        db.session.add(Notification(user_id=user.id, case_id=case.id, text=line))
        mail.queue_mail(
            user.email,
            f"Focus Hub: breach reported on case {case.reference}",
            f"{line}\n\nSign in to see it:\n{link}\n\n"
            "You get this as a coordinator of the hub: every breach comes to you at once.",
        )
    db.session.flush()
    return people


# -- reading -----------------------------------------------------------------------------------


def history(item: Intervention) -> tuple[list[PowerStep], list[PowerBreach]]:
    """A power's steps (oldest first) and breaches (newest first): two queries. The caller has
    passed the intervention's permission rule and audits the read."""
    steps = list(
        db.session.execute(
            select(PowerStep)
            .where(PowerStep.intervention_id == item.id)
            .options(selectinload(PowerStep.recorded_by))
            .order_by(PowerStep.id)
        ).scalars()
    )
    breaches = list(
        db.session.execute(
            select(PowerBreach)
            .where(PowerBreach.intervention_id == item.id)
            .options(selectinload(PowerBreach.agency))
            .order_by(PowerBreach.occurred_on.desc(), PowerBreach.id.desc())
        ).scalars()
    )
    return steps, breaches


def breach_counts(ids: list[int]) -> dict[int, int]:
    """How many breaches each of these interventions has: one query."""
    if not ids:
        return {}
    rows = read_values(
        select(PowerBreach.intervention_id, func.count())
        .where(PowerBreach.intervention_id.in_(ids))
        .group_by(PowerBreach.intervention_id)
    ).all()
    return dict(rows)


# -- expiry and review: reminders and the agenda -------------------------------------------------

JOB = "power_reminders"
# Reminders go four weeks ahead (time to apply to extend or vary) and one week ahead.
NOTICE_DAYS = (28, 7)
# A case comes to the weekly agenda when one of its powers expires or is due for review
# within this many days of the conference.
AGENDA_DAYS = 14


def due_soon(day: date, within: int):
    """SQL: the case (correlated) has a power in force expiring or due for review on or before
    `day` + `within` days (past dates included: a lapsed date is still to be dealt with)."""
    until = day + timedelta(days=within)
    return exists().where(
        Intervention.case_id == Case.id,
        Intervention.status.in_(sorted(LIVE)),
        or_(Intervention.expires_on <= until, Intervention.review_on <= until),
    )


@dataclass(frozen=True)
class Due:
    kind: str  # "expiry" or "review"
    item: Intervention
    case: Case
    on: date
    notice: int  # the NOTICE_DAYS window this reminder is for

    @property
    def key(self) -> str:
        return f"power_{self.kind}:{self.item.id}:{self.on.isoformat()}:{self.notice}"


def _due(today: date) -> list[Due]:
    """Powers in force on open cases whose expiry or review falls within the widest notice
    (or has passed): one statement."""
    until = today + timedelta(days=max(NOTICE_DAYS))
    rows = db.session.execute(
        select(Intervention, Case)
        .join(Case, Case.id == Intervention.case_id)
        .where(
            Intervention.status.in_(sorted(LIVE)),
            Case.stage != Stage.CLOSED.value,
            or_(
                and_(Intervention.expires_on.is_not(None), Intervention.expires_on <= until),
                and_(Intervention.review_on.is_not(None), Intervention.review_on <= until),
            ),
        )
        .order_by(Intervention.id)
    ).all()
    due = []
    for item, case in rows:
        for kind, on in (("expiry", item.expires_on), ("review", item.review_on)):
            if on is None or on > until:
                continue
            # The narrowest window it is in: one reminder per window, the nearer one last.
            if on < today:
                notice = min(NOTICE_DAYS)
            else:
                notice = min(n for n in NOTICE_DAYS if on <= today + timedelta(days=n))
            due.append(Due(kind, item, case, on, notice))
    return due


def power_reminders(today: date) -> list[tuple[Due, list[User]]]:
    """Remind the issuing agency of each expiry and review coming within 28 and then 7 days,
    once per power, date and window (hub.clock.scheduler.once), whatever reruns. The caller
    commits; emails wait for the commit."""
    due = _due(today)
    keys = [d.key for d in due]
    done = (
        set(db.session.execute(select(JobRun.key).where(JobRun.key.in_(keys))).scalars())
        if keys
        else set()
    )
    sent = []
    for item in due:
        if item.key in done:
            continue
        people = _issuing_agency_people(item)
        if not people:
            continue  # nobody of the issuing agency may work the case: tried again tomorrow
        if once(item.key, JOB):
            _remind(item, people)
            sent.append((item, people))
    return sent


def _issuing_agency_people(due: Due) -> list[User]:
    """Whoever recorded the power, while they may work the case; otherwise the issuing
    agency's coordinators and case workers in the hub who may."""
    recorder = db.session.get(User, due.item.recorded_by_id)
    if recorder is not None and _may_work(recorder, due.case):
        return [recorder]
    query = perm.hub_people(due.case.hub_id, Role.COORDINATOR, Role.CASE_WORKER)
    return [
        u
        for u in db.session.execute(query).scalars()
        if u.agency_id == due.item.origin_agency_id and _may_work(u, due.case)
    ]


def _remind(due: Due, people: list[User]) -> None:
    case, item = due.case, due.item
    what = "expires" if due.kind == "expiry" else "is due for review"
    when = "was due" if due.on < utcnow().astimezone(LONDON).date() else "on"
    line = (
        f"A {item.type_label.lower()} on case {case.reference} {what} ({when} {due.on:%-d %B %Y})."
    )
    link = mail.external_url("cases.edit_intervention", case_id=case.id, item_id=item.id)
    for user in people:
        db.session.add(Notification(user_id=user.id, case_id=case.id, text=line))
        mail.queue_mail(
            user.email,
            f"Focus Hub: a power {what} on case {case.reference}",
            f"{line}\n\nDecide whether to apply to extend or vary it, or let it end, and record "
            f"the step on the case:\n{link}\n\n"
            "You get this because your agency issued it.",
        )
    audit.record(
        "power_reminder_sent",
        hub=case.hub_id,
        target=item,
        details={
            "case_id": case.id,
            "kind": due.kind,
            "due_on": due.on.isoformat(),
            "recipients": [u.id for u in people],
        },
    )
    db.session.flush()
