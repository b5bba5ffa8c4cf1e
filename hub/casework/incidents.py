"""New incidents on an open case: a partner logs what happened, when, where, who was involved,
who reported it and to whom, and any crime reference, without making a new referral.

Each incident is incident-category data (section 115), optionally restricted like any record.
It adds rows to the hub's matching history with the case's own victim, subject and place keys,
so it counts in the case's repeat history, in the ASB case review threshold (here and for the
next referral about the same victim) and in the hotspots, as a referral would. Audited;
callers commit."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

from marshmallow import ValidationError
from sqlalchemy import Select, and_, bindparam, func, insert, select
from sqlalchemy import case as when

from hub import audit
from hub.casework import scores
from hub.casework.activity import log
from hub.casework.checks import check_category, restrict, restriction
from hub.casework.complaints import prompt_case_review_offer
from hub.casework.schemas import IncidentSchema
from hub.core.database import read_values
from hub.core.locking import add_once, submitted_before
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import Case, CaseIncident, DataCategory, Incident, Stage

WINDOWS = (30, 90, 180)
CATEGORY = DataCategory.INCIDENT.value


def _check_when(data: dict, today: date) -> datetime | None:
    """The moment it happened (UTC) when a time is given; neither may lie in the future."""
    if data["occurred_on"] > today:
        raise ValidationError({"occurred_on": ["The date it happened must be today or earlier"]})
    if data["occurred_on"] < today - timedelta(days=3 * 365):
        raise ValidationError(
            {"occurred_on": ["Log incidents of the last three years; older ones belong in notes"]}
        )
    if data["occurred_time"] is None:
        return None
    local = datetime.combine(data["occurred_on"], data["occurred_time"], tzinfo=LONDON)
    if local > utcnow().astimezone(LONDON):
        raise ValidationError({"occurred_time": ["The time it happened must be in the past"]})
    return local.astimezone(UTC)


@dataclass
class Logged:
    incident: CaseIncident
    # True when this incident brought the case to the ASB case review threshold.
    threshold_met: bool = False


def log_incident(case: Case, data: dict, *, actor) -> Logged:
    data = IncidentSchema().load(data)
    earlier = submitted_before(CaseIncident, case.id, data["form_token"])
    if earlier is not None:
        return Logged(earlier)  # the same form sent twice: one incident
    if case.stage == Stage.CLOSED.value:
        raise ValidationError(
            {"form": ["This case is closed: refer a new incident to the hub instead"]}
        )
    check_category(actor, case, CATEGORY, field="form")
    today = utcnow().astimezone(LONDON).date()
    occurred_at = _check_when(data, today)
    restricted_to = restriction(case, data, actor, "the incident")
    before = case_history(case, today)
    incident = CaseIncident(
        case_id=case.id,
        occurred_on=data["occurred_on"],
        occurred_at=occurred_at,
        description=data["description"],
        location=data["location"],
        people=data["people"],
        reported_by=data["reported_by"],
        reported_to=data["reported_to"],
        crime_reference=(data["crime_reference"] or "").upper() or None,
        hate=data["hate"],
        category=CATEGORY,
        origin_agency_id=actor.agency_id,
        restricted=restricted_to is not None,
        recorded_by_id=actor.id,
        form_token=data["form_token"],
    )
    added = add_once(incident)
    if added is not incident:
        return Logged(added)
    restrict(incident, restricted_to)
    rows = _add_to_history(case, incident)
    audit.record(
        "case_incident_logged",
        user=actor,
        hub=case.hub_id,
        target=incident,
        details={
            "case_id": case.id,
            "category": incident.category,
            "restricted_to": sorted(restricted_to) if restricted_to is not None else None,
            "rows": rows,
        },
    )
    log(case, actor, "incident_logged", "Logged a new incident", record=incident)
    after = case_history(case, today)
    if after.review_met and not before.review_met:
        # Case data, not personal: every member sees that the threshold is now met.
        log(
            case,
            actor,
            "case_review_threshold",
            "The case now meets the ASB case review threshold: " + "; ".join(after.review_reasons),
        )
    prompt_case_review_offer(case, today)
    return Logged(incident, after.review_met and not before.review_met)


def _add_to_history(case: Case, incident: CaseIncident) -> int:
    """Copy the keys of the case's latest referral (its victims, subjects and place) onto
    history rows for this incident: one statement. A case with no referral (opened by hand)
    gets one row without keys, so the case's own count still includes it."""
    latest = (
        select(func.max(Incident.referral_id))
        .where(Incident.case_id == case.id, Incident.referral_id.is_not(None))
        .scalar_subquery()
    )
    keys = db.session.execute(
        select(
            Incident.victim_key,
            Incident.victim_addr_key,
            Incident.subject_key,
            Incident.subject_addr_key,
            Incident.place_key,
            Incident.cell,
        )
        .where(Incident.referral_id == latest)
        .order_by(Incident.id)
    ).all()
    rows = [
        {
            "hub_id": case.hub_id,
            "occurred_on": incident.occurred_on,
            "victim_key": k.victim_key,
            "victim_addr_key": k.victim_addr_key,
            "subject_key": k.subject_key,
            "subject_addr_key": k.subject_addr_key,
            "place_key": k.place_key,
            "cell": k.cell,
            "hate": incident.hate,
            "case_id": case.id,
            "case_incident_id": incident.id,
        }
        for k in keys
    ] or [
        {
            "hub_id": case.hub_id,
            "occurred_on": incident.occurred_on,
            "hate": incident.hate,
            "case_id": case.id,
            "case_incident_id": incident.id,
        }
    ]
    db.session.execute(insert(Incident.__table__), rows)
    return len(rows)


@dataclass
class CaseHistory:
    """How many incidents the case has had (its referrals and the incidents logged on it),
    by window, and whether the ASB case review threshold is met on them."""

    windows: dict[str, int]
    review_window_days: int
    in_review_window: int
    hate_in_review_window: int
    review_complaints: int
    review_hate: int | None
    review_reasons: list[str]

    @property
    def review_met(self) -> bool:
        return bool(self.review_reasons)


@cache
def _history_counts() -> Select:
    """case_history's statement, built once (the referrals tab of every case runs it)."""

    def distinct(*conditions):
        # An incident is a referral's or a logged one: count each id once, in its own space.
        referred, logged = (
            func.count(func.distinct(when((and_(*conditions, column.is_not(None)), column))))
            for column in (Incident.referral_id, Incident.case_incident_id)
        )
        return referred + logged

    review_since = bindparam("review_since")
    return select(
        *[
            distinct(Incident.occurred_on >= bindparam(f"since_{d}")).label(f"w{d}")
            for d in WINDOWS
        ],
        distinct(Incident.occurred_on >= review_since).label("review"),
        distinct(Incident.occurred_on >= review_since, Incident.hate.is_(True)).label("hate"),
    ).where(
        Incident.case_id == bindparam("case_id"),
        Incident.occurred_on >= bindparam("earliest"),
        Incident.occurred_on <= bindparam("today"),
    )


def case_history(case: Case, today: date) -> CaseHistory:
    """One statement, whatever the history's size. Each referral and each logged incident
    counts once, however many victim/subject rows it has in the history."""
    rule = scores.hub_ruleset(case.hub_id).case_review
    since = {f"since_{days}": today - timedelta(days=days) for days in WINDOWS}
    review_since = today - timedelta(days=rule.window_days)
    earliest = min([*since.values(), review_since])
    params = {"case_id": case.id, "today": today, "review_since": review_since, **since}
    row = read_values(_history_counts(), params | {"earliest": earliest}).one()
    reasons = []
    if row.review >= rule.complaints:
        reasons.append(
            f"{row.review} complaints within {rule.window_days} days (threshold {rule.complaints})"
        )
    if rule.hate_incidents is not None and row.hate >= rule.hate_incidents:
        reasons.append(
            f"{row.hate} hate incident{'s' if row.hate != 1 else ''} within "
            f"{rule.window_days} days (threshold {rule.hate_incidents})"
        )
    return CaseHistory(
        windows={str(d): int(getattr(row, f"w{d}")) for d in WINDOWS},
        review_window_days=rule.window_days,
        in_review_window=int(row.review),
        hate_in_review_window=int(row.hate),
        review_complaints=rule.complaints,
        review_hate=rule.hate_incidents,
        review_reasons=reasons,
    )
