"""Issue 18 in chromium: a card is dragged to another column (SortableJS, vendored) or moved by
the arrow keys on its handle; the server's stage rules decide, a refused move says why on the
card, a backward move still asks for its reason, and nothing reloads the page."""

import pytest
from playwright.sync_api import expect

from hub.extensions import db
from hub.models import Agency, Case, Hub
from tests.browser.test_case_together import sign_in
from tests.support.factories import make_case, make_isa


@pytest.fixture(scope="module")
def drag_cases(live_server):
    w = live_server.world
    with live_server.app.app_context():
        hub = db.session.get(Hub, w.hub_id)
        council, police, housing = (
            db.session.get(Agency, w.agency_ids[k]) for k in ("council", "police", "housing")
        )
        make_isa(hub, [council, police, housing], ["identity", "incident"], reference="ISA-DRAG")
        ids = {
            ref: make_case(hub, ref, council, stage="referred", band=band).id
            for ref, band in (("CPL-DRAG-1", "high"), ("CPL-DRAG-2", "medium"))
        }
        db.session.commit()
        db.session.remove()
    return ids


def _stage(live_server, case_id) -> str:
    with live_server.app.app_context():
        stage = db.session.get(Case, case_id).stage
        db.session.remove()
    return stage


def _column(page, stage):
    return page.locator(f'ul.hub-board__cards[data-stage="{stage}"]')


def test_drag_a_card_and_move_one_by_keyboard(live_server, drag_cases, page):
    base, w = live_server.url, live_server.world
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, base, w.email["hub_manager"])
    page.goto(f"{base}/hubs/{w.hub_slug}/board")
    page.evaluate("window.__notReloaded = true")

    # Dragged from referred to awaiting conference: moved, said, no reload.
    card = page.get_by_test_id("card-CPL-DRAG-1")
    card.locator(".hub-card__handle").drag_to(_column(page, "awaiting_conference"))
    expect(page.get_by_test_id("board-message")).to_contain_text(
        "CPL-DRAG-1 is now at awaiting conference"
    )
    expect(_column(page, "awaiting_conference")).to_contain_text("CPL-DRAG-1")
    assert _stage(live_server, drag_cases["CPL-DRAG-1"]) == "awaiting_conference"

    # Dragged on to active, which needs a lead and a plan: refused, and the card says why.
    card = page.get_by_test_id("card-CPL-DRAG-1")
    card.locator(".hub-card__handle").drag_to(_column(page, "active"))
    refusal = page.get_by_test_id("card-CPL-DRAG-1").get_by_test_id("move-refusal")
    expect(refusal).to_contain_text("agreed lead agency")
    expect(_column(page, "awaiting_conference")).to_contain_text("CPL-DRAG-1")
    assert _stage(live_server, drag_cases["CPL-DRAG-1"]) == "awaiting_conference"
    # Once the board has settled, focus is back on the card that was moved.
    expect(page.get_by_test_id("card-CPL-DRAG-1").locator(".hub-card__handle")).to_be_focused()

    # By keyboard: the right arrow on the handle moves the card one stage on; focus stays on it.
    page.get_by_test_id("card-CPL-DRAG-2").locator(".hub-card__handle").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("board-message")).to_contain_text(
        "CPL-DRAG-2 is now at awaiting conference"
    )
    expect(page.get_by_test_id("board-announce")).to_contain_text("CPL-DRAG-2 is now at")
    handle = page.get_by_test_id("card-CPL-DRAG-2").locator(".hub-card__handle")
    expect(handle).to_be_focused()
    assert page.evaluate("window.__notReloaded") is True

    # The left arrow moves it back: that undoes work, so the reason is asked for first.
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("heading", level=1)).to_have_text("Move the case back to referred?")
    assert _stage(live_server, drag_cases["CPL-DRAG-2"]) == "awaiting_conference"
    assert errors == []
