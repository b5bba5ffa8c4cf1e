"""Done when: two partners in two browsers work the same case. One adds an action and a note;
the other sees them appear without reloading. An agency that is not a member sees the card on
the board and nothing else."""

import pytest
from playwright.sync_api import expect

from hub.extensions import db
from hub.models import Agency, Hub
from tests.support.factories import PASSWORD, make_case, make_isa


@pytest.fixture(scope="module")
def shared_case(live_server):
    """The ISA and case the scenario needs, added to the live server's own database."""
    w = live_server.world
    with live_server.app.app_context():
        hub = db.session.get(Hub, w.hub_id)
        council, police, housing = (
            db.session.get(Agency, w.agency_ids[k]) for k in ("council", "police", "housing")
        )
        make_isa(
            hub,
            [council, police, housing],
            ["identity", "incident", "housing"],
            reference="ISA-BROWSER",
        )
        case = make_case(hub, "CPL-LIVE-1", council, housing, stage="active", band="high")
        db.session.commit()
        case_id = case.id
        db.session.remove()
    return case_id


@pytest.fixture
def second_page(browser):
    """A second browser context: another partner's browser, with its own cookies."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()  # the email first
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/", timeout=60_000)  # argon2 on a busy machine can be slow


def test_two_partners_see_each_others_updates_and_a_non_member_sees_only_the_card(
    live_server, shared_case, page, second_page, browser
):
    base, w = live_server.url, live_server.world
    errors = []
    for p in (page, second_page):
        p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    council, housing = page, second_page
    sign_in(council, base, w.email["spoc"])
    sign_in(housing, base, w.email["case_worker"])
    case_url = f"{base}/cases/{shared_case}"
    council.goto(case_url)
    housing.goto(case_url)
    housing.evaluate("window.__notReloaded = true")

    council.get_by_label("Add a note").fill("Tenant reports shouting through the wall at 1am")
    council.get_by_role("button", name="Add note").click()
    expect(council.locator("#case-feed")).to_contain_text("shouting through the wall")

    # The tab swaps in place and the address follows it, so back and reload still work.
    council.get_by_role("link", name="Actions").click()
    expect(council).to_have_url(case_url + "/actions")
    council.get_by_label("What needs doing").fill("Fit a noise monitor in flat 4")
    council.get_by_label("Due date").fill("2030-01-10")
    council.get_by_role("button", name="Add action").click()
    expect(council.get_by_test_id("case-actions")).to_contain_text("Fit a noise monitor")

    feed = housing.get_by_test_id("case-feed")
    expect(feed).to_contain_text("shouting through the wall", timeout=15_000)
    expect(feed).to_contain_text("Fit a noise monitor in flat 4", timeout=15_000)
    assert housing.evaluate("window.__notReloaded") is True

    # Housing opens the actions tab by keyboard-free click; the list is there, and live.
    housing.get_by_role("link", name="Actions").click()
    expect(housing.get_by_test_id("case-actions")).to_contain_text("Fit a noise monitor")
    housing.go_back()
    expect(housing).to_have_url(case_url)
    expect(housing.get_by_test_id("case-feed")).to_contain_text("shouting through the wall")

    # The council moves the card on the board, by keyboard: the board updates in place.
    council.goto(f"{base}/hubs/{w.hub_slug}/board")
    council.evaluate("window.__notReloaded = true")
    card = council.get_by_test_id("card-CPL-LIVE-1")
    card.locator("summary").focus()  # the compact card's Move menu opens by keyboard
    council.keyboard.press("Enter")
    card.get_by_label("Move CPL-LIVE-1 to").select_option("review")
    card.get_by_role("button", name="Move CPL-LIVE-1").focus()
    council.keyboard.press("Enter")
    expect(council.get_by_test_id("board-message")).to_contain_text("CPL-LIVE-1 is now at review")
    expect(council.locator("#col-review").locator("..")).to_contain_text("CPL-LIVE-1")
    assert council.evaluate("window.__notReloaded") is True

    # Police is in the hub but not a member of the case: the card, and nothing else.
    police_context = browser.new_context()
    police = police_context.new_page()
    try:
        sign_in(police, base, w.email["coordinator"])
        police.goto(f"{base}/hubs/{w.hub_slug}/board")
        card = police.get_by_test_id("card-CPL-LIVE-1")
        expect(card).to_contain_text("High")
        expect(card.get_by_role("link")).to_have_count(0)
        expect(card).not_to_contain_text("noise monitor")
        response = police.goto(case_url)
        assert response.status == 404
        expect(police.get_by_role("heading", level=1)).to_have_text("Page not found")
        response = police.goto(case_url + "/actions")
        assert response.status == 404
    finally:
        police_context.close()
    assert [e for e in errors if "404" not in e] == [], errors
