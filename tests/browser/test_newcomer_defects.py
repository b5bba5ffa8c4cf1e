"""Issue 20, as a newcomer meets it in chromium: the Move select chooses nothing by itself and a
move backwards asks for its reason; every button can be read against its background."""

import pytest
from playwright.sync_api import expect

from hub.extensions import db
from hub.models import Agency, Case, Hub
from tests.browser.test_case_together import sign_in
from tests.support.factories import make_case, make_isa


@pytest.fixture(scope="module")
def defect_case(live_server):
    w = live_server.world
    with live_server.app.app_context():
        hub = db.session.get(Hub, w.hub_id)
        council, police, housing = (
            db.session.get(Agency, w.agency_ids[k]) for k in ("council", "police", "housing")
        )
        make_isa(hub, [council, police, housing], ["identity", "incident"], reference="ISA-DEF")
        case = make_case(
            hub, "CPL-DEF-1", council, housing, stage="awaiting_conference", band="critical"
        )
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
    card.locator("summary").click()  # the compact card's Move menu
    select = card.get_by_label("Move CPL-DEF-1 to")
    assert select.input_value() == ""
    card.get_by_role("button", name="Move CPL-DEF-1").click()
    expect(page.get_by_test_id("board-message")).to_contain_text("CPL-DEF-1 cannot move")
    assert _stage(live_server, defect_case) == "awaiting_conference"

    card = page.get_by_test_id("card-CPL-DEF-1")
    expect(card.get_by_test_id("move-refusal")).to_contain_text("Choose a stage")
    card.get_by_label("Move CPL-DEF-1 to").select_option("referred")  # left open by the refusal
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


# The WCAG contrast ratio of each visible button's text against the first opaque background
# behind it (the page's white when nothing else is painted).
CONTRASTS = """
() => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  return [...document.querySelectorAll("main button, main input[type=submit]")]
    .filter((b) => b.offsetParent !== null)
    .map((b) => {
      const a = lum(rgb(getComputedStyle(b).color).slice(0, 3)), z = lum(background(b));
      const text = b.textContent.replace(/\\s+/g, " ").trim();
      return [text, (Math.max(a, z) + 0.05) / (Math.min(a, z) + 0.05)];
    });
}
"""


@pytest.fixture
def draft_with_a_person(live_server):
    from referrals import intake
    from tests.support.referral_data import VALID, user

    w = live_server.world
    with live_server.app.test_request_context():
        values = {k: v for k, v in VALID.items() if k != "hub"}
        draft = intake.save_draft(user(w.email["referrer"]), db.session.get(Hub, w.hub_id), values)
        db.session.commit()
        draft_id = draft.id
        db.session.remove()
    return draft_id


def test_every_button_in_the_referral_flow_can_be_read(live_server, draft_with_a_person, page):
    base, w = live_server.url, live_server.world
    sign_in(page, base, w.email["referrer"])
    seen = {}
    for path in ("people", "check"):
        page.goto(f"{base}/referrals/{draft_with_a_person}/{path}")
        seen.update(dict(page.evaluate(CONTRASTS)))
    assert "Remove William Hartley" in seen and "Delete this draft" in seen
    faint = {text: round(ratio, 2) for text, ratio in seen.items() if ratio < 4.5}
    assert faint == {}, f"buttons under WCAG AA contrast (4.5:1): {faint}"
    # The account bar's Sign out stays white on its dark bar.
    page.goto(f"{base}/")
    bar = page.locator(".hub-account-bar button")
    assert bar.evaluate("b => getComputedStyle(b).color") == "rgb(255, 255, 255)"


def test_the_page_title_follows_the_case_tab(live_server, defect_case, page):
    base, w = live_server.url, live_server.world
    sign_in(page, base, w.email["hub_manager"])
    page.goto(f"{base}/cases/{defect_case}")
    expect(page).to_have_title("CPL-DEF-1: Overview – Focus Hub")
    page.get_by_role("link", name="Activity", exact=True).click()
    expect(page).to_have_url(f"{base}/cases/{defect_case}/activity")
    expect(page).to_have_title("CPL-DEF-1: Activity – Focus Hub")
    page.go_back()
    expect(page).to_have_title("CPL-DEF-1: Overview – Focus Hub")


def test_the_owner_list_offers_the_chosen_agencys_people(live_server, defect_case, page):
    base, w = live_server.url, live_server.world
    sign_in(page, base, w.email["hub_manager"])
    page.goto(f"{base}/cases/{defect_case}/actions")
    owner = page.get_by_label("Owner")

    def offered():
        return owner.evaluate(
            "s => [...s.options].filter(o => !o.hidden && !o.disabled).map(o => o.text)"
        )

    page.get_by_label("Owning agency").select_option(label="Home Group")
    assert offered() and all(text.endswith(", Home Group") for text in offered())
    page.get_by_label("Owning agency").select_option(label="Copeland Borough Council")
    assert offered() and all(text.endswith(", Copeland Borough Council") for text in offered())
    assert owner.evaluate("s => s.selectedOptions[0].text").endswith("Copeland Borough Council")
