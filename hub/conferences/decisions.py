"""Decisions at a conference, recorded on an agenda item and written into the case (or the
referral) by the services that own those writes, in the same transaction: triage opens or
declines a referral; casework opens, declines or closes a case and sets its lead agency, SPoC,
band, next review, plan and actions; sharing adds a member agency; ASB case reviews are opened and
decided. Partners following the conference see each decision as their access allows.

Every function validates first and raises marshmallow ValidationError (nothing written), or
StaleForm for a form opened before someone else's change; the caller commits."""

from marshmallow import ValidationError
from sqlalchemy import func, select

from hub import permissions as perm
from hub.casework import actions, cases, plans, stages
from hub.casework.activity import log
from hub.conferences import case_reviews
from hub.conferences.running import (
    case_for_writing,
    check_edit_version,
    check_item,
    check_live,
    mark_discussed,
    record_change,
    today,
)
from hub.conferences.schemas import DecisionSchema, ReviewOn
from hub.core.locking import StaleForm, check_version
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    Agency,
    AgendaItem,
    Band,
    Case,
    CaseReviewStatus,
    Conference,
    ConferenceDecision,
    DecisionKind,
    MembershipRoute,
    Referral,
    Stage,
)
from hub.sharing import membership as sharing_membership
from hub.victims import records as victim_records
from referrals import notices, triage


def _agency_id(data: dict, message: str) -> int:
    try:
        return int(data.get("agency_id"))
    except (TypeError, ValueError):
        raise ValidationError({"agency_id": [message]}) from None


def _check_case_version(case: Case, submitted) -> None:
    check_version(
        case.version,
        submitted,
        lambda: StaleForm(
            f"Case {case.reference} changed since you opened the page. "
            "Check it and record the decision again."
        ),
    )


def record_decision(
    conference: Conference, item: AgendaItem, data: dict, *, actor
) -> ConferenceDecision:
    """Record one decision on an agenda item and write it into the case or referral."""
    data = DecisionSchema().load(data)
    check_live(conference)
    check_item(conference, item)
    check_edit_version(conference, data["version"])
    kind = DecisionKind(data["kind"])
    if item.case_id is None:
        decision = _decide_referral(conference, item, kind, data, actor)
    else:
        decision = _decide_case(conference, item, kind, data, actor)
        notices.conference_decided(conference, item.case, actor=actor)
    mark_discussed(item)
    db.session.add(decision)
    db.session.flush()
    record_change(
        conference,
        actor,
        "conference_decision_recorded",
        {
            "decision_id": decision.id,
            "item_id": item.id,
            "kind": decision.kind,
            "case_id": decision.case_id,
            "referral_id": decision.referral_id,
        },
    )
    return decision


def _new_decision(conference, item, kind, actor, summary, **values) -> ConferenceDecision:
    return ConferenceDecision(
        conference_id=conference.id,
        item_id=item.id,
        kind=kind.value,
        summary=summary,
        decided_by_id=actor.id,
        decided_at=utcnow(),
        **values,
    )


def _decide_referral(conference, item, kind, data, actor) -> ConferenceDecision:
    referral: Referral = item.referral
    if kind not in (DecisionKind.OPEN_CASE, DecisionKind.DECLINE):
        raise ValidationError(
            {"kind": ["Open a case from the referral, or decline it, before any other decision"]}
        )
    reason = data["reason"].strip()
    if kind == DecisionKind.DECLINE:
        if not reason:
            raise ValidationError({"reason": ["Enter the reason for declining"]})
        triage.decide(referral, {"decision": "declined", "reason": reason}, user=actor)
        return _new_decision(
            conference,
            item,
            kind,
            actor,
            f"Referral {referral.reference} declined",
            referral_id=referral.id,
            reason=reason,
        )
    title = data["title"].strip()
    triage.decide(referral, {"decision": "new_case", "title": title, "reason": reason}, user=actor)
    case = db.session.get(Case, referral.case_id)
    item.case = case
    return _new_decision(
        conference,
        item,
        kind,
        actor,
        f"Case {case.reference} opened from referral {referral.reference}",
        referral_id=referral.id,
        case_id=case.id,
        reason=reason,
        details={"title": case.title},
    )


def _decide_case(conference, item, kind, data, actor) -> ConferenceDecision:
    case: Case = item.case
    if kind == DecisionKind.REVIEW_THRESHOLD:
        return _review_threshold(conference, item, case, data, actor)
    if kind == DecisionKind.ADD_MEMBER:
        # Adding an agency needs no access to the case's records: a coordinator may add their
        # own agency this way before working the case.
        if not perm.can_manage_case_membership(actor, case):
            raise ValidationError({"form": ["Only a coordinator or hub manager can add agencies"]})
    else:
        case_for_writing(item, actor)
    _check_case_version(case, data["case_version"])
    handler = CASE_DECISIONS[kind]
    summary, values = handler(conference, case, data, actor)
    return _new_decision(conference, item, kind, actor, summary, case_id=case.id, **values)


def _open(conference, case: Case, data, actor):
    if case.stage not in (Stage.REFERRED.value, Stage.AWAITING_CONFERENCE.value):
        stage = Stage(case.stage).label.lower()
        raise ValidationError({"kind": [f"Case {case.reference} is already open ({stage})"]})
    if case.lead_agency_id is None or case.lead_agreed_at is None:
        raise ValidationError({"form": ["Agree the lead agency before opening the case"]})
    plan = plans.plan_of(case)
    objective = data["objective"].strip()
    if plan is None or not plan.objective.strip():
        if not objective:
            raise ValidationError({"objective": ["Enter the plan's objective"]})
        measures = data["success_measures"].strip()
        if not measures:
            raise ValidationError(
                {"success_measures": ["State how you will measure success with the objective"]}
            )
        fields_now = {k: getattr(plan, k) or "" for k in plans.PLAN_LABELS} if plan else {}
        plans.save_plan(
            case,
            {
                **fields_now,
                "objective": objective,
                "success_measures": measures,
                "version": str(plan.version) if plan else None,
            },
            actor=actor,
        )
    stages.move_stage(case, Stage.ACTIVE.value, case.version, actor=actor)
    return f"Case {case.reference} opened: now active", {"details": {"objective": objective}}


def _decline(conference, case: Case, data, actor):
    reason = data["reason"].strip()
    if not reason:
        raise ValidationError({"reason": ["Enter the reason for declining"]})
    if case.stage not in (Stage.REFERRED.value, Stage.AWAITING_CONFERENCE.value):
        raise ValidationError(
            {"kind": ["Only a case awaiting its first conference can be declined: close it"]}
        )
    stages.close_unopened(case, reason, case.version, actor=actor)
    return f"Case {case.reference} declined and closed", {"reason": reason}


def _lead(conference, case: Case, data, actor):
    agency_id = _agency_id(data, "Choose the lead agency")
    agency = cases.agree_lead_at_conference(case, agency_id, actor=actor, conference=conference)
    return f"Lead agency: {agency.name}", {"details": {"agency_id": agency.id}}


def _add_member(conference, case: Case, data, actor):
    membership = sharing_membership.add_member(
        case,
        {
            "agency_id": data["agency_id"],
            "route": MembershipRoute.CONFERENCE.value,
            "reason": data["reason"],
        },
        actor=actor,
        may_use_hub_manager_route=False,
    )
    name = db.session.get(Agency, membership.agency_id).name
    return f"{name} added as a member agency", {
        "reason": membership.reason,
        "details": {"agency_id": membership.agency_id},
    }


def _spoc(conference, case: Case, data, actor):
    """The partners confirm the case's SPoC, or change it, from the case's member agencies'
    people (the workspace's spoc_candidates). A change hands over the victims (and their
    call-backs) the previous SPoC kept."""
    try:
        user_id = int(data.get("spoc_user_id"))
    except (TypeError, ValueError):
        raise ValidationError({"spoc_user_id": ["Choose the SPoC"]}) from None
    was, spoc = cases.agree_spoc_at_conference(case, user_id, actor=actor, conference=conference)
    who = f"{spoc.name}, {spoc.agency.name}"
    if was is None:
        summary = f"SPoC: {who}"
    elif was.id == spoc.id:
        summary = f"SPoC confirmed: {who}"
    else:
        summary = f"SPoC changed to {who} (was {was.name}, {was.agency.name})"
        moved = victim_records.hand_over(case, was, spoc, actor=actor)
        if moved:
            summary += f"; {moved} victim{'s' if moved != 1 else ''} handed over"
    return summary, {"details": {"before": was.id if was else None, "after": spoc.id}}


def _band(conference, case: Case, data, actor):
    band = data["band"]
    if band not in {b.value for b in Band}:
        raise ValidationError({"band": ["Choose the band"]})
    reason = data["reason"].strip()
    if not reason:
        raise ValidationError({"reason": ["Enter the reason for setting the band"]})
    if band == case.band:
        raise ValidationError({"band": [f"The case is already {band}"]})
    was = cases.set_band_at_conference(
        case, band, actor=actor, conference=conference, today=today()
    )
    return f"Band set to {band} (was {was})", {
        "reason": reason,
        "details": {"before": was, "after": band},
    }


def _action(conference, case: Case, data, actor):
    action = actions.add_action(
        case,
        {
            k: data[k]
            for k in ("description", "agency_id", "owner_id", "due_on")
            if data.get(k) not in (None, "")
        },
        actor=actor,
    )
    summary = (
        f"Action for {action.agency.name} ({action.owner.name}), due "
        f"{action.due_on.strftime('%-d %B %Y')}: {action.description}"
    )
    return summary, {"action_id": action.id}


def _next_review(conference, case: Case, data, actor):
    if not data.get("review_on"):
        raise ValidationError({"review_on": ["Enter the next review date"]})
    day = ReviewOn().load({"review_on": data["review_on"]})["review_on"]
    if day < today():
        raise ValidationError({"review_on": ["The next review date cannot be in the past"]})
    cases.set_next_review_at_conference(case, day, actor=actor, conference=conference)
    return f"Next review on {day.strftime('%-d %B %Y')}", {"details": {"on": day.isoformat()}}


def _case_review(conference, case: Case, data, actor):
    waiting = case_reviews.awaiting_decision(case)
    if waiting is not None:
        raise ValidationError(
            {
                "kind": [
                    f"{case.reference} already awaits a threshold decision ({waiting.reference})"
                ]
            }
        )
    review = case_reviews.open_review(
        conference.hub, source="conference", received_on=today(), actor=actor, case=case
    )
    return f"Referred to an ASB case review ({review.reference})", {
        "reason": data["reason"].strip(),
        "details": {"case_review_id": review.id},
    }


def review_on_item(item: AgendaItem):
    """The ASB case review application to decide on this case item: the one the agenda builder
    linked, or, on an item it did not build (an urgent conference, a coordinator's addition,
    an application received since), the case's application awaiting its decision."""
    linked = item.case_review
    if linked is not None and linked.status == CaseReviewStatus.RECEIVED.value:
        return linked
    return case_reviews.awaiting_decision(item.case) if item.case_id else None


def _review_threshold(conference, item: AgendaItem, case: Case, data, actor):
    """Whether the application this item carries meets the ASB case review threshold. The
    decision names no one, so like adding a member it needs no access to the case's records:
    it is the partnership's, recorded by whoever runs the conference."""
    if not perm.can_run_conferences(actor, conference.hub):
        raise ValidationError({"form": ["Only a coordinator or hub manager can record this"]})
    review = review_on_item(item)
    if review is None and item.case_review is not None:
        decided = item.case_review.reference
        raise ValidationError({"kind": [f"{decided} has already had its threshold decision"]})
    if review is None:
        raise ValidationError(
            {"kind": [f"No ASB case review application awaits a decision on {case.reference}"]}
        )
    item.case_review_id = review.id
    if data["met"] not in ("yes", "no"):
        raise ValidationError({"met": ["Choose whether the threshold is met"]})
    reason = data["reason"].strip()
    if not reason:
        raise ValidationError({"reason": ["Enter the reason, which the applicant will be told"]})
    met = data["met"] == "yes"
    case_reviews.decide_threshold(review, met=met, actor=actor, conference=conference)
    outcome = "met: the review will be held" if met else "not met"
    log(case, actor, "case_updated", f"ASB case review {review.reference}: threshold {outcome}")
    return _new_decision(
        conference,
        item,
        DecisionKind.REVIEW_THRESHOLD,
        actor,
        f"ASB case review {review.reference}: threshold {outcome}",
        case_id=case.id,
        reason=reason,
        details={"case_review_id": review.id, "threshold_met": met},
    )


def _close(conference, case: Case, data, actor):
    if case.stage == Stage.CLOSED.value:
        raise ValidationError({"kind": [f"Case {case.reference} is already closed"]})
    needs = stages.unmet_needs(case, Stage.CLOSED)
    if needs:
        raise ValidationError({"form": [". ".join(needs)]})
    stages.move_stage(case, Stage.CLOSED.value, case.version, actor=actor)
    return f"Case {case.reference} closed", {"reason": data["reason"].strip()}


CASE_DECISIONS = {
    DecisionKind.OPEN_CASE: _open,
    DecisionKind.DECLINE: _decline,
    DecisionKind.LEAD_AGENCY: _lead,
    DecisionKind.SPOC: _spoc,
    DecisionKind.ADD_MEMBER: _add_member,
    DecisionKind.BAND: _band,
    DecisionKind.ACTION: _action,
    DecisionKind.NEXT_REVIEW: _next_review,
    DecisionKind.CASE_REVIEW: _case_review,
    DecisionKind.CLOSE: _close,
}


# -- reading the decisions -------------------------------------------------------------------


def decisions_of(conference: Conference, item: AgendaItem | None = None):
    query = select(ConferenceDecision).where(ConferenceDecision.conference_id == conference.id)
    if item is not None:
        query = query.where(ConferenceDecision.item_id == item.id)
    return list(db.session.execute(query.order_by(ConferenceDecision.id)).scalars())


def decisions_marker(conference: Conference) -> int:
    """The newest decision: pollers compare it to know whether anything changed."""
    query = select(func.max(ConferenceDecision.id)).where(
        ConferenceDecision.conference_id == conference.id
    )
    return db.session.execute(query).scalar() or 0


def decisions_for(user, conference: Conference) -> list[dict]:
    """Each decision as this reader may see it: in full on a case they may open (or a
    referral they may see); otherwise only the reference and that a decision was recorded."""
    rows = decisions_of(conference)
    readable = perm.readable_decisions(user, conference.hub, rows)
    out = []
    for d in rows:
        reference = d.case.reference if d.case_id else d.referral.reference
        visible = d.id in readable
        out.append(
            {
                "id": d.id,
                "reference": reference,
                "case_id": d.case_id if visible else None,
                "kind": DecisionKind(d.kind).label if visible else None,
                "summary": d.summary if visible else None,
                "decided_at": d.decided_at,
                "visible": visible,
            }
        )
    return out
