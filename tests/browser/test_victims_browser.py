"""Done when: on a phone-sized screen, a SPoC opens "My victims", follows the call-back that is
due to the victim, records the call (and with it the next call-back, from the band's cadence),
and marks a milestone as told, with the keyboard-reachable controls of the GOV.UK pattern."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import Agency, CallBack, Hub, User
from hub.models.victims import VICTIM_CATEGORY
from hub.victims import records
from tests.browser.test_case_together import sign_in
from tests.support.factories import make_case, make_isa

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def victim_case(live_server):
    """A case with the SPoC's agency on it, a victim, and a call-back an hour late."""
    w = live_server.world
    with live_server.app.app_context():
        hub = db.session.get(Hub, w.hub_id)
        council, police = (db.session.get(Agency, w.agency_ids[k]) for k in ("council", "police"))
        make_isa(
            hub, [council, police], ["identity", "incident", "victim_contact"], reference="ISA-V"
        )
        case = make_case(hub, "CPL-LIVE-V", council, police, stage="active", band="high")
        spoc = db.session.get(User, w.user_id["spoc"])
        case.spoc_user_id = spoc.id
        victim = records.add_victim(
            case,
            {
                "name": "Doreen Ashby",
                "phone": "01946 555 0142",
                "preferred_channel": "phone",
                "safe_to_leave_message": "yes",
            },
            actor=spoc,
        )
        db.session.add(
            CallBack(
                case_id=case.id,
                victim_id=victim.id,
                category=VICTIM_CATEGORY,
                origin_agency_id=council.id,
                spoc_user_id=spoc.id,
                due_at=utcnow() - timedelta(hours=1),
            )
        )
        db.session.commit()
        ids = case.id
        db.session.remove()
    return ids


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def test_a_spoc_records_a_call_schedules_the_next_and_marks_a_milestone_told_on_a_phone(
    live_server, victim_case, phone
):
    base, w = live_server.url, live_server.world
    errors = []
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(phone, base, w.email["spoc"])
    menu = phone.get_by_role("button", name="Menu")
    if menu.is_visible():
        menu.click()
    phone.get_by_role("link", name="My victims").click()
    expect(phone.get_by_role("heading", name="My victims")).to_be_visible()
    due = phone.get_by_test_id("call-back").filter(has_text="Doreen Ashby")
    expect(due).to_contain_text("CPL-LIVE-V")
    due.get_by_role("link", name="Doreen Ashby").click()
    expect(phone).to_have_url(re.compile(rf"/cases/{victim_case}/victim#victim-\d+$"))
    expect(phone.get_by_test_id("next-call-back")).to_contain_text("Overdue")

    phone.get_by_text("Record a contact with Doreen Ashby").click()
    phone.get_by_label("What the victim reported").fill("Stones thrown at the back door on Friday")
    phone.get_by_label("What they were told").fill("A patrol will pass twice each evening")
    phone.get_by_label("No change").check()
    next_on = phone.get_by_label("Next call-back", exact=True).input_value()
    assert next_on  # filled from the band's cadence
    phone.get_by_role("button", name="Record the contact").click()
    expect(phone.get_by_text("The contact is recorded.")).to_be_visible()
    expect(phone.get_by_test_id("contact-log")).to_contain_text("Stones thrown at the back door")
    expect(phone.get_by_test_id("next-call-back")).not_to_contain_text("Overdue")

    opened = phone.get_by_test_id("milestone").filter(has_text="The partners opened a case")
    opened.get_by_role("button", name="Mark as told").click()
    expect(phone.get_by_text("Recorded: the victim was told.")).to_be_visible()
    expect(
        phone.get_by_test_id("milestone").filter(has_text="The partners opened a case")
    ).to_contain_text("Told")
    assert errors == []
