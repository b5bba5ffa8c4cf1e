"""A person signs in through a real browser and reaches the home page."""

import re

from playwright.sync_api import expect

from tests.support.factories import PASSWORD


def test_sign_in_and_reach_home(live_server, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/")
    assert page.url.startswith(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill(live_server.world.email["coordinator"])
    page.get_by_role("button", name="Continue").click()  # the email first
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello,")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("Cumbria Constabulary")
    # GOV.UK Frontend's JavaScript ran, from our own server, under our CSP.
    expect(page.locator("body")).to_have_class(re.compile("govuk-frontend-supported"))
    assert errors == [], errors


def test_a_wrong_password_shows_the_error_summary_with_focus(live_server, page):
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill(live_server.world.email["coordinator"])
    page.get_by_role("button", name="Continue").click()  # the email first
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter a correct email address and password")
    # GOV.UK's error summary takes focus so screen readers announce it.
    expect(summary).to_be_focused()
