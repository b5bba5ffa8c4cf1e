"""Issue 18: the board, a case page and the home page of each role, photographed in Debian's
chromium on a desk (1280 px), on phones (375 x 812 and 320 px wide) and printed, so a reviewer
can look at them; and no page scrolls sideways at 320 px.

The screenshots are kept as test artefacts under artefacts/screens/ (gitignored; SCREENS_DIR
moves them). The path is printed at the end of the run."""

import os
from datetime import date, timedelta
from pathlib import Path

import pytest

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import Agency, AgendaItem, Case, CaseAction, Conference, Hub, User
from tests.browser.test_case_together import sign_in
from tests.support.factories import make_case, make_isa, make_note
from tests.support.meeting_data import make_referral

ROOT = Path(__file__).resolve().parents[2]
SCREENS = Path(os.environ.get("SCREENS_DIR", ROOT / "artefacts" / "screens"))
VIEWS = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 375, "height": 812},
    "narrow": {"width": 320, "height": 640},
}
ROLES = ("coordinator", "case_worker", "hub_manager", "spoc")
TITLE = "Repeated noise, intimidation and drug dealing at Mill Street flats, Whitehaven"


@pytest.fixture(scope="module")
def screen_world(live_server):
    """A hub with a board worth looking at: cases in each open stage and band, a lead agreed,
    overdue actions, a case on an upcoming agenda and one no conference will hear in time."""
    w = live_server.world
    with live_server.app.app_context():
        hub = db.session.get(Hub, w.hub_id)
        council, police, housing = (
            db.session.get(Agency, w.agency_ids[k]) for k in ("council", "police", "housing")
        )
        worker = db.session.get(User, w.user_id["case_worker"])
        make_isa(
            hub,
            [council, police, housing],
            ["identity", "incident", "housing", "victim_contact"],
            reference="ISA-SCREENS",
            expires_on=date.today() + timedelta(days=20),
        )
        weekly = Conference(hub_id=hub.id, starts_at=utcnow() + timedelta(days=4))
        db.session.add(weekly)
        db.session.flush()
        plan = [
            ("CPL-SHOT-01", "critical", "referred", timedelta(hours=30)),
            ("CPL-SHOT-02", "high", "awaiting_conference", timedelta(days=6)),
            ("CPL-SHOT-03", "medium", "awaiting_conference", timedelta(days=20)),
            ("CPL-SHOT-04", "high", "active", None),
            ("CPL-SHOT-05", "standard", "active", None),
            ("CPL-SHOT-06", "medium", "review", None),
            ("CPL-SHOT-07", "high", "evaluation", None),
        ]
        for i, (reference, band, stage, due) in enumerate(plan):
            case = make_case(
                hub,
                reference,
                housing,
                council,
                band=band,
                stage=stage,
                title=TITLE,
            )
            case.conference_due_by = utcnow() + due if due else None
            if stage in ("active", "review", "evaluation"):
                case.lead_agency_id = housing.id
                case.lead_agreed_at = utcnow() - timedelta(days=30)
            if reference in ("CPL-SHOT-02", "CPL-SHOT-03"):
                db.session.add(
                    AgendaItem(
                        conference_id=weekly.id, case_id=case.id, reason="new_case", position=i
                    )
                )
            db.session.add(
                CaseAction(
                    case_id=case.id,
                    agency_id=housing.id,
                    owner_id=worker.id,
                    description="Visit the tenants of flat 9 with the police beat manager",
                    due_on=date.today() - timedelta(days=3 - i % 3 * 3),
                )
            )
            case.next_review_on = date.today() - timedelta(days=1) if i % 2 else None
            make_note(case, housing, worker, body="Tenants report shouting late at night.")
        # The coordinator's day: referrals to triage (one past its deadline), an urgent
        # conference to confirm.
        spoc = db.session.get(User, w.user_id["spoc"])
        for n, hours in ((1, -6), (2, 40), (3, 120)):
            referral = make_referral(hub, council, spoc, f"REF-SHOT-{n}")
            referral.submitted_at = utcnow() - timedelta(days=2)
            referral.conference_due_by = utcnow() + timedelta(hours=hours)
        db.session.add(
            Conference(
                hub_id=hub.id,
                kind="urgent",
                status="proposed",
                starts_at=utcnow() + timedelta(hours=22),
            )
        )
        db.session.commit()
        case_id = db.session.query(Case.id).filter_by(reference="CPL-SHOT-04").scalar()
        db.session.remove()
    SCREENS.mkdir(parents=True, exist_ok=True)
    yield case_id
    print(f"\nScreenshots of the board, case page and home pages: {SCREENS}")


# The elements that stick out past the viewport, not inside a box that scrolls on its own.
OFFENDERS = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let up = el.parentElement, contained = false;
    while (up && !contained) {
      contained = getComputedStyle(up).overflowX !== "visible"
        && up.getBoundingClientRect().right <= width + 1;
      up = up.parentElement;
    }
    if (!contained) found.push(`${el.tagName}.${el.className} ${Math.round(box.right)}px`);
  }
  return found.slice(0, 10);
}"""


def _no_sideways_scroll(page):
    """0 when the page does not scroll sideways; else how far, and what sticks out."""
    far = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return far and (far, page.evaluate(OFFENDERS))


@pytest.mark.parametrize("role", ROLES)
def test_screens_of_each_role(live_server, screen_world, browser, role):
    base, w = live_server.url, live_server.world
    pages = {
        "home": "/",
        "board": f"/hubs/{w.hub_slug}/board",
        "case": f"/cases/{screen_world}",
    }
    context = browser.new_context(viewport=VIEWS["desktop"])
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        sign_in(page, base, w.email[role])
        wide = {}
        for view, size in VIEWS.items():
            page.set_viewport_size(size)
            for name, path in pages.items():
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=SCREENS / f"{role}-{name}-{view}.png", full_page=True)
                if view == "narrow":
                    wide[name] = _no_sideways_scroll(page)
        page.set_viewport_size(VIEWS["desktop"])
        page.emulate_media(media="print")
        for name, path in pages.items():
            page.goto(base + path)
            page.screenshot(path=SCREENS / f"{role}-{name}-print.png", full_page=True)
        assert wide == {name: 0 for name in pages}, f"scrolls sideways at 320 px: {wide}"
        assert errors == []
    finally:
        context.close()
    assert (SCREENS / f"{role}-board-phone.png").stat().st_size > 0


def test_the_case_page_shows_what_matters_first_on_a_phone(live_server, screen_world, browser):
    base, w = live_server.url, live_server.world
    context = browser.new_context(viewport=VIEWS["phone"])
    page = context.new_page()
    try:
        sign_in(page, base, w.email["case_worker"])
        page.goto(f"{base}/cases/{screen_world}")
        header = page.get_by_test_id("case-header")
        for words in ("CPL-SHOT-04", "High", "Active", "Home Group", "Visit the tenants"):
            assert words in header.inner_text()
        # The tabs are one row, and the tab's own content starts on the first screen.
        tabs = page.locator(".govuk-tabs__list-item")
        tops = {round(tabs.nth(i).bounding_box()["y"]) for i in range(tabs.count())}
        assert len(tops) == 1, tops
        panel = page.locator("#case-panel").bounding_box()
        assert panel["y"] < 812 - 100, panel
        # Large targets: each tab is at least 44 px high.
        assert all(tabs.nth(i).bounding_box()["height"] >= 44 for i in range(tabs.count()))
    finally:
        context.close()
