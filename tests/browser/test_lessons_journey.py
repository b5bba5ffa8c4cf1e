"""Done when: the lead agency evaluates a case, a lesson is drafted from the evaluation, the
personal-data check stops it until a false alarm is confirmed, a coordinator reviews and
publishes it, and it is suggested on another case's Plan tab, where it is marked as used."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from hub.extensions import db
from hub.models import Agency, Hub, Intervention, Plan, User
from tests.browser.test_case_together import sign_in
from tests.support.factories import make_case, make_isa


@pytest.fixture(scope="module")
def two_cases(live_server):
    w = live_server.world
    with live_server.app.app_context():
        hub = db.session.get(Hub, w.hub_id)
        council, police, housing = (
            db.session.get(Agency, w.agency_ids[k]) for k in ("council", "police", "housing")
        )
        make_isa(hub, [council, police, housing], ["identity", "incident"], reference="ISA-LJ")
        done = make_case(hub, "CPL-LJ-1", council, housing, stage="evaluation")
        done.lead_agency_id = housing.id
        worker = db.session.get(User, w.user_id["case_worker"])
        db.session.add_all(
            [
                Plan(
                    case_id=done.id,
                    objective="Stop the late-night music from the upstairs flat",
                    success_measures="No noise complaints for eight weeks",
                ),
                Intervention(
                    case_id=done.id,
                    type="mediation",
                    issuing_officer="Mediation service",
                    subject="The flat",
                    served_on=date.today() - timedelta(days=120),
                    category="incident",
                    origin_agency_id=housing.id,
                    recorded_by_id=worker.id,
                ),
            ]
        )
        later = make_case(hub, "CPL-LJ-2", council, housing, stage="active")
        db.session.add(
            Plan(
                case_id=later.id,
                objective="End the loud music at night from a flat above the complainant",
                scanning="Music and shouting after midnight, neighbours below not sleeping",
            )
        )
        db.session.commit()
        ids = (done.id, later.id)
        db.session.remove()
    return ids


def sign_out(page, base):
    page.goto(base + "/")
    page.get_by_role("button", name="Sign out").click()


def test_evaluate_draft_review_publish_and_suggest(live_server, two_cases, page):
    base, w = live_server.url, live_server.world
    done, later = two_cases

    # The lead agency (housing) evaluates.
    sign_in(page, base, w.email["case_worker"])
    page.goto(f"{base}/cases/{done}/evaluation")
    expect(page.get_by_test_id("before-after")).to_be_visible()
    page.select_option("#outcome", "ceased")
    page.fill("#summary", "No complaints since the mediation")
    page.check("#measure_0_met-met")
    page.select_option("#worked_mediation", "worked")
    page.select_option("#victim_satisfaction", "5")
    page.get_by_role("button", name="Save evaluation").click()
    expect(page.get_by_test_id("evaluation-status")).to_contain_text("Draft")
    sign_out(page, base)

    # A supervisor signs it off.
    sign_in(page, base, w.email["hub_manager"])
    page.goto(f"{base}/cases/{done}/evaluation")
    page.get_by_test_id("sign-evaluation").click()
    expect(page.get_by_test_id("evaluation-status")).to_contain_text("Signed off")
    sign_out(page, base)

    # The lead agency drafts a lesson from it; the check finds "Mill Lane".
    sign_in(page, base, w.email["case_worker"])
    page.goto(f"{base}/cases/{done}/evaluation")
    page.get_by_role("link", name="Draft a lesson for the library from this evaluation").click()
    expect(page.locator("#outcome")).to_have_value("ceased")
    expect(page.locator("#interventions-mediation")).to_be_checked()
    page.fill("#title", "Mediation settles late-night music between flats")
    page.fill("#problem", "Loud music from an upstairs flat after midnight")
    page.fill("#context", "A cul-de-sac of flats like Mill Lane, one way in")
    page.fill("#worked", "Mediation with both households; the tenant had not known")
    page.select_option("#asb_category", "nuisance")
    page.fill("#tags", "noise, flats")
    page.get_by_test_id("submit-lesson").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("looks like a street address")
    page.get_by_label("“Mill Lane” in context (a street address) is not personal").check()
    page.get_by_test_id("submit-lesson").click()
    expect(page.locator("body")).to_contain_text("sent for review")
    lesson_url = page.url
    sign_out(page, base)

    # A coordinator reviews and publishes it.
    sign_in(page, base, w.email["coordinator"])
    page.goto(lesson_url)
    expect(page.get_by_test_id("lesson-findings")).to_contain_text("confirmed not personal")
    page.get_by_test_id("publish-lesson").click()
    expect(page.locator("body")).to_contain_text("published in the hub's library")
    page.goto(f"{base}/hubs/{w.hub_slug}/lessons?q=mediation")
    expect(page.get_by_test_id("lesson-results")).to_contain_text("Mediation settles")
    sign_out(page, base)

    # On the other case's Plan tab it is suggested, with why, and marked as used.
    sign_in(page, base, w.email["case_worker"])
    page.goto(f"{base}/cases/{later}/plan")
    suggested = page.get_by_test_id("suggested-lessons")
    expect(suggested).to_contain_text("Mediation settles late-night music between flats")
    expect(suggested.get_by_test_id("why-suggested").first).to_contain_text("music")
    suggested.get_by_role("button", name="Mark as used on this case").first.click()
    expect(page.get_by_test_id("suggested-lessons")).to_contain_text("Used on this case")
