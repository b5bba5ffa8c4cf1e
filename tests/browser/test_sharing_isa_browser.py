"""A hub manager adds an information-sharing agreement in a real browser, by its labels."""

from playwright.sync_api import expect

from tests.support.factories import PASSWORD


def test_hub_manager_adds_an_agreement(live_server, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email address").fill(live_server.world.email["hub_manager"])
    page.get_by_role("button", name="Continue").click()  # the email first
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/admin/")
    page.get_by_role("link", name="Copeland Focus Hub: information-sharing agreements").click()
    page.get_by_role("link", name="Add an agreement").click()
    page.get_by_label("Reference").fill("BROWSER-ISA")
    page.get_by_label("Title").fill("Browser agreement")
    page.get_by_label("Purpose of the sharing").fill("Reducing antisocial behaviour")
    page.get_by_label("Legal basis").fill("s115 Crime and Disorder Act 1998")
    page.get_by_label("In force").check()
    start = page.get_by_role("group", name="Start date")
    start.get_by_label("Day").fill("1")
    start.get_by_label("Month").fill("1")
    start.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Save agreement").click()
    # No category chosen: the error summary takes focus and links to the field.
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose at least one data category")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Reference")).to_have_value("BROWSER-ISA")
    page.get_by_label("Incident").check()
    page.get_by_label("Cumbria Constabulary has signed").check()
    page.get_by_label("Signing officer for Cumbria Constabulary").fill("A. Inspector")
    signed = page.get_by_role("group", name="Date Cumbria Constabulary signed")
    signed.get_by_label("Day").fill("2")
    signed.get_by_label("Month").fill("1")
    signed.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Save agreement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("BROWSER-ISA")
    expect(page.locator("body")).to_contain_text("saved as version 1")
    expect(page.locator("body")).to_contain_text("A. Inspector")
    # The refused save is answered 400 by design; nothing else may fail.
    assert [e for e in errors if "status of 400" not in e] == [], errors
