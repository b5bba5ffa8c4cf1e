"""The case record itself. Casework owns every write to a case: opening it from a referral
(triage), adding a referral to it, its details (title, lead agency, SPoC, next conference and
review), and the conference's decisions on its lead agency, band and next review. Stage is
stages.py's; membership is membership.py's. Each write is audited; callers commit."""

import re
from datetime import date, datetime, time, timedelta

from marshmallow import ValidationError

from hub import audit
from hub import permissions as perm
from hub.casework import deadlines, membership, scores
from hub.casework.activity import log
from hub.casework.checks import show, stale_case
from hub.casework.membership import member_ids
from hub.casework.schemas import (
    CaseDetailsSchema,
)
from hub.core.database import read_values
from hub.core.locking import check_version, flush_or_stale, insert_numbered
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import Agency, Case, DeadlineSource, MembershipRoute, Role, Stage, User
from scoring import band_rank, deadline_for

CASE_LABELS = {
    "title": "Title",
    "lead_agency_id": "Lead agency",
    "spoc_user_id": "SPoC",
    "next_conference_on": "Next conference",
    "next_review_on": "Next review",
}


def conference_date(case: Case) -> date | None:
    return case.next_conference_at.astimezone(LONDON).date() if case.next_conference_at else None


def update_case(case: Case, data: dict, *, actor) -> list[str]:
    data = CaseDetailsSchema().load(data)

    def differences():
        saved = {
            "title": case.title,
            "lead_agency_id": case.lead_agency.name if case.lead_agency else None,
            "spoc_user_id": _user_name(case.spoc_user_id),
            "next_conference_on": conference_date(case),
            "next_review_on": case.next_review_on,
        }
        typed = {
            **data,
            "lead_agency_id": _agency_name(data["lead_agency_id"]),
            "spoc_user_id": _user_name(data["spoc_user_id"]),
        }
        return [
            (label, show(saved[k]), show(typed[k]))
            for k, label in CASE_LABELS.items()
            if show(saved[k]) != show(typed[k])
        ]

    check_version(case.version, data["version"], stale_case(differences))
    members = member_ids(case)
    if data["lead_agency_id"] is not None and data["lead_agency_id"] not in members:
        raise ValidationError({"lead_agency_id": ["Choose an agency that is a member of the case"]})
    lead_changed = data["lead_agency_id"] != case.lead_agency_id
    if lead_changed and not perm.can_supervise_case(actor, case):
        raise ValidationError(
            {"lead_agency_id": ["Only a coordinator or hub manager can record the lead agency"]}
        )
    if data["spoc_user_id"] is not None:
        spoc = db.session.get(User, data["spoc_user_id"])
        if spoc is None or spoc.agency_id not in members:
            raise ValidationError(
                {"spoc_user_id": ["Choose a SPoC from one of the case's member agencies"]}
            )
    before = _case_dict(case)
    case.title = data["title"]
    case.spoc_user_id = data["spoc_user_id"]
    case.next_review_on = data["next_review_on"]
    conference = data["next_conference_on"]
    # The hub's weekly conference is in the morning; the board shows the date.
    case.next_conference_at = (
        datetime.combine(conference, time(10, 0), LONDON).astimezone(utcnow().tzinfo)
        if conference
        else None
    )
    if lead_changed:
        _set_lead(case, data["lead_agency_id"], actor)
    flush_or_stale(stale_case(differences))
    db.session.refresh(case)
    after = _case_dict(case)
    keys = [k for k in CASE_LABELS if before[k] != after[k]]
    if keys:
        audit.record(
            "case_updated",
            user=actor,
            hub=case.hub_id,
            target=case,
            details={
                "changed": keys,
                "before": {k: before[k] for k in keys if k != "title"},
                "after": {k: after[k] for k in keys if k != "title"},
            },
        )
        log(
            case,
            actor,
            "case_updated",
            "Changed " + ", ".join(CASE_LABELS[k].lower() for k in keys),
        )
    return [CASE_LABELS[k] for k in keys]


def _case_dict(case: Case) -> dict:
    values = {k: show(getattr(case, k, None)) for k in CASE_LABELS}
    values["next_conference_on"] = show(conference_date(case))
    return values


def _agency_name(agency_id):
    agency = db.session.get(Agency, agency_id) if agency_id else None
    return agency.name if agency else None


def _user_name(user_id):
    user = db.session.get(User, user_id) if user_id else None
    return user.name if user else None


def _set_lead(case: Case, agency_id: int | None, actor, conference=None) -> None:
    """The lead agency, who agreed it and when, and the conference it was agreed at (none
    when agreed outside one, so a case never names a conference that agreed another lead)."""
    case.lead_agency_id = agency_id
    case.lead_agreed_at = utcnow() if agency_id else None
    case.lead_agreed_by_id = actor.id if agency_id else None
    case.lead_agreed_conference_id = conference.id if agency_id and conference else None


def _bring_conference_forward(case: Case, due: datetime | None) -> None:
    """A conference deadline only ever comes forward."""
    if due is not None and (case.conference_due_by is None or due < case.conference_due_by):
        case.conference_due_by = due


def raise_band(case: Case, *, band: str, score: int, explanation, ruleset_version: str, due):
    """A more urgent score (a referral added to the case, a signed risk assessment) raises the
    case's band and brings its conference forward. Returns whether the band rose."""
    if not band or band_rank(band) <= band_rank(case.band):
        _bring_conference_forward(case, due)
        return False
    case.band, case.score = band, score
    case.score_explanation = explanation or []
    case.ruleset_version = ruleset_version or case.ruleset_version
    _bring_conference_forward(case, due)
    return True


# -- opening a case and adding a referral to it (triage) ----------------------------------------


def hub_prefix(slug: str) -> str:
    """'copeland' -> 'CPL': the first letter and the next consonants (a short, stable tag)."""
    letters = re.sub(r"[^a-z]", "", slug.lower()) or "hub"
    consonants = [c for c in letters[1:] if c not in "aeiou"]
    return (letters[0] + "".join(consonants) + letters[1:] + "xx")[:3].upper()


def case_reference_prefix(hub) -> str:
    """'CPL-2026-': a hub's cases are numbered per year."""
    return f"{hub_prefix(hub.slug)}-{utcnow().astimezone(LONDON).year}-"


def open_case(referral, title: str, *, actor, now: datetime) -> Case:
    """Open a case from a referral, scored as the referral was: the referring agency and the
    coordinator's own (which runs the conference) become its first members."""
    case = Case(
        hub_id=referral.hub_id,
        title=title,
        stage=Stage.AWAITING_CONFERENCE.value,
        band=referral.band,
        score=referral.score,
        score_explanation=referral.explanation or [],
        ruleset_version=referral.ruleset_version or "",
        conference_due_by=referral.conference_due_by,
        next_review_on=referral.next_review_on,
        opened_at=now,
        opened_by_id=actor.id,
    )
    insert_numbered(case, Case.reference, case_reference_prefix(referral.hub))
    audit.record(
        "case_opened",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"after": {"reference": case.reference, "band": case.band, "from": referral.id}},
    )
    _referring_agency_joins(case, referral, actor, now)
    membership.add_member(
        case,
        actor.agency_id,
        route=MembershipRoute.TRIAGE.value,
        reason="Coordinator who triaged",
        actor=actor,
        now=now,
    )
    _suggest_spoc(case, referral, actor)
    # The case carries the referral's deadline, so it is convened for like any other.
    deadlines.set_deadline(
        case,
        band=referral.band,
        due=referral.conference_due_by,
        source=DeadlineSource.INTAKE,
        now=now,
        set_at=referral.submitted_at,
        actor=actor,
        referral_id=referral.id,
    )
    return case


# Bands whose victims must have a single point of contact from the start (issue 14).
SPOC_BANDS = ("critical", "high", "medium")


def _suggest_spoc(case: Case, referral, actor) -> None:
    """A medium, high or critical case with a victim gets a suggested SPoC at triage: a SPoC of
    the referring agency, else of the coordinator's. The conference confirms or changes it
    (the case's details); with no SPoC in either, the board and agenda flag the case."""
    if case.band not in SPOC_BANDS or not any(p.role == "victim" for p in referral.people):
        return
    spocs = list(db.session.execute(perm.hub_people(case.hub_id, Role.SPOC)).scalars())
    for agency_id in (referral.agency_id, actor.agency_id):
        chosen = next((u for u in spocs if u.agency_id == agency_id), None)
        if chosen is not None:
            case.spoc_user_id = chosen.id
            audit.record(
                "case_spoc_suggested",
                user=actor,
                hub=case.hub_id,
                target=case,
                details={"spoc_user_id": chosen.id, "agency_id": agency_id},
            )
            return


def add_referral(case: Case, referral, *, actor, now: datetime) -> None:
    """Another referral about the same problem: its agency joins the case, and a more urgent
    referral raises the case's band and brings its conference forward."""
    _referring_agency_joins(case, referral, actor, now)
    raise_band(
        case,
        band=referral.band,
        score=referral.score,
        explanation=referral.explanation,
        ruleset_version=referral.ruleset_version,
        due=None,
    )
    # An open case (even one long past its first conference) owes the partners a meeting by
    # the referral's deadline, unless it already owes one sooner.
    deadlines.set_deadline(
        case,
        band=referral.band,
        due=referral.conference_due_by,
        source=DeadlineSource.REFERRAL_ADDED,
        now=now,
        set_at=referral.submitted_at,
        actor=actor,
        referral_id=referral.id,
    )


def _referring_agency_joins(case: Case, referral, actor, now: datetime) -> None:
    membership.add_member(
        case,
        referral.agency_id,
        route=MembershipRoute.REFERRAL.value,
        reason=f"Referring agency ({referral.reference})",
        actor=actor,
        now=now,
    )


# -- the conference's decisions on a case -------------------------------------------------------


def _on(moment) -> str:
    return moment.astimezone(LONDON).strftime("%-d %B %Y")


def agree_lead_at_conference(case: Case, agency_id: int, *, actor, conference) -> Agency:
    """The partners agree the lead agency at a conference (a member of the case)."""
    if agency_id not in member_ids(case):
        raise ValidationError({"agency_id": ["Choose an agency that is a member of the case"]})
    agency = db.session.get(Agency, agency_id)
    before = {
        "lead_agency_id": case.lead_agency_id,
        "lead_agreed_conference_id": case.lead_agreed_conference_id,
    }
    _set_lead(case, agency.id, actor, conference)
    db.session.flush()
    audit.record(
        "case_lead_agreed",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "before": before,
            "after": {"lead_agency_id": agency.id, "lead_agreed_conference_id": conference.id},
        },
    )
    log(
        case,
        actor,
        "case_updated",
        f"Agreed {agency.name} as lead agency at the conference on {_on(conference.starts_at)}",
    )
    return agency


def agree_spoc_at_conference(
    case: Case, user_id: int, *, actor, conference
) -> tuple[User | None, User]:
    """The partners confirm the case's SPoC or choose another at a conference: an active
    person of one of the case's member agencies (as workspace.spoc_candidates offers).
    Returns the SPoC it had (or None) and the one agreed."""
    spoc = db.session.get(User, user_id)
    members = set(read_values(perm.active_member_agency_ids(case.id)).scalars())
    if spoc is None or not spoc.is_active_account or spoc.agency_id not in members:
        raise ValidationError(
            {"spoc_user_id": ["Choose a SPoC from one of the case's member agencies"]}
        )
    was = db.session.get(User, case.spoc_user_id) if case.spoc_user_id else None
    case.spoc_user_id = spoc.id
    db.session.flush()
    audit.record(
        "case_spoc_agreed",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "before": {"spoc_user_id": was.id if was else None},
            "after": {"spoc_user_id": spoc.id, "conference_id": conference.id},
            "changed": was is None or was.id != spoc.id,
        },
    )
    done = "Confirmed" if was is not None and was.id == spoc.id else "Agreed"
    log(
        case,
        actor,
        "case_updated",
        f"{done} {spoc.name} as SPoC at the conference on {_on(conference.starts_at)}",
    )
    return was, spoc


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def set_band_at_conference(case: Case, band: str, *, actor, conference, today: date) -> str:
    """The partners set the case's band at a conference. Its review comes round at the new
    band's cadence (the hub's ruleset): a raised band brings it forward. Returns the band it
    was."""
    before = {"band": case.band, "next_review_on": _iso(case.next_review_on)}
    raised = band_rank(band) > band_rank(case.band)
    case.band = band
    due = today + timedelta(days=scores.hub_ruleset(case.hub_id).review_days[band])
    if case.next_review_on is None or due < case.next_review_on:
        case.next_review_on = due
    db.session.flush()
    audit.record(
        "case_band_set",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "before": before,
            "after": {"band": band, "next_review_on": _iso(case.next_review_on)},
            "conference_id": conference.id,
        },
    )
    log(case, actor, "case_updated", f"Set the band to {band} at the conference")
    if raised:
        # A raised band owes the partners a meeting within its deadline, from now: the
        # conference that raised it is already under way.
        scoring = scores.for_hub(case.hub_id)
        now = utcnow()
        deadlines.set_deadline(
            case,
            band=band,
            due=deadline_for(band, now, scoring.weekly, scoring.ruleset),
            source=DeadlineSource.CONFERENCE,
            now=now,
            actor=actor,
            record_id=conference.id,
        )
    return before["band"]


def set_band_at_triage(case: Case, band: str, *, referral, actor, now: datetime) -> None:
    """A coordinator sets the case's band at triage, other than the referral's score gave
    (the reason is kept on the referral). A raised band convenes the partners within its
    deadline; a lowered one leaves the referral's own deadline standing (its urgent
    conference, if any, is declined with a reason like any other)."""
    before = case.band
    if band_rank(band) > band_rank(case.band):
        deadlines.raise_case_band(
            case, band, source=DeadlineSource.TRIAGE, now=now, actor=actor, record_id=referral.id
        )
    else:
        case.band = band
    db.session.flush()
    audit.record(
        "case_band_set_at_triage",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "before": {"band": before},
            "after": {"band": case.band},
            "referral_id": referral.id,
            "fields": ["triage_band_reason"],
        },
    )
    log(case, actor, "case_updated", f"Set the band to {band} at triage (was {before})")


def set_next_review_at_conference(case: Case, day: date, *, actor, conference) -> None:
    """The partners set when they next review the case."""
    before = _iso(case.next_review_on)
    case.next_review_on = day
    db.session.flush()
    audit.record(
        "case_next_review_set",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={
            "before": {"next_review_on": before},
            "after": {"next_review_on": day.isoformat()},
            "conference_id": conference.id,
        },
    )
    log(case, actor, "case_updated", "Set the next review date at the conference")
