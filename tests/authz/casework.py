"""Casework: the case workspace (its tabs, live polling and every form that changes a case),
notifications, and the planner board with search and "my work".

The rule (hub.permissions, "section 115" and "casework"): a case page, and every write on it,
is for a user whose agency is an active member of the case, holds an ISA in force in the hub
(some category), and whose hub role allows the action (case worker, coordinator, SPoC, hub
manager). Everyone else gets the same 404 as a missing case, anonymous users the sign-in page.
A personal record (risk assessment, intervention) also needs its category covered by the
agency's ISA and no restriction leaving the agency out; an object from another case is a 404
through this case's URL. Signing off a plan and agreeing the lead agency are a supervisor's
(coordinator or hub manager of a member agency): the case stays visible to a case worker, who is
told why (400). Recording a record of a category the agency's ISA does not cover is refused the
same way. The board's cards are for everyone whose agency is in the hub, nothing personal on them.
"""

import hashlib
from datetime import date, timedelta

from hub.casework import assessments, scores
from hub.core import storage
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import (
    Activity,
    CaseAction,
    Evaluation,
    Evidence,
    Intervention,
    Letter,
    Plan,
    RecordRestriction,
    RiskAssessment,
)
from tests.authz import SIGNED_IN, Route, expect
from tests.support.factories import make_case

# Who reaches this hub's cases: member agencies' workers, coordinators and managers. The
# lacks_category persona reaches the case (its ISA covers identity) but not incident records.
READERS = ("member", "lacks_category", "coordinator", "hub_manager")
SUPERVISORS = ("coordinator", "hub_manager")


def case_only(status: int, **overrides: int) -> dict[str, int]:
    """`status` for those who may work the case, 404 for everyone else, 302 when anonymous."""
    return expect(404, anonymous=302, **({p: status for p in READERS} | overrides))


CASE_PAGE = case_only(200)
CASE_WRITE = case_only(302)
# A record of the incident category: not for an agency whose ISA lacks it.
INCIDENT_PAGE = case_only(200, lacks_category=404)
INCIDENT_WRITE = case_only(302, lacks_category=404)
# Creating an incident record: refused (400) for an agency whose ISA does not cover it.
INCIDENT_CREATE = case_only(302, lacks_category=400)
# A supervisor's decision: case workers of member agencies are told they cannot (400).
SUPERVISOR_WRITE = case_only(302, member=400, lacks_category=400)
# A thing from another case, through this case's URL: nobody.
FOREIGN = expect(404, anonymous=302)
# The board: everyone whose agency is in the hub.
IN_HUB = expect(200, anonymous=302, other_hub=404)
OTHER_HUB = expect(404, anonymous=302, other_hub=200)


def setup(m) -> dict:
    """On the matrix case: an action, two interventions (one restricted by police to police
    and the council), three risk assessments (unsigned incident, signed incident, unsigned
    identity), a plan with an objective, and two activity entries (case data, then the note).
    On a second case in the hub (council and police only): an action, an intervention and an
    assessment, to be reached through the first case's URLs."""
    a, u, case = m.agencies, m.users, m.case
    now = utcnow()
    today = now.date()

    action = CaseAction(
        case_id=case.id,
        agency_id=a["housing"].id,
        owner_id=u["member"].id,
        description="Visit the tenant of Flat 3 with the neighbourhood officer",
        due_on=today + timedelta(days=14),
        created_by_id=u["member"].id,
    )
    abc = Intervention(
        case_id=case.id,
        type="acceptable_behaviour_contract",
        issuing_officer="H Officer",
        subject="Flat 3, Mill Street",
        conditions="No loud music after 11pm",
        served_on=today - timedelta(days=7),
        status="served",
        category="incident",
        origin_agency_id=a["housing"].id,
        recorded_by_id=u["member"].id,
    )
    dispersal = Intervention(
        case_id=case.id,
        type="dispersal",
        issuing_officer="PC Police",
        subject="Mill Street car park",
        served_on=today - timedelta(days=3),
        category="incident",
        origin_agency_id=a["police"].id,
        recorded_by_id=u["coordinator"].id,
        restricted=True,
    )
    unsigned = _assessment(case, u["member"], "incident", now)
    signed = _assessment(case, u["coordinator"], "incident", now, signed=True)
    identity = _assessment(case, u["lacks_category"], "identity", now)
    plan = Plan(
        case_id=case.id,
        objective="Stop the night-time noise at Mill Street flats",
        success_measures="No noise complaints for eight weeks",
        updated_by_id=u["coordinator"].id,
    )
    evaluation = Evaluation(
        case_id=case.id,
        outcome="reduced",
        summary="Complaints fell from ten to two",
        victim_not_asked="Moved away",
        recorded_by_id=u["coordinator"].id,
    )
    db.session.add_all([action, abc, dispersal, unsigned, signed, identity, plan, evaluation])
    db.session.flush()
    db.session.add(
        RecordRestriction(
            record_type=dispersal.record_type, record_id=dispersal.id, agency_id=a["council"].id
        )
    )
    # Case data first (any reader sees it), then the incident note (not lacks_category).
    case_entry = Activity(
        case_id=case.id,
        actor_id=u["coordinator"].id,
        agency_id=a["police"].id,
        kind="case_updated",
        summary="Changed next review",
    )
    db.session.add(case_entry)
    db.session.flush()
    db.session.add(
        Activity(
            case_id=case.id,
            actor_id=u["referrer"].id,
            agency_id=a["council"].id,
            kind="note_added",
            summary="Added a note",
            category=m.note.category,
            record_type=m.note.record_type,
            record_id=m.note.id,
        )
    )

    other = make_case(m.hub, "MTX-2", a["council"], a["police"], title="Graffiti, Station Road")
    foreign_action = CaseAction(
        case_id=other.id,
        agency_id=a["police"].id,
        owner_id=u["coordinator"].id,
        description="Patrol Station Road",
        due_on=today + timedelta(days=7),
    )
    foreign_item = Intervention(
        case_id=other.id,
        type="community_protection_warning",
        issuing_officer="PC Police",
        subject="Station Road underpass",
        category="incident",
        origin_agency_id=a["police"].id,
        recorded_by_id=u["coordinator"].id,
    )
    foreign_assessment = _assessment(other, u["coordinator"], "incident", now)
    statement, foreign_statement = (_evidence(on.id, u["member"]) for on in (case, other))
    db.session.add_all([foreign_action, foreign_item, foreign_assessment])
    db.session.add_all([statement, foreign_statement])
    letter, foreign_letter = (_letter(on.id, u["member"], today) for on in (case, other))
    db.session.add_all([letter, foreign_letter])
    db.session.flush()
    return {
        "action_id": action.id,
        "action_version": action.version,
        "abc_id": abc.id,
        "abc_version": abc.version,
        "dispersal_id": dispersal.id,
        "unsigned_id": unsigned.id,
        "signed_id": signed.id,
        "identity_assessment_id": identity.id,
        "plan_version": plan.version,
        "evaluation_version": evaluation.version,
        "case_version": case.version,
        "case_entry_id": case_entry.id,
        "foreign_action_id": foreign_action.id,
        "foreign_item_id": foreign_item.id,
        "foreign_assessment_id": foreign_assessment.id,
        "evidence_id": statement.id,
        "foreign_evidence_id": foreign_statement.id,
        "letter_id": letter.id,
        "foreign_letter_id": foreign_letter.id,
        "housing_id": a["housing"].id,
        "member_user_id": u["member"].id,
        "review_on": (today + timedelta(days=28)).isoformat(),
        "due_on": (today + timedelta(days=21)).isoformat(),
        "served_on": (today - timedelta(days=1)).isoformat(),
    }


def _assessment(case, assessor, category: str, now, *, signed: bool = False) -> RiskAssessment:
    scoring = scores.for_hub(case.hub_id)
    result = assessments.score(case, "personal", ["targeted", "repeat"], now, scoring)
    return RiskAssessment(
        case_id=case.id,
        kind="on_change",
        problem_type="personal",
        answers={"repeat": True, "targeted": True},
        summary="Repeated targeting of one household",
        score=result.score,
        band=result.band,
        explanation=[c.to_dict() for c in result.explanation],
        ruleset_version=result.ruleset_version,
        assessor_id=assessor.id,
        assessed_at=now,
        signed_at=now if signed else None,
        next_due_on=date(2027, 1, 1) if signed else None,
        category=category,
        origin_agency_id=assessor.agency_id,
    )


def _evidence(case_id: int, uploader) -> Evidence:
    """A witness statement (a real PDF's first bytes) in the evidence store, from housing."""
    content = b"%PDF-1.4\n% witness statement\n%%EOF\n"
    return Evidence(
        case_id=case_id,
        kind="witness_statement",
        filename="statement.pdf",
        file_type="pdf",
        content_type="application/pdf",
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_key=storage.evidence_store().put(content),
        category="incident",
        origin_agency_id=uploader.agency_id,
        uploaded_by_id=uploader.id,
    )


def _letter(case_id: int, writer, today) -> Letter:
    return Letter(
        case_id=case_id,
        kind="acknowledgement",
        recipient_name="W Hartley",
        recipient_address="Flat 3, Mill Street",
        subject="Your report",
        body="Thank you for reporting.",
        signed_by="H Officer, Home Group",
        letter_date=today,
        category="incident",
        origin_agency_id=writer.agency_id,
        created_by_id=writer.id,
    )


def note(category: str) -> dict:
    return {"body": "Door kicked at 2am; tenant shaken but unhurt", "category": category}


def assessment(category: str) -> dict:
    return {
        "kind": "on_change",
        "problem_type": "personal",
        "answers": ["targeted", "repeat", "fear_for_safety"],
        "summary": "Threats escalating since the last conference",
        "category": category,
    }


def intervention(category: str) -> dict:
    return {
        "type": "community_protection_warning",
        "issuing_officer": "A Officer",
        "subject": "Flat 5, Mill Street",
        "conditions": "Stop playing amplified music after 11pm",
        "served_on": "{served_on}",
        "category": category,
    }


INCIDENT = {
    "occurred_on": "{served_on}",
    "description": "Door kicked at 2am; tenant shaken but unhurt",
    "location": "Flat 3, Mill Street",
    "reported_by": "The tenant",
}
ACTION = {
    "description": "Write to the tenant about the noise",
    "agency_id": "{housing_id}",
    "owner_id": "{member_user_id}",
    "due_on": "{due_on}",
}
DETAILS = {
    "title": "Noise and intimidation, Mill Street flats",
    "next_review_on": "{review_on}",
    "version": "{case_version}",
}
ABC_UPDATE = {
    "type": "acceptable_behaviour_contract",
    "issuing_officer": "H Officer",
    "subject": "Flat 3, Mill Street",
    "conditions": "No loud music after 11pm",
    "breaches": "Breached on Saturday night",
    "category": "incident",
    "version": "{abc_version}",
}
PLAN = {
    "objective": "Stop the night-time noise at Mill Street flats",
    "success_measures": "No noise complaints for eight weeks",
    "response": "Acceptable behaviour contract; mediation between neighbours",
    "version": "{plan_version}",
}

CASE = "/cases/{case_id}"
ROUTES = [
    # The workspace: one page per tab, and the pollers.
    Route("cases.show", "GET", CASE, CASE_PAGE),
    *(
        Route("cases.show", "GET", f"{CASE}/{tab}", CASE_PAGE)
        for tab in (
            "referrals",
            "risk",
            "plan",
            "actions",
            "interventions",
            "evaluation",
            "evidence",
            "activity",
        )
    ),
    Route("cases.live", "GET", f"{CASE}/live/feed", CASE_PAGE),
    Route("cases.live", "GET", f"{CASE}/live/actions", CASE_PAGE),
    # Only the note (incident) is newer than the case entry: nothing new for lacks_category.
    Route(
        "cases.live",
        "GET",
        f"{CASE}/live/feed?since={{case_entry_id}}",
        case_only(200, lacks_category=204),
    ),
    # Notes: any category the agency's ISA covers.
    Route("cases.add_note", "POST", f"{CASE}/notes", CASE_WRITE, data=note("identity")),
    Route("cases.add_note", "POST", f"{CASE}/notes", INCIDENT_CREATE, data=note("incident")),
    Route("cases.follow", "POST", f"{CASE}/follow", CASE_WRITE, data={"follow": "yes"}),
    # A legal hold (hub.lifecycle.retention): the hub's managers (and its data protection
    # officer, not a persona here), whether or not their agency is on the case.
    Route(
        "cases.legal_hold",
        "POST",
        f"{CASE}/legal-hold",
        expect(404, anonymous=302, hub_manager=302, sysadmin=302),
        data={"hold": "place"},
    ),
    # Case details, the lead agency (a supervisor's), the stage (from the page or the board).
    Route("cases.update_details", "POST", f"{CASE}/details", CASE_WRITE, data=DETAILS),
    Route(
        "cases.update_details",
        "POST",
        f"{CASE}/details",
        SUPERVISOR_WRITE,
        data={**DETAILS, "lead_agency_id": "{housing_id}"},
    ),
    Route(
        "cases.move_stage",
        "POST",
        f"{CASE}/stage",
        CASE_WRITE,
        data={"stage": "review", "version": "{case_version}"},
    ),
    Route(
        "cases.move_stage",
        "POST",
        f"{CASE}/stage",
        CASE_WRITE,
        data={
            "stage": "review",
            "version": "{case_version}",
            "return_to": "board",
            "board_query": "band=high",
        },
    ),
    # Confirming a move backwards, with its reason.
    Route("cases.confirm_move", "GET", f"{CASE}/stage/confirm?stage=referred", CASE_PAGE),
    # The plan and the evaluation.
    Route("cases.save_plan", "POST", f"{CASE}/plan", INCIDENT_CREATE, data=PLAN),
    Route(
        "cases.sign_off_plan",
        "POST",
        f"{CASE}/plan/sign-off",
        SUPERVISOR_WRITE,
        data={"version": "{plan_version}"},
    ),
    # The evaluation: the matrix case is not at the evaluation stage, so no one may write it
    # (told why, 400); its draft (setup) is signed off by a supervisor of a member agency.
    Route(
        "cases.save_evaluation",
        "POST",
        f"{CASE}/evaluation",
        case_only(400),
        data={
            "outcome": "reduced",
            "summary": "Two complaints in eight weeks, down from ten",
            "victim_satisfaction": "4",
            "version": "{evaluation_version}",
        },
    ),
    Route(
        "cases.sign_evaluation",
        "POST",
        f"{CASE}/evaluation/sign",
        SUPERVISOR_WRITE,
        data={"version": "{evaluation_version}"},
    ),
    Route(
        "cases.correct_evaluation",
        "POST",
        f"{CASE}/evaluation/correction",
        case_only(400),
        data={"version": "{evaluation_version}"},
    ),
    # Actions: working records, incident data (hub.permissions).
    Route("cases.add_action", "POST", f"{CASE}/actions", INCIDENT_CREATE, data=ACTION),
    Route("cases.edit_action", "GET", f"{CASE}/actions/{{action_id}}", INCIDENT_PAGE),
    Route(
        "cases.edit_action",
        "POST",
        f"{CASE}/actions/{{action_id}}",
        INCIDENT_WRITE,
        data={**ACTION, "status": "done", "outcome": "Letter sent", "version": "{action_version}"},
    ),
    Route("cases.edit_action", "GET", f"{CASE}/actions/{{foreign_action_id}}", FOREIGN),
    Route(
        "cases.edit_action",
        "POST",
        f"{CASE}/actions/{{foreign_action_id}}",
        FOREIGN,
        data={**ACTION, "version": "1"},
    ),
    # Risk assessments: personal records (category, restriction).
    Route(
        "cases.record_assessment", "POST", f"{CASE}/risk", CASE_WRITE, data=assessment("identity")
    ),
    Route(
        "cases.record_assessment",
        "POST",
        f"{CASE}/risk",
        INCIDENT_CREATE,
        data=assessment("incident"),
    ),
    Route("cases.sign_assessment", "POST", f"{CASE}/risk/{{unsigned_id}}/sign", INCIDENT_WRITE),
    Route(
        "cases.sign_assessment", "POST", f"{CASE}/risk/{{identity_assessment_id}}/sign", CASE_WRITE
    ),
    # Signed already: refused (400) to those who may see it, 404 to those who may not.
    Route(
        "cases.sign_assessment",
        "POST",
        f"{CASE}/risk/{{signed_id}}/sign",
        case_only(400, lacks_category=404),
    ),
    Route("cases.sign_assessment", "POST", f"{CASE}/risk/{{foreign_assessment_id}}/sign", FOREIGN),
    # Incidents logged on the case: incident data, refused (400) where the ISA lacks it.
    Route("cases.log_incident", "POST", f"{CASE}/incidents", INCIDENT_CREATE, data=INCIDENT),
    # Evidence: a file is incident data here; uploading with no file chosen is refused (400)
    # to all who may write, after the category check.
    Route(
        "cases.upload_evidence",
        "POST",
        f"{CASE}/evidence",
        case_only(400),
        data={"kind": "photo", "category": "incident"},
    ),
    Route("cases.download_evidence", "GET", f"{CASE}/evidence/{{evidence_id}}/file", INCIDENT_PAGE),
    Route(
        "cases.download_evidence", "GET", f"{CASE}/evidence/{{foreign_evidence_id}}/file", FOREIGN
    ),
    # Letters: incident data by default; refused (400) where the ISA lacks it.
    Route(
        "cases.write_letter",
        "POST",
        f"{CASE}/letters",
        INCIDENT_CREATE,
        data={
            "letter_kind": "acknowledgement",
            "recipient_name": "W Hartley",
            "recipient_address": "Flat 3, Mill Street",
            "letter_category": "incident",
        },
    ),
    Route("cases.show_letter", "GET", f"{CASE}/letters/{{letter_id}}", INCIDENT_PAGE),
    Route("cases.show_letter", "GET", f"{CASE}/letters/{{foreign_letter_id}}", FOREIGN),
    # Interventions and powers: personal records; only the issuing agency updates one.
    Route(
        "cases.record_intervention",
        "POST",
        f"{CASE}/interventions",
        CASE_WRITE,
        data=intervention("identity"),
    ),
    Route(
        "cases.record_intervention",
        "POST",
        f"{CASE}/interventions",
        INCIDENT_CREATE,
        data=intervention("incident"),
    ),
    Route("cases.edit_intervention", "GET", f"{CASE}/interventions/{{abc_id}}", INCIDENT_PAGE),
    Route(
        "cases.edit_intervention",
        "POST",
        f"{CASE}/interventions/{{abc_id}}",
        # Issued by housing (the member persona's agency): others who see it are told (400).
        case_only(400, member=302, lacks_category=404),
        data=ABC_UPDATE,
    ),
    # Its lifecycle: the issuing agency's steps (others who see it are told, 400); a breach may
    # be reported by any member agency that sees it.
    Route(
        "cases.record_power_step",
        "POST",
        f"{CASE}/interventions/{{abc_id}}/steps",
        case_only(400, member=302, lacks_category=404),
        data={"step": "discharged", "on": "{served_on}", "version": "{abc_version}"},
    ),
    Route(
        "cases.report_breach",
        "POST",
        f"{CASE}/interventions/{{abc_id}}/breaches",
        INCIDENT_WRITE,
        data={"occurred_on": "{served_on}", "what": "Loud music at 1am", "reported_by": "A"},
    ),
    Route(
        "cases.record_power_step",
        "POST",
        f"{CASE}/interventions/{{foreign_item_id}}/steps",
        FOREIGN,
        data={"step": "served", "on": "{served_on}", "version": "1"},
    ),
    Route(
        "cases.report_breach",
        "POST",
        f"{CASE}/interventions/{{foreign_item_id}}/breaches",
        FOREIGN,
        data={"occurred_on": "{served_on}", "what": "Loud music at 1am", "reported_by": "A"},
    ),
    # Restricted by police to police and the council: not for housing (nor lacks_category).
    Route(
        "cases.edit_intervention",
        "GET",
        f"{CASE}/interventions/{{dispersal_id}}",
        case_only(200, member=404, lacks_category=404),
    ),
    Route("cases.edit_intervention", "GET", f"{CASE}/interventions/{{foreign_item_id}}", FOREIGN),
    Route(
        "cases.edit_intervention",
        "POST",
        f"{CASE}/interventions/{{foreign_item_id}}",
        FOREIGN,
        data={**ABC_UPDATE, "version": "1"},
    ),
    # Notifications: each user's own.
    Route("cases.notifications", "GET", "/notifications", SIGNED_IN),
    Route("cases.mark_notifications_read", "POST", "/notifications/read", expect(302)),
    # The board, search and my work: everyone whose agency is in the hub.
    Route("board.home", "GET", "/board", expect(302)),
    Route("board.my_work_home", "GET", "/my-work", expect(302)),
    Route("board.show", "GET", "/hubs/{hub_slug}/board", IN_HUB),
    Route("board.show", "GET", "/hubs/{hub_slug}/board?stage=active&band=high", IN_HUB),
    Route("board.show", "GET", "/hubs/{other_hub_slug}/board", OTHER_HUB),
    Route("board.search", "GET", "/hubs/{hub_slug}/search?q=mill", IN_HUB),
    Route("board.search", "GET", "/hubs/{other_hub_slug}/search?q=mill", OTHER_HUB),
    Route("board.my_work", "GET", "/hubs/{hub_slug}/my-work", IN_HUB),
    Route("board.my_work", "GET", "/hubs/{other_hub_slug}/my-work", OTHER_HUB),
]
