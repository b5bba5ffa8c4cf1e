"""A hub manager changes a retention period in a real browser, by its labels: a wrong value
is named in the error summary (which takes focus) and at its field; the page has no serious
accessibility problem."""

from playwright.sync_api import expect

from tests.browser.test_accessibility import axe_problems, sign_in


def test_hub_manager_changes_a_retention_period(live_server, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server.url, live_server.world.email["hub_manager"])
    page.goto(live_server.url + "/admin/hubs/copeland")
    page.get_by_role("link", name="Retention", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Retention")
    assert axe_problems(page) == []
    health = page.get_by_label("Health", exact=True)
    expect(health).to_have_value("72")
    health.fill("three years")
    page.get_by_role("button", name="Save the periods").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter the months as a whole number, like 24")
    expect(page.locator("#health-error")).to_contain_text("whole number")
    expect(health).to_have_value("three years")
    assert axe_problems(page) == []
    summary.get_by_role("link").click()
    expect(health).to_be_focused()
    health.fill("36")
    page.get_by_role("button", name="Save the periods").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The periods are saved")
    periods = page.get_by_test_id("periods")
    expect(periods.get_by_role("row", name="Health")).to_contain_text("36 months (set by the hub)")
    # Back to the default, so the live hub is as the other browser tests expect it.
    page.get_by_label("Health", exact=True).fill("72")
    page.get_by_role("button", name="Save the periods").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The periods are saved")
    # The refused save is answered 400 by design; nothing else may fail.
    assert [e for e in errors if "status of 400" not in e] == [], errors
