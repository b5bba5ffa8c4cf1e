"""A victim's record on a case: who they are and how their SPoC keeps in touch safely. Added
and updated by a member whose agreements cover victim contact; read through the permission
rule and audited. Callers commit."""

from dataclasses import dataclass

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from hub import audit
from hub import permissions as perm
from hub.casework.activity import log
from hub.casework.checks import check_category
from hub.core.locking import StaleForm, check_version, flush_or_stale
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import CallBack, Case, HubAgency, RecordRestriction, User, Victim
from hub.models.victims import (
    SATISFACTION,
    SATISFACTION_POINTS,
    VICTIM_CATEGORY,
    CallBackStatus,
)
from hub.victims.schemas import YES_NO_UNKNOWN, SatisfactionSchema, VictimSchema

# The columns a form writes, and the form's own words for each yes/no/unknown answer.
FIELDS = (
    "name",
    "phone",
    "email",
    "address",
    "preferred_channel",
    "contact_times",
    "safe_to_leave_message",
    "safe_to_send_letter",
    "safety_notes",
    "language",
    "interpreter_needed",
    "access_needs",
    "support_in_place",
    "support_consent",
    "support_referred_to",
    "support_referred_on",
    "wants_updates",
    "spoc_user_id",
)
CHANGED = "Someone else changed this victim's record since you opened it. Check it and try again."


def _values(data: dict) -> dict:
    values = {k: data[k] for k in FIELDS if k in data}
    for key in ("safe_to_leave_message", "safe_to_send_letter"):
        values[key] = YES_NO_UNKNOWN[data[key]]
    values["interpreter_needed"] = data["interpreter_needed"] == "yes"
    values["wants_updates"] = data["wants_updates"] == "yes"
    return values


def _check_spoc(case: Case, spoc_user_id: int | None, actor) -> int:
    """The victim's SPoC: the one chosen, else the case's, else whoever records the victim.
    A SPoC must be able to read and write the victim's record, or they could not keep it."""
    chosen = spoc_user_id or case.spoc_user_id or actor.id
    spoc = db.session.get(User, chosen)
    if (
        spoc is None
        or not spoc.is_active_account
        or not perm.can_read_victims(spoc, case, perm.Action.WRITE)
    ):
        field = "spoc_user_id" if spoc_user_id else "form"
        raise ValidationError(
            {
                field: [
                    "The SPoC must work for a member agency whose agreements cover victim contact"
                ]
            }
        )
    return chosen


def _restriction(case: Case, data: dict, actor) -> set[int]:
    if data["sharing"] != "restricted":
        return set()
    chosen = set(data["restricted_to"])
    if not chosen:
        raise ValidationError(
            {"restricted_to": ["Choose at least one agency that may see this victim"]}
        )
    partners = set(
        db.session.execute(
            select(HubAgency.agency_id).where(
                HubAgency.hub_id == case.hub_id, HubAgency.agency_id.in_(chosen)
            )
        ).scalars()
    )
    if partners != chosen:
        raise ValidationError(
            {"restricted_to": ["Choose only agencies that are partners in this hub"]}
        )
    return chosen - {actor.agency_id}  # the originating agency always sees its own


def add_victim(case: Case, data: dict, *, actor) -> Victim:
    data = VictimSchema().load(data)
    check_category(actor, case, VICTIM_CATEGORY, field="form")
    values = _values(data)
    values["spoc_user_id"] = _check_spoc(case, data["spoc_user_id"], actor)
    restricted_to = _restriction(case, data, actor)
    victim = Victim(
        case_id=case.id,
        category=VICTIM_CATEGORY,
        origin_agency_id=actor.agency_id,
        restricted=data["sharing"] == "restricted",
        created_by_id=actor.id,
        **values,
    )
    db.session.add(victim)
    db.session.flush()
    for agency_id in sorted(restricted_to):
        db.session.add(
            RecordRestriction(
                record_type=victim.record_type, record_id=victim.id, agency_id=agency_id
            )
        )
    audit.record(
        "victim_added",
        user=actor,
        hub=case.hub_id,
        target=victim,
        details={
            "case_id": case.id,
            "category": VICTIM_CATEGORY,
            "spoc_user_id": victim.spoc_user_id,
            "restricted_to": sorted(restricted_to) if victim.restricted else None,
        },
    )
    log(case, actor, "victim_added", "Added a victim's contact record", record=victim)
    return victim


def update_victim(case: Case, victim: Victim, data: dict, *, actor) -> Victim:
    """The victim's needs as the SPoC now knows them. A form opened before someone else's
    save is refused (StaleForm), never silently applied. Who may see the record stays as the
    originating agency set it."""
    data = VictimSchema().load(data)
    stale = lambda: StaleForm(CHANGED)  # noqa: E731
    check_version(victim.version, data["version"], stale)
    values = _values(data)
    values["spoc_user_id"] = _check_spoc(case, data["spoc_user_id"], actor)
    changed = sorted(k for k, v in values.items() if getattr(victim, k) != v)
    if not changed:
        return victim
    for key in changed:
        setattr(victim, key, values[key])
    victim.updated_at = utcnow()
    flush_or_stale(stale)
    audit.record(
        "victim_updated",
        user=actor,
        hub=case.hub_id,
        target=victim,
        details={"case_id": case.id, "fields": changed, "version": victim.version},
    )
    log(case, actor, "victim_updated", "Updated a victim's contact record", record=victim)
    return victim


def case_victims(user, case: Case) -> list[Victim]:
    """The victims on the case this user may see, oldest first (one query)."""
    query = perm.victim_records(user, Victim, case.hub).where(Victim.case_id == case.id)
    query = query.options(joinedload(Victim.spoc))  # each SPoC's name, in the same query
    return list(db.session.execute(query.order_by(Victim.id)).scalars())


def victim_or_none(user, case: Case, victim_id: int, action=perm.Action.READ) -> Victim | None:
    """One victim on this case, when the user may see it for `action`."""
    query = perm.victim_records(user, Victim, case.hub, action).where(
        Victim.case_id == case.id, Victim.id == victim_id
    )
    return db.session.execute(query).scalar_one_or_none()


def hand_over(case: Case, was: User, to: User, *, actor) -> int:
    """The case's SPoC changed at conference: the victims the previous SPoC kept, and their
    open call-backs, go to the new one, so reminders and "My victims" follow the decision.
    Refused (nothing moved) unless the new SPoC may keep every one of them (victim contact,
    and any restriction). Returns how many victims moved."""
    kept = list(
        db.session.execute(
            select(Victim).where(Victim.case_id == case.id, Victim.spoc_user_id == was.id)
        ).scalars()
    )
    if not kept:
        return 0
    ids = [v.id for v in kept]
    keepable = set(
        db.session.execute(
            perm.victim_records(to, Victim, case.hub, perm.Action.WRITE)
            .where(Victim.id.in_(ids))
            .with_only_columns(Victim.id)
        ).scalars()
    )
    if keepable != set(ids):
        raise ValidationError(
            {
                "spoc_user_id": [
                    f"{to.name} cannot keep all of this case's victims (their agency's "
                    "agreements or a restriction): choose another SPoC"
                ]
            }
        )
    now = utcnow()
    for victim in kept:
        victim.spoc_user_id = to.id
        victim.updated_at = now
    call_backs = db.session.execute(
        select(CallBack).where(
            CallBack.victim_id.in_(ids),
            CallBack.spoc_user_id == was.id,
            CallBack.status == CallBackStatus.OPEN.value,
        )
    ).scalars()
    for call_back in call_backs:
        call_back.spoc_user_id = to.id
    flush_or_stale(lambda: StaleForm(CHANGED))
    audit.record(
        "victims_handed_over",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "before": {"spoc_user_id": was.id},
            "after": {"spoc_user_id": to.id},
            "count": len(kept),
        },
    )
    return len(kept)


# The closing question is asked once the partners are evaluating the case, or have closed it.
ASKED_AT = ("evaluation", "closed")


def record_satisfaction(case: Case, victim: Victim, data: dict, *, actor) -> Victim:
    """The victim's answer to the closing question, for the case's evaluation."""
    if case.stage not in ASKED_AT:
        raise ValidationError(
            {"satisfaction": ["Ask once the case is being evaluated or is closed"]}
        )
    data = SatisfactionSchema().load(data)
    victim.satisfaction = data["satisfaction"]
    victim.satisfaction_on = utcnow().date()
    victim.updated_at = utcnow()
    flush_or_stale(lambda: StaleForm(CHANGED))
    audit.record(
        "victim_satisfaction_recorded",
        user=actor,
        hub=case.hub_id,
        target=victim,
        details={"case_id": case.id, "fields": ["satisfaction"]},
    )
    log(case, actor, "victim_updated", "Recorded a victim's satisfaction", record=victim)
    return victim


@dataclass
class Answers:
    """The closing question's answers for the evaluation: how many victims gave each, and the
    point of the evaluation's five-point scale they agree on (None when they differ or none
    answered on the scale), which a new evaluation starts from."""

    counts: list[tuple[str, int]]
    point: int | None


def satisfaction_summary(user, case: Case) -> Answers | None:
    """For the evaluation: the answers of the case's victims this user may see (None when
    victim contact is not theirs to read)."""
    if not perm.can_read_victims(user, case):
        return None
    answered = [v for v in case_victims(user, case) if v.satisfaction]
    perm.record_read(user, case, answered, what="victim satisfaction")
    answers: dict[str, int] = {}
    for victim in answered:
        answers[victim.satisfaction] = answers.get(victim.satisfaction, 0) + 1
    points = {SATISFACTION_POINTS[k] for k in answers if k in SATISFACTION_POINTS}
    return Answers(
        [(SATISFACTION[k], answers[k]) for k in SATISFACTION if k in answers],
        points.pop() if len(points) == 1 else None,
    )
