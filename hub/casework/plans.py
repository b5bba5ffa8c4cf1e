"""The problem-solving plan (OSARA) and its sign-off (the evaluation: hub.casework.evaluations).
Every save keeps a revision; stale saves are refused. Audited; callers commit."""

from functools import cache

from marshmallow import ValidationError
from sqlalchemy import Select, bindparam, select

from hub import audit
from hub import permissions as perm
from hub.casework.activity import log
from hub.casework.checks import CASE_CHANGED, check_working_records, diff, stale_case
from hub.casework.schemas import PlanSchema
from hub.core.locking import StaleForm, check_version, flush_or_stale
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    Case,
    Plan,
    PlanRevision,
)

PLAN_LABELS = {
    "objective": "Objective",
    "success_measures": "Success measures",
    "scanning": "Scanning",
    "analysis_victim": "Analysis: victim",
    "analysis_offender": "Analysis: offender",
    "analysis_location": "Analysis: location",
    "response": "Response",
    "assessment": "Assessment",
}


def plan_of(case: Case) -> Plan | None:
    return db.session.execute(_plan_of_case(), {"case_id": case.id}).scalar_one_or_none()


@cache
def _plan_of_case() -> Select:
    return select(Plan).where(Plan.case_id == bindparam("case_id"))


def save_plan(case: Case, data: dict, *, actor) -> Plan:
    data = PlanSchema().load(data)
    check_working_records(actor, case)
    plan = plan_of(case)
    if plan is None:
        if data["version"] not in (None, "", "0"):
            # Someone created the plan after this form was opened.
            raise StaleForm(CASE_CHANGED, differences=diff(PLAN_LABELS, _latest_plan(case), data))
        plan = Plan(case_id=case.id)
        db.session.add(plan)
    else:
        check_version(
            plan.version, data["version"], stale_case(lambda: diff(PLAN_LABELS, plan, data))
        )
    before = {k: getattr(plan, k) or "" for k in PLAN_LABELS}
    for key in PLAN_LABELS:
        setattr(plan, key, data[key])
    plan.updated_at = utcnow()
    plan.updated_by_id = actor.id
    flush_or_stale(stale_case(lambda: diff(PLAN_LABELS, _latest_plan(case), data)))
    snapshot = {k: data[k] for k in PLAN_LABELS}
    db.session.add(
        PlanRevision(plan_id=plan.id, version=plan.version, snapshot=snapshot, saved_by_id=actor.id)
    )
    changed = [k for k in PLAN_LABELS if before[k] != data[k]]  # the revision holds the words
    audit.record(
        "plan_saved",
        user=actor,
        hub=case.hub_id,
        target=case,
        details={"plan_id": plan.id, "version": plan.version, "changed": changed},
    )
    log(case, actor, "plan_saved", f"Saved the plan (version {plan.version})")
    return plan


def _latest_plan(case: Case) -> Plan:
    db.session.expire_all()
    return plan_of(case)


def sign_off_plan(case: Case, data: dict, *, actor) -> Plan:
    plan = plan_of(case)
    if plan is None or not plan.objective:
        raise ValidationError({"form": ["Write the plan's objective before it is signed off"]})
    check_version(
        plan.version,
        data.get("version"),
        stale_case(lambda: [("Plan", f"version {plan.version}", "")]),
    )
    if not perm.can_supervise_case(actor, case):
        raise ValidationError({"form": ["Only a coordinator or hub manager can sign off a plan"]})
    plan.signed_off_at = utcnow()
    plan.signed_off_by_id = actor.id
    plan.signed_off_version = plan.version + 1  # this save bumps the version
    flush_or_stale(stale_case(lambda: [("Plan", "changed", "")]))
    audit.record("plan_signed_off", user=actor, hub=case.hub_id, target=case)
    log(case, actor, "plan_signed_off", f"Signed off the plan (version {plan.version})")
    return plan
