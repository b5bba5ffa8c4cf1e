"""Issue 20, as a newcomer meets it in chromium: the Move select chooses nothing by itself and a
move backwards asks for its reason; every button can be read against its background."""

import pytest
from playwright.sync_api import expect

from hub.extensions import db
from hub.models import Agency, Case, Hub
from tests.browser.test_case_together import sign_in
from tests.factories import make_case, make_isa


@pytest.fixture(scope="module")
def defect_case(live_server):
    w = live_server.world
    with live_server.app.app_context():
        hub = db.session.get(Hub, w.hub_id)
        council, police, housing = (
            db.session.get(Agency, w.agency_ids[k]) for k in ("council", "police", "housing")
        )
        make_isa(hub, [council, police, housing], ["identity", "incident"], reference="ISA-DEF")
        case = make_case(hub, "CPL-DEF-1", council, stage="awaiting_conference", band="critical")
        db.session.commit()
        case_id = case.id
        db.session.remove()
    return case_id


def _stage(live_server, case_id) -> str:
    with live_server.app.app_context():
        stage = db.session.get(Case, case_id).stage
        db.session.remove()
    return stage


def test_move_chooses_nothing_and_a_move_backwards_needs_its_reason(live_server, defect_case, page):
    base, w = live_server.url, live_server.world
    sign_in(page, base, w.email["hub_manager"])
    page.goto(f"{base}/hubs/{w.hub_slug}/board")
    card = page.get_by_test_id("card-CPL-DEF-1")
    select = card.get_by_label("Move CPL-DEF-1 to")
    assert select.input_value() == ""
    card.get_by_role("button", name="Move CPL-DEF-1").click()
    expect(page.get_by_test_id("board-message")).to_contain_text("CPL-DEF-1 cannot move")
    assert _stage(live_server, defect_case) == "awaiting_conference"

    card = page.get_by_test_id("card-CPL-DEF-1")
    card.get_by_label("Move CPL-DEF-1 to").select_option("referred")
    card.get_by_role("button", name="Move CPL-DEF-1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move the case back to referred?")
    assert _stage(live_server, defect_case) == "awaiting_conference"
    page.get_by_label("Why is the case moving back?").fill("Wrong case moved on")
    page.get_by_role("button", name="Move back to referred").click()
    expect(page.get_by_test_id("board")).to_be_visible()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "CPL-DEF-1 is now at referred"
    )
    assert _stage(live_server, defect_case) == "referred"

    page.goto(f"{base}/cases/{defect_case}")
    assert page.get_by_label("Move to stage").input_value() == ""
