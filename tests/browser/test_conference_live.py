"""Done when: the chair runs an item at a live conference, agrees the lead agency and assigns
an action; a partner of a member agency with the case page open sees both appear without
reloading, and sees the decisions on the conference page."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import Agency, AgendaItem, AgendaReason, Conference, Hub
from tests.browser.test_case_together import sign_in
from tests.support.factories import make_case, make_isa


@pytest.fixture(scope="module")
def conference_case(live_server):
    """A case (council referred it; police, the chair's agency, a member) on the agenda of a
    scheduled conference, added to the live server's own database."""
    w = live_server.world
    with live_server.app.app_context():
        hub = db.session.get(Hub, w.hub_id)
        council, police = (db.session.get(Agency, w.agency_ids[k]) for k in ("council", "police"))
        make_isa(hub, [council, police], ["identity", "incident"], reference="ISA-CONF-LIVE")
        case = make_case(hub, "CPL-CONF-1", council, police, stage="active", band="high")
        conference = Conference(hub_id=hub.id, starts_at=utcnow() + timedelta(minutes=5))
        db.session.add(conference)
        db.session.flush()
        db.session.add(
            AgendaItem(
                conference_id=conference.id,
                case_id=case.id,
                reason=AgendaReason.REVIEW_DUE.value,
                position=1,
            )
        )
        db.session.commit()
        ids = (conference.id, case.id)
        db.session.remove()
    return ids


@pytest.fixture
def partner_page(browser):
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def test_the_chair_agrees_the_lead_and_an_action_and_the_partner_sees_them(
    live_server, conference_case, page, partner_page
):
    base, w = live_server.url, live_server.world
    conference_id, case_id = conference_case
    errors = []
    for p in (page, partner_page):
        p.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    chair, partner = page, partner_page
    sign_in(chair, base, w.email["coordinator"])
    sign_in(partner, base, w.email["spoc"])  # the council: a member of the case

    partner.goto(f"{base}/cases/{case_id}")
    expect(partner.get_by_test_id("lead-agency")).to_contain_text("Not agreed yet")
    partner.evaluate("window.__notReloaded = true")

    chair.goto(f"{base}/conferences/{conference_id}/live")
    chair.get_by_role("button", name="Start the conference").click()
    expect(chair.get_by_test_id("conference-status")).to_contain_text("In progress")
    chair.evaluate("window.__notReloaded = true")

    # The current item is the case; the chair agrees the lead agency, by keyboard.
    expect(chair.get_by_test_id("current-item")).to_contain_text("CPL-CONF-1")
    chair.get_by_text("Agree the lead agency", exact=True).first.click()
    chair.get_by_label("Lead agency").select_option(label="Copeland Borough Council")
    chair.locator("#lead_agency-form").get_by_role("button").focus()
    chair.keyboard.press("Enter")
    decisions = chair.get_by_test_id("item-decisions")
    expect(decisions).to_contain_text("Lead agency: Copeland Borough Council")

    # An action with no owner is refused with the message, and nothing is recorded.
    chair.get_by_text("Assign an action", exact=True).first.click()
    chair.get_by_label("What needs doing").fill("Fit a noise monitor in flat 4")
    chair.get_by_label("Owning agency").select_option(label="Cumbria Constabulary")
    chair.get_by_label("Due date").fill("2030-01-10")
    chair.locator("#action-form").get_by_role("button").click()
    expect(chair.get_by_test_id("error-summary")).to_contain_text("Choose the owner")
    expect(decisions).not_to_contain_text("noise monitor")

    # The form kept what was typed; the owner is chosen and the action recorded.
    chair.get_by_label("Owner", exact=True).select_option(label="Coord, Cumbria Constabulary")
    chair.locator("#action-form").get_by_role("button").click()
    expect(decisions).to_contain_text("Fit a noise monitor in flat 4")
    assert chair.evaluate("window.__notReloaded") is True

    # The partner's open case page shows both, without a reload.
    lead = partner.get_by_test_id("lead-agency")
    expect(lead).to_contain_text("Copeland Borough Council", timeout=15_000)
    expect(lead).to_contain_text("agreed at the conference on")
    feed = partner.get_by_test_id("case-feed")
    expect(feed).to_contain_text("Fit a noise monitor in flat 4", timeout=15_000)
    assert partner.evaluate("window.__notReloaded") is True

    # And on the conference page, the decisions in full for a member agency.
    partner.goto(f"{base}/conferences/{conference_id}")
    following = partner.get_by_test_id("conference-decisions")
    expect(following).to_contain_text("Lead agency: Copeland Borough Council")
    expect(following).to_contain_text("Fit a noise monitor in flat 4")
    # The browser logs the refused form's 400 (expected above); nothing else may go wrong.
    assert [e for e in errors if "status of 400" not in e] == [], errors
