"""The case workspace: tabs, permission rule, notes, live feed, concurrent edits, stages,
risk assessments, actions, interventions, notifications."""

import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from hub.extensions import db
from hub.models import (
    Activity,
    Agency,
    AuditEntry,
    Case,
    CaseAction,
    CaseNote,
    Disclosure,
    Hub,
    Intervention,
    Notification,
    Plan,
    RecordRestriction,
    RiskAssessment,
    User,
)
from tests.conftest import page_text
from tests.support.factories import make_case, make_isa, make_note

ALL = ["identity", "incident", "housing", "victim_contact", "police_intelligence"]
TABS = ["", "/risk", "/plan", "/actions", "/interventions", "/activity"]


@pytest.fixture
def cw(app, world):
    """Copeland: council, police, housing all sign an ISA; case CPL-100 has council (referrer)
    and housing as members; police is in the hub but not a member."""
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, police, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
        )
        make_isa(hub, [council, police, housing], ALL, reference="ISA-CW")
        case = make_case(hub, "CPL-100", council, housing, band="medium", stage="referred")
        db.session.commit()
        return SimpleNamespace(id=case.id, url=f"/cases/{case.id}", world=world)


def signed_in(client, world, who):
    client.sign_in(world.email[who])
    return client


def html(response) -> str:
    return response.get_data(as_text=True)


def case_row(app, case_id) -> Case:
    with app.app_context():
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        return case


# -- tabs and the permission rule -------------------------------------------------------------


def test_every_tab_is_its_own_page_and_an_htmx_fragment(client, cw):
    signed_in(client, cw.world, "spoc")
    for tab in TABS:
        page = client.get(cw.url + tab)
        assert page.status_code == 200, tab
        assert "<html" in html(page) and 'id="case-tabs"' in html(page)
        assert "HX-Request" in page.headers["Vary"]
        fragment = client.get(cw.url + tab, headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        # The fragment is the tabs, with the tab's own title first (htmx sets the page's).
        title, _, rest = html(fragment).partition("</title>")
        assert "<html" not in html(fragment) and rest.startswith('<div id="case-tabs"')
        assert title.startswith("<title>CPL-100: ") and title.endswith(" – Focus Hub")
        assert "HX-Request" in fragment.headers["Vary"]
    # A history restore asks for the whole page, so the back button never shows a fragment.
    restored = client.get(
        cw.url + "/plan", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in html(restored)


def test_overview_shows_the_case(client, cw, app):
    signed_in(client, cw.world, "spoc")
    text = html(client.get(cw.url))
    for expected in (
        "CPL-100",
        "Copeland Focus Hub",
        "Medium",
        "Copeland Borough Council",
        "Home Group",
        f"/cases/{cw.id}/members",
        "Not agreed yet",
    ):
        assert expected in text


def test_a_non_member_gets_the_same_404_as_a_missing_case_and_it_is_audited(client, cw, app):
    signed_in(client, cw.world, "coordinator")  # police: in the hub, not a member
    missing = client.get("/cases/999999")
    for tab in TABS:
        denied = client.get(cw.url + tab)
        assert denied.status_code == 404
        assert page_text(denied) == page_text(missing).replace("/cases/999999", cw.url + tab)
    assert client.get(f"{cw.url}/live/feed?since=0").status_code == 404
    response = client.submit(f"{cw.url}/notes", {"body": "x", "category": "incident"})
    assert response.status_code == 404
    with app.app_context():
        denials = db.session.execute(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == "access_denied", AuditEntry.target_id == str(cw.id)
            )
        ).scalar()
        assert denials >= len(TABS) + 2
        assert db.session.execute(select(func.count(CaseNote.id))).scalar() == 0


def test_roles_without_case_access_are_refused(client, cw):
    signed_in(client, cw.world, "referrer")  # council is a member; the referrer role reads no case
    assert client.get(cw.url).status_code == 404


# -- notes, the live feed and the read audit --------------------------------------------------


def test_a_note_appears_for_the_other_partner_and_the_read_is_registered(client, cw, app):
    signed_in(client, cw.world, "spoc")
    response = client.submit(
        f"{cw.url}/notes", {"body": "Door kicked at 2am", "category": "incident"}
    )
    assert response.status_code == 302
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    signed_in(client, cw.world, "case_worker")  # housing
    assert "Door kicked at 2am" in html(client.get(cw.url))
    with app.app_context():
        read = (
            db.session.execute(
                select(AuditEntry)
                .where(AuditEntry.action == "personal_data_read")
                .order_by(AuditEntry.id.desc())
            )
            .scalars()
            .first()
        )
        assert read.user_id == cw.world.user_id["case_worker"]
        assert "ISA-CW" in read.legal_basis
        disclosure = db.session.execute(select(Disclosure)).scalar_one()
        assert disclosure.from_agency_id == cw.world.agency_ids["council"]
        assert disclosure.to_agency_id == cw.world.agency_ids["housing"]


def test_the_live_feed_answers_204_until_something_new(client, cw, app):
    signed_in(client, cw.world, "case_worker")
    page = html(client.get(cw.url))
    since = re.search(r"live/feed\?since=(\d+)", page).group(1)
    quiet = client.get(f"{cw.url}/live/feed?since={since}", headers={"HX-Request": "true"})
    assert quiet.status_code == 204
    with app.test_request_context():
        from hub.casework.activity import log

        case = db.session.get(Case, cw.id)
        spoc = db.session.get(User, cw.world.user_id["spoc"])
        note = make_note(case, spoc.agency, spoc, body="Window broken again")
        log(case, spoc, "note_added", "Added a note", record=note)
        db.session.commit()
    fresh = client.get(f"{cw.url}/live/feed?since={since}", headers={"HX-Request": "true"})
    assert fresh.status_code == 200 and "Window broken again" in html(fresh)
    assert "HX-Request" in fresh.headers["Vary"]


def test_a_partner_removed_from_the_case_stops_polling_after_one_audited_refusal(client, cw, app):
    from hub.models import AuditEntry, CaseMembership

    signed_in(client, cw.world, "case_worker")  # housing, a member
    with app.app_context():
        membership = db.session.execute(
            select(CaseMembership).where(
                CaseMembership.case_id == cw.id,
                CaseMembership.agency_id == cw.world.agency_ids["housing"],
            )
        ).scalar_one()
        membership.removed_at = datetime.now(UTC)
        db.session.commit()
    poll = client.get(f"{cw.url}/live/feed?since=0", headers={"HX-Request": "true"})
    assert poll.status_code == 286  # htmx stops polling
    assert poll.get_data() == b""
    assert client.get(f"{cw.url}/live/feed?since=0").status_code == 404  # plain: the usual 404
    with app.app_context():
        denials = db.session.execute(
            select(func.count()).where(AuditEntry.action == "access_denied")
        ).scalar_one()
    assert denials == 2


def test_restricted_note_is_seen_only_by_named_agencies(client, cw, app):
    signed_in(client, cw.world, "spoc")
    council_only = client.submit(
        f"{cw.url}/notes",
        {
            "body": "Police intelligence summary",
            "category": "incident",
            "sharing": "restricted",
            "restricted_to": [str(cw.world.agency_ids["police"])],
        },
    )
    assert council_only.status_code == 302
    with app.app_context():
        note = db.session.execute(select(CaseNote)).scalar_one()
        assert note.restricted
        rows = db.session.execute(select(RecordRestriction.agency_id)).scalars().all()
        assert rows == [cw.world.agency_ids["police"]]
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    signed_in(client, cw.world, "case_worker")  # housing: a member, but not named
    assert "Police intelligence summary" not in html(client.get(cw.url))
    assert "Police intelligence summary" not in html(client.get(cw.url + "/activity"))


@pytest.mark.parametrize(
    "restricted_to,message",
    [
        ([], "Choose at least one agency that may see the note"),
        (["outsider"], "Choose only agencies that are partners in this hub"),
    ],
)
def test_restricting_to_no_agency_or_one_outside_the_hub_is_refused(
    client, cw, app, restricted_to, message
):
    signed_in(client, cw.world, "spoc")
    response = client.submit(
        f"{cw.url}/notes",
        {
            "body": "Keep this tight",
            "category": "incident",
            "sharing": "restricted",
            "restricted_to": [str(cw.world.agency_ids[k]) for k in restricted_to],
        },
    )
    assert response.status_code == 400
    assert message in html(response) and "Keep this tight" in html(response)
    with app.app_context():
        assert db.session.execute(select(func.count(CaseNote.id))).scalar() == 0


def test_a_note_needs_text_and_a_covered_category(client, cw, app):
    signed_in(client, cw.world, "spoc")
    response = client.submit(f"{cw.url}/notes", {"body": "", "category": "health"})
    assert response.status_code == 400
    assert "Enter the note" in html(response)
    response = client.submit(f"{cw.url}/notes", {"body": "Seen by GP", "category": "health"})
    assert response.status_code == 400
    assert "do not cover this category" in html(response)


# -- concurrent edits -------------------------------------------------------------------------


def test_a_stale_case_save_is_refused_showing_what_changed_and_keeping_the_typing(client, cw, app):
    signed_in(client, cw.world, "hub_manager")
    version = case_row(app, cw.id).version
    first = client.submit(
        f"{cw.url}/details", {"title": "Noise at Mill Street", "version": version}
    )
    assert first.status_code == 302
    stale = client.submit(
        f"{cw.url}/details", {"title": "Mill Street, my wording", "version": version}
    )
    assert stale.status_code == 409
    text = html(stale)
    assert "Someone else saved this while you were editing" in text
    assert "Noise at Mill Street" in text  # what is saved now
    assert 'value="Mill Street, my wording"' in text  # what the user typed, kept in the form
    assert case_row(app, cw.id).title == "Noise at Mill Street"


def test_a_stale_plan_save_is_refused(client, cw, app):
    signed_in(client, cw.world, "spoc")
    saved = client.submit(
        f"{cw.url}/plan",
        {"objective": "Stop the noise", "success_measures": "No calls for 8 weeks", "version": 0},
    )
    assert saved.status_code == 302
    stale = client.submit(
        f"{cw.url}/plan",
        {"objective": "My objective", "success_measures": "Fewer calls", "version": 0},
    )
    assert stale.status_code == 409
    assert "Stop the noise" in html(stale) and "My objective" in html(stale)
    with app.app_context():
        plan = db.session.execute(select(Plan)).scalar_one()
        assert plan.objective == "Stop the noise"
    again = client.submit(
        f"{cw.url}/plan",
        {"objective": "Stop it", "success_measures": "Calls", "version": plan.version},
    )
    assert again.status_code == 302


def test_a_stale_action_save_is_refused(client, cw, app):
    signed_in(client, cw.world, "spoc")
    data = {
        "description": "Visit the flats",
        "agency_id": cw.world.agency_ids["council"],
        "owner_id": cw.world.user_id["spoc"],
        "due_on": "2030-01-10",
    }
    assert client.submit(f"{cw.url}/actions", data).status_code == 302
    with app.app_context():
        action = db.session.execute(select(CaseAction)).scalar_one()
    path = f"{cw.url}/actions/{action.id}"
    assert client.get(path).status_code == 200
    done = client.submit(path, {**data, "status": "done", "version": action.version})
    assert done.status_code == 302
    stale = client.submit(path, {**data, "due_on": "2030-02-01", "version": action.version})
    assert stale.status_code == 409
    assert "Done" in html(stale) or "done" in html(stale)
    assert "2030-02-01" in html(stale)


# -- actions ----------------------------------------------------------------------------------


def test_actions_need_a_member_agency_and_its_own_owner_and_overdue_ones_stand_out(client, cw, app):
    signed_in(client, cw.world, "spoc")
    outsider = client.submit(
        f"{cw.url}/actions",
        {
            "description": "Patrol",
            "agency_id": cw.world.agency_ids["police"],
            "owner_id": cw.world.user_id["coordinator"],
            "due_on": "2030-01-01",
        },
    )
    assert outsider.status_code == 400
    assert "Choose an agency that is a member of the case" in html(outsider)
    wrong_owner = client.submit(
        f"{cw.url}/actions",
        {
            "description": "Patrol",
            "agency_id": cw.world.agency_ids["council"],
            "owner_id": cw.world.user_id["case_worker"],
            "due_on": "2030-01-01",
        },
    )
    assert "Choose an owner from the owning agency" in html(wrong_owner)
    late = client.submit(
        f"{cw.url}/actions",
        {
            "description": "Write to the tenant",
            "agency_id": cw.world.agency_ids["housing"],
            "owner_id": cw.world.user_id["case_worker"],
            "due_on": "2020-01-01",
        },
    )
    assert late.status_code == 302
    page = html(client.get(cw.url + "/actions"))
    assert "Write to the tenant" in page and "Overdue" in page
    assert "1 overdue" in html(client.get(cw.url))


# -- risk -------------------------------------------------------------------------------------


def test_a_signed_assessment_raises_the_band_and_brings_the_conference_forward(client, cw, app):
    with app.app_context():
        case = db.session.get(Case, cw.id)
        case.conference_due_by = datetime(2030, 1, 1, tzinfo=UTC)
        db.session.commit()
    signed_in(client, cw.world, "spoc")
    response = client.submit(
        f"{cw.url}/risk",
        {
            "kind": "initial",
            "problem_type": "nuisance",
            "answers": ["routine_affected"],
            "category": "incident",
            "sign": "true",
        },
    )
    assert response.status_code == 302
    assert case_row(app, cw.id).band == "medium"  # 6 points: standard, never lowers the case
    response = client.submit(
        f"{cw.url}/risk",
        {
            "kind": "on_change",
            "problem_type": "personal",
            "answers": ["threat_to_life", "targeted"],
            "category": "incident",
            "sign": "true",
        },
    )
    assert response.status_code == 302
    case = case_row(app, cw.id)
    assert case.band == "critical"
    assert case.conference_due_by < datetime(2030, 1, 1, tzinfo=UTC)
    page = html(client.get(cw.url + "/risk"))
    assert page.count("Changed") >= 2  # targeted and threat to life differ from the first
    with app.app_context():
        latest = (
            db.session.execute(select(RiskAssessment).order_by(RiskAssessment.id.desc()))
            .scalars()
            .first()
        )
        assert latest.next_due_on - latest.signed_at.date() <= timedelta(days=8)  # critical: 7


def test_a_signed_assessment_is_immutable_and_overdue_reassessment_stands_out(client, cw, app):
    signed_in(client, cw.world, "spoc")
    client.submit(
        f"{cw.url}/risk",
        {"kind": "initial", "problem_type": "nuisance", "category": "incident", "sign": "false"},
    )
    with app.app_context():
        draft = db.session.execute(select(RiskAssessment)).scalar_one()
        assert draft.signed_at is None
    sign = f"{cw.url}/risk/{draft.id}/sign"
    assert client.submit(sign).status_code == 302
    again = client.submit(sign)
    assert again.status_code == 400 and "signed and cannot change" in html(again)
    with app.app_context():
        row = db.session.get(RiskAssessment, draft.id)
        row.next_due_on = date(2020, 1, 1)
        db.session.commit()
    assert 'data-testid="reassessment-overdue"' in html(client.get(cw.url + "/risk"))


# -- stages -----------------------------------------------------------------------------------


def test_stage_checks_on_the_case_page(client, cw, app):
    signed_in(client, cw.world, "hub_manager")
    refused = client.submit(
        f"{cw.url}/stage", {"stage": "active", "version": case_row(app, cw.id).version}
    )
    assert refused.status_code == 400
    assert "An active case needs an agreed lead agency" in html(refused)
    assert "An active case needs a plan with an objective" in html(refused)
    client.submit(
        f"{cw.url}/details",
        {
            "title": "Mill Street",
            "lead_agency_id": cw.world.agency_ids["housing"],
            "version": case_row(app, cw.id).version,
        },
    )
    client.submit(
        f"{cw.url}/plan",
        {"objective": "Quiet nights", "success_measures": "No calls", "version": 0},
    )
    moved = client.submit(
        f"{cw.url}/stage", {"stage": "active", "version": case_row(app, cw.id).version}
    )
    assert moved.status_code == 302
    case = case_row(app, cw.id)
    assert case.stage == "active" and case.lead_agreed_by_id == cw.world.user_id["hub_manager"]
    refused = client.submit(f"{cw.url}/stage", {"stage": "closed", "version": case.version})
    assert "signed closure risk assessment" in html(refused)
    assert "without a signed evaluation" in html(refused)
    client.submit(
        f"{cw.url}/risk",
        {"kind": "at_closure", "problem_type": "nuisance", "category": "incident", "sign": "true"},
    )
    client.submit(f"{cw.url}/stage", {"stage": "evaluation", "version": case.version})
    # The lead agency (housing) writes the evaluation; the hub manager signs it off.
    client.submit("/sign-out", token_from="/")
    signed_in(client, cw.world, "case_worker")
    written = client.submit(
        f"{cw.url}/evaluation",
        {
            "outcome": "ceased",
            "summary": "No calls since",
            "measure_0_met": "met",
            "victim_not_asked": "Moved away",
        },
    )
    assert written.status_code == 302, html(written)
    refused = client.submit(
        f"{cw.url}/stage", {"stage": "closed", "version": case_row(app, cw.id).version}
    )
    assert "without a signed evaluation" in html(refused)
    client.submit("/sign-out", token_from="/")
    signed_in(client, cw.world, "hub_manager")
    signed = client.submit(f"{cw.url}/evaluation/sign", {"version": 1})
    assert signed.status_code == 302, html(signed)
    closed = client.submit(
        f"{cw.url}/stage", {"stage": "closed", "version": case_row(app, cw.id).version}
    )
    assert closed.status_code == 302
    case = case_row(app, cw.id)
    assert case.stage == "closed" and case.closed_at is not None


def test_only_a_supervisor_records_the_lead_agency(client, cw, app):
    signed_in(client, cw.world, "case_worker")
    response = client.submit(
        f"{cw.url}/details",
        {
            "title": "Mill Street",
            "lead_agency_id": cw.world.agency_ids["housing"],
            "version": case_row(app, cw.id).version,
        },
    )
    assert response.status_code == 400
    assert "Only a coordinator or hub manager" in html(response)
    assert case_row(app, cw.id).lead_agency_id is None


# -- interventions ----------------------------------------------------------------------------


def test_interventions_are_recorded_and_updated_by_the_issuing_agency(client, cw, app):
    signed_in(client, cw.world, "spoc")
    bad = client.submit(
        f"{cw.url}/interventions",
        {
            "type": "community_protection_notice",
            "subject": "Flat 3",
            "issuing_officer": "A Officer",
            "served_on": "2026-05-02",
            "expires_on": "2026-05-01",
            "category": "incident",
        },
    )
    assert "must be on or after the date served" in html(bad)
    ok = client.submit(
        f"{cw.url}/interventions",
        {
            "type": "community_protection_notice",
            "subject": "Flat 3",
            "issuing_officer": "A Officer",
            "served_on": "2026-05-02",
            "category": "incident",
        },
    )
    assert ok.status_code == 302
    page = html(client.get(cw.url + "/interventions"))
    assert "Community protection notice" in page and "Statutory power" in page
    with app.app_context():
        item = db.session.execute(select(Intervention)).scalar_one()
    path = f"{cw.url}/interventions/{item.id}"
    assert client.get(path).status_code == 200
    updated = client.submit(
        path,
        {
            "type": "community_protection_notice",
            "subject": "Flat 3",
            "issuing_officer": "A Officer",
            "served_on": "2026-05-02",
            "breaches": "Breached 9 May",
            "category": "incident",
            "version": item.version,
        },
    )
    assert updated.status_code == 302
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    signed_in(client, cw.world, "case_worker")
    refused = client.submit(
        path,
        {
            "type": "warning_letter",
            "subject": "Flat 3",
            "issuing_officer": "B",
            "category": "incident",
            "version": item.version + 1,
        },
    )
    assert "Only the issuing agency" in html(refused)


# -- notifications ----------------------------------------------------------------------------


def test_followers_in_member_agencies_are_notified_without_personal_data(client, cw, app, outbox):
    from hub.casework.activity import follow

    with app.app_context():
        case = db.session.get(Case, cw.id)
        follow(case, db.session.get(User, cw.world.user_id["case_worker"]))  # housing: member
        follow(case, db.session.get(User, cw.world.user_id["coordinator"]))  # police: not
        db.session.commit()
    signed_in(client, cw.world, "spoc")
    client.submit(f"{cw.url}/notes", {"body": "Secret detail", "category": "incident"})
    assert [m["To"] for m in outbox] == [cw.world.email["case_worker"]]
    body = outbox[0].get_content()
    assert "Secret detail" not in body and "CPL-100" in body
    assert f"http://hub.test/cases/{cw.id}/activity" in body
    with app.app_context():
        notes = db.session.execute(select(Notification)).scalars().all()
        assert [n.user_id for n in notes] == [cw.world.user_id["case_worker"]]
        assert notes[0].text == "Note added on case CPL-100"
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    signed_in(client, cw.world, "case_worker")
    assert "Note added on case CPL-100" in html(client.get("/notifications"))
    assert client.submit("/notifications/read").status_code == 302
    # The author follows what they work on.
    with app.app_context():
        assert (
            db.session.execute(
                select(func.count(Activity.id)).where(Activity.case_id == cw.id)
            ).scalar()
            == 1
        )
