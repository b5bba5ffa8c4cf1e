"""The dashboard and the hotspot map in Debian's chromium: no console errors, every chart's
table holds the same numbers as the chart, the bars are reachable by keyboard, and axe finds
no serious or critical accessibility violation."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from axe_playwright_python.sync_playwright import Axe

from hub.analytics import area, police_uk
from hub.extensions import db
from hub.models import ContextIncident, Incident, Referral
from referrals.normalise import grid_cell
from tests.support.factories import PASSWORD, make_agency, make_hub, make_isa, make_user

SLUG = "browser-analytics"
PERIOD = "from=2026-06&to=2026-11"


@pytest.fixture(scope="module")
def figures(live_server):
    with live_server.app.app_context():
        hub = make_hub(SLUG, "Browser Analytics Hub")
        council = make_agency("Browser Analytics Council", "council", hub)
        make_isa(hub, [council], ["identity", "incident"], reference="BROWSER-AN-ISA")
        analyst = make_user("analyst@browser-analytics.example", council, ("analyst", hub))
        area.set_places(hub, ["City of London"])
        for n in range(24):
            at = datetime(2026, 6 + n % 6, 1 + n, 8 + n % 10, 15, tzinfo=UTC)
            referral = Referral(
                hub_id=hub.id,
                agency_id=council.id,
                user_id=analyst.id,
                reference=f"BA-{n}",
                status="submitted",
                category="incident",
                origin_agency_id=council.id,
                band=("critical", "high", "medium", "standard")[n % 4],
                asb_category=("personal", "nuisance", "environmental")[n % 3],
                submitted_at=at,
                conference_due_by=at,
            )
            db.session.add(referral)
            db.session.flush()
            lat, lon = 51.515 + (n % 5) * 0.001, -0.09 + (n % 4) * 0.001
            db.session.add(
                Incident(
                    hub_id=hub.id,
                    occurred_on=at.date(),
                    referral_id=referral.id,
                    cell=grid_cell(lat, lon),
                    place_key=f"place {n % 3}",
                )
            )
        for n in range(30):
            lat, lon = 51.516 + (n % 6) * 0.0007, -0.092 + (n % 5) * 0.0009
            db.session.add(
                ContextIncident(
                    hub_id=hub.id,
                    source_key=f"b{n}",
                    month=date(2026, 6 + n % 5, 1),
                    month_index=2026 * 12 + 5 + n % 5,
                    crime_type="Anti-social behaviour",
                    is_asb=True,
                    location=f"On or near Street {n % 6}",
                    lat=lat,
                    lon=lon,
                    cell=grid_cell(lat, lon),
                )
            )
        db.session.flush()
        police_uk.recount(hub.id, {date(2026, m, 1) for m in range(6, 11)})
        db.session.commit()
        db.session.remove()
    return SimpleNamespace(email="analyst@browser-analytics.example")


def _sign_in(page, base, email):
    page.goto(base + "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Continue").click()  # the email first
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/", timeout=60_000)


def _figures_of(locator) -> dict:
    return {
        (e.get_attribute("data-category"), e.get_attribute("data-series")): int(
            e.get_attribute("data-value")
        )
        for e in locator.all()
    }


def test_dashboard_charts_match_their_tables_and_pass_axe(live_server, figures, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, live_server.url, figures.email)
    page.goto(f"{live_server.url}/hubs/{SLUG}/analytics?{PERIOD}")
    assert page.get_by_test_id("headline-referrals").inner_text() == "24"
    charts = page.locator("svg[data-chart]")
    assert charts.count() >= 5
    for chart_id in [c.get_attribute("data-chart") for c in charts.all()]:
        drawn = _figures_of(page.locator(f"svg[data-chart='{chart_id}'] rect[data-value]"))
        table = _figures_of(page.locator(f"table[data-chart-table='{chart_id}'] td[data-value]"))
        # The chart draws every non-zero figure; the table holds them all, zeros too.
        assert drawn == {k: v for k, v in table.items() if v or chart_id == "incidents-by-time"}
        assert sum(table.values()) > 0, chart_id
    # Keyboard: Tab reaches a bar, which says its figures in words.
    bar = page.locator("svg[data-chart='referrals-by-band'] g.hub-chart__column").first
    for _ in range(60):
        page.keyboard.press("Tab")
        if bar.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached a bar of the chart")
    assert "Jun 2026:" in bar.get_attribute("aria-label")
    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], results.generate_report()
    assert errors == [], errors


def test_the_hotspot_map_draws_the_same_cells_as_the_list(live_server, figures, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _sign_in(page, live_server.url, figures.email)
    page.goto(f"{live_server.url}/hubs/{SLUG}/analytics/hotspots?{PERIOD}")
    page.wait_for_selector("#hotspot-map[data-ready='true']", timeout=15_000)
    markers = page.locator("#hotspot-map path.leaflet-interactive").count()
    cells = page.evaluate(
        "fetch(document.getElementById('hotspot-map').dataset.geojson).then(r => r.json())"
    )
    drawn = sum(
        1
        for f in cells["features"]
        for k in ("incidents", "open_cases", "police_uk")
        if f["properties"][k]
    )
    assert markers == drawn > 0
    assert page.get_by_test_id("ranked").locator("tbody tr").count() > 0
    assert page.get_by_test_id("grid").is_visible()
    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], results.generate_report()
    assert errors == [], errors
