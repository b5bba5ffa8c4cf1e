"""A council officer refers a victim through the web form in a real browser and sees the
reference, band and conference deadline."""

import re

from playwright.sync_api import expect

from tests.support.factories import PASSWORD


def test_a_council_user_refers_a_victim_and_sees_band_and_deadline(live_server, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill(live_server.world.email["referrer"])
    page.get_by_role("button", name="Continue").click()  # the email first
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")

    page.get_by_role("link", name="Referrals", exact=True).click()
    page.get_by_role("link", name="Make a new referral").click()
    page.get_by_label("A person").check()
    page.get_by_label("Personal").check()
    page.get_by_role("button", name="Continue").click()

    # A mistake is caught on the page with an error summary.
    page.get_by_role("button", name="Continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a one-line summary")
    expect(summary).to_be_focused()

    page.get_by_label("Summary in one line").fill("Older man targeted by youths, Mill Street")
    page.get_by_label("What is happening, and since when?").fill(
        "Youths gather outside his flat most evenings and bang on the door."
    )
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("8")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("How many incidents do you know of?").fill("12")
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Address or description of the place").fill(
        "Flat 3, 12 Mill Street, Whitehaven"
    )
    page.get_by_label("Postcode (optional)").fill("ca28 7xy")
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("Victim or complainant").check()
    page.get_by_label("Name", exact=True).fill("William Hartley")
    page.get_by_role("checkbox", name="Age", exact=True).check()
    page.get_by_role("button", name="Add this person").click()
    expect(page.get_by_test_id("people-added")).to_contain_text("William Hartley")
    page.get_by_role("button", name="Continue").click()

    page.get_by_label("No").check()
    page.get_by_label("Why are you sharing without consent?").fill("Risk of harm outweighs")
    page.get_by_role("button", name="Continue").click()

    for question in (
        "Is the victim being targeted personally?",
        "Has the victim experienced this before (repeat victimisation)?",
        "Does the victim fear for their safety?",
        "Is it affecting the victim's daily routine?",
    ):
        page.get_by_role("group", name=question).get_by_label("Yes").check()
    # Not known: scored as no, shown to the coordinator.
    page.get_by_role("group", name="Are children affected?").get_by_label("Don't know").check()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your answers")
    expect(page.locator("main")).to_contain_text("CA28 7XY")
    expect(page.locator("main")).to_contain_text("Answered don't know")
    page.get_by_role("button", name="Send referral").click()

    expect(page.locator(".govuk-panel")).to_contain_text("Referral sent")
    expect(page.get_by_test_id("reference")).to_have_text(re.compile(r"REF-\d{4}-\d{6}"))
    expect(page.get_by_test_id("band")).to_have_text("High")
    expect(page.get_by_test_id("deadline")).to_have_text(re.compile(r"\d{1,2} \w+ \d{4} at 5:00pm"))
    page.get_by_role("link", name="Referrals", exact=True).click()
    expect(page.get_by_test_id("my-referrals")).to_contain_text("Awaiting triage")
    # The one deliberate mistake above answered 400, which the browser logs; nothing else.
    assert [e for e in errors if "status of 400" not in e] == [], errors
