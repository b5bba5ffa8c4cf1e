"""Accessibility (issue 17): axe-core, vendored from npm in tests/browser/assets (no CDN),
run in Debian's chromium on every kind of page, with no serious or critical violation
allowed; and a referral completed from the keyboard alone."""

import re
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from hub.extensions import db
from hub.models import Conference, InformationSharingAgreement
from tests.conftest import _database, make_app
from tests.support.factories import PASSWORD, build_world
from tests.support.meeting_data import build_meeting

AXE = (Path(__file__).parent / "assets" / "axe.min.js").read_text()
SERIOUS = {"serious", "critical"}


def axe_problems(page) -> list[str]:
    """Serious and critical violations on the page as it stands. axe runs through the
    DevTools protocol (page.evaluate), which the pages' CSP does not govern."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    result = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'best-practice']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        # and content outside every landmark, which a screen-reader user jumping between
        # landmarks never reaches (axe rates it moderate; the hub holds it to serious)
        if v["impact"] in SERIOUS or v["id"] == "region"
    ]


@pytest.fixture(scope="module")
def hub_with_a_meeting():
    """A hub of its own with cases, a referral awaiting triage and a held conference (plus a
    live one), so every kind of page has something on it."""
    url, options, cleanup = _database("a11y")
    app = make_app(url, options, WTF_CSRF_SSL_STRICT=False)
    with app.app_context():
        upgrade()
        world = build_world()
        meeting = build_meeting(world)
        meeting.referral.status = "submitted"
        live = Conference(
            hub_id=meeting.hub.id,
            starts_at=meeting.conference.starts_at.replace(day=26),
            place="Whitehaven police station",
            status="live",
            chair_id=meeting.people["coordinator"].id,
            started_at=meeting.conference.starts_at.replace(day=26),
        )
        db.session.add(live)
        db.session.commit()
        ids = {
            "conference": meeting.conference.id,
            "live": live.id,
            "case": meeting.case_a.id,
            "referral": meeting.referral.id,
            "isa": db.session.execute(select(InformationSharingAgreement.id)).scalars().first(),
        }
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield type(
        "Live",
        (),
        {"url": f"http://127.0.0.1:{server.server_port}", "world": world, "ids": ids, "app": app},
    )
    server.shutdown()
    with app.app_context():
        db.engine.dispose()
    cleanup()


def sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")


@pytest.fixture(scope="module")
def as_person(browser, hub_with_a_meeting):
    """A signed-in browser per person, made once for the module."""
    pages = {}

    def get(who: str):
        if who not in pages:
            context = browser.new_context()
            pages[who] = context.new_page()
            sign_in(pages[who], hub_with_a_meeting.url, hub_with_a_meeting.world.email[who])
        return pages[who]

    yield get
    for page in pages.values():
        page.context.close()


CASE_TABS = (
    "",
    "/referrals",
    "/risk",
    "/plan",
    "/actions",
    "/interventions",
    "/conferences",
    "/activity",
)
PAGES = [
    ("hub_manager", "/"),
    ("hub_manager", "/hubs/copeland/board"),
    *(("hub_manager", "/cases/{case}" + tab) for tab in CASE_TABS),
    ("hub_manager", "/cases/{case}/members"),
    ("hub_manager", "/cases/{case}/disclosures"),
    ("coordinator", "/triage/"),
    ("coordinator", "/triage/{referral}"),
    ("hub_manager", "/hubs/copeland/conferences"),
    ("hub_manager", "/conferences/{conference}"),
    ("coordinator", "/conferences/{live}/live"),
    ("hub_manager", "/conferences/{conference}/minutes"),
    ("hub_manager", "/conferences/{conference}/minutes/print"),
    ("hub_manager", "/conferences/{conference}/agenda/print"),
    ("hub_manager", "/hubs/copeland/decisions"),
    ("hub_manager", "/hubs/copeland/isas"),
    ("hub_manager", "/hubs/copeland/isas/{isa}"),
    ("hub_manager", "/hubs/copeland/isas/new"),
    ("sysadmin", "/admin/"),
    ("sysadmin", "/admin/users"),
    ("hub_manager", "/hubs/copeland/audit"),
    ("referrer", "/referrals/"),
    ("referrer", "/referrals/{referral}"),
    ("hub_manager", "/account/"),
]


def test_sign_in_has_no_serious_violation(page, hub_with_a_meeting):
    page.goto(hub_with_a_meeting.url + "/sign-in")
    assert axe_problems(page) == []
    page.get_by_role("button", name="Continue").click()  # with its error summary
    assert axe_problems(page) == []


@pytest.mark.parametrize(("who", "path"), PAGES, ids=[f"{w}:{p}" for w, p in PAGES])
def test_page_has_no_serious_violation(as_person, hub_with_a_meeting, who, path):
    page = as_person(who)
    response = page.goto(hub_with_a_meeting.url + path.format(**hub_with_a_meeting.ids))
    assert response.status == 200, path
    assert axe_problems(page) == [], path


def tab_to(page, target) -> None:
    """Move the focus to `target` with Tab alone (and the arrow keys inside a radio group,
    as a keyboard user does): never a click, never focus() from script."""
    name = target.evaluate("e => e.type === 'radio' ? e.name : null")
    for _ in range(150):
        if target.evaluate("e => e === document.activeElement"):
            return
        in_group = page.evaluate(
            "(name) => name !== null && document.activeElement.type === 'radio'"
            " && document.activeElement.name === name",
            name,
        )
        page.keyboard.press("ArrowDown" if in_group else "Tab")
    raise AssertionError(f"the keyboard never reached {target}")


def key_fill(page, target, text: str) -> None:
    tab_to(page, target)
    page.keyboard.type(text)


def key_press(page, target, key: str = "Space") -> None:
    tab_to(page, target)
    page.keyboard.press(key)


def test_a_referral_made_from_the_keyboard_alone_with_every_step_accessible(
    browser, hub_with_a_meeting
):
    context = browser.new_context()
    page = context.new_page()
    base = hub_with_a_meeting.url
    page.goto(base + "/sign-in")
    key_fill(page, page.get_by_label("Email address"), hub_with_a_meeting.world.email["referrer"])
    page.keyboard.press("Enter")
    key_fill(page, page.get_by_label("Password"), PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
    page.goto(base + "/referrals/new")
    problems = {}

    def step_done(button="Continue"):
        problems[page.url] = axe_problems(page)
        key_press(page, page.get_by_role("button", name=button), "Enter")
        page.wait_for_load_state()

    key_press(page, page.get_by_label("A person"))
    key_press(page, page.get_by_label("Personal"))
    step_done()
    key_fill(page, page.get_by_label("Summary in one line"), "Older man targeted, Mill Street")
    key_fill(page, page.get_by_label("What is happening, and since when?"), "Youths at his door.")
    key_fill(page, page.get_by_label("Day"), "1")
    key_fill(page, page.get_by_label("Month"), "8")
    key_fill(page, page.get_by_label("Year"), "2026")
    key_fill(page, page.get_by_label("How many incidents do you know of?"), "12")
    step_done()
    key_fill(page, page.get_by_label("Address or description of the place"), "12 Mill Street")
    step_done()
    key_press(page, page.get_by_label("Victim or complainant"))
    key_fill(page, page.get_by_label("Name", exact=True), "William Hartley")
    problems[page.url + "#person"] = axe_problems(page)
    key_press(page, page.get_by_role("button", name="Add this person"), "Enter")
    expect(page.get_by_test_id("people-added")).to_contain_text("William Hartley")
    step_done()
    key_press(page, page.get_by_label("No"))
    key_fill(page, page.get_by_label("Why are you sharing without consent?"), "Risk of harm")
    step_done()
    for question in (
        "Is the victim being targeted personally?",
        "Does the victim fear for their safety?",
    ):
        key_press(page, page.get_by_role("group", name=question).get_by_label("Yes"))
    children = page.get_by_role("group", name="Are children affected?")
    key_press(page, children.get_by_label("Don't know"))
    step_done()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your answers")
    step_done("Send referral")
    expect(page.locator(".govuk-panel")).to_contain_text("Referral sent")
    expect(page.get_by_test_id("reference")).to_have_text(re.compile(r"REF-\d{4}-\d{6}"))
    problems[page.url] = axe_problems(page)
    context.close()
    assert {url: found for url, found in problems.items() if found} == {}
