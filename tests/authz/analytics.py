"""Analytics: figures (counts, no names) for the hub's analysts, coordinators, hub managers
and system administrators; police.uk imports and the hub's area for analysts, hub managers and
system administrators. Everyone else gets the same 404 as a missing page."""

from datetime import date

from hub.analytics import reports
from hub.extensions import db
from hub.models import PoliceUkImport
from tests.authz import Route, expect

FIGURES = expect(404, anonymous=302, analyst=200, coordinator=200, hub_manager=200, sysadmin=200)
IMPORTS = expect(404, anonymous=302, analyst=200, hub_manager=200, sysadmin=200)
IMPORT_FORM = expect(404, anonymous=302, analyst=400, hub_manager=400, sysadmin=400)
AREA = expect(404, anonymous=302, analyst=302, hub_manager=302, sysadmin=302)
HOME = expect(
    404, anonymous=302, analyst=302, coordinator=302, hub_manager=302, other_hub=302, sysadmin=200
)
OTHER_HUB = expect(404, anonymous=302, other_hub=200, sysadmin=200)


def setup(m) -> dict:
    reports.file_report(m.hub, date(2026, 11, 1))
    job = PoliceUkImport(hub_id=m.hub.id, source="command", status="done", skipped={}, files=[])
    db.session.add(job)
    db.session.flush()
    return {"import_id": job.id}


def _figures(endpoint: str, path: str, expected=FIGURES) -> Route:
    return Route(endpoint, "GET", "/hubs/{hub_slug}/analytics" + path, expected)


ROUTES = [
    Route("analytics.home", "GET", "/analytics", HOME),
    _figures("analytics.show", ""),
    Route("analytics.show", "GET", "/hubs/{other_hub_slug}/analytics", OTHER_HUB),
    _figures("analytics.chart_csv", "/charts/referrals-by-band.csv"),
    _figures("analytics.hotspots_page", "/hotspots"),
    _figures("analytics.hotspots_json", "/hotspots.json"),
    _figures("analytics.hotspots_csv", "/hotspots.csv"),
    _figures("analytics.repeats_page", "/repeats"),
    _figures("analytics.repeats_csv", "/repeats.csv"),
    _figures("analytics.powers_page", "/powers"),
    _figures("analytics.powers_print", "/powers/print"),
    _figures("analytics.powers_csv", "/powers.csv"),
    _figures("analytics.reports_index", "/reports"),
    _figures("analytics.report_show", "/reports/2026-11"),
    _figures("analytics.report_pdf", "/reports/2026-11.pdf"),
    _figures("analytics.imports", "/imports", IMPORTS),
    _figures("analytics.import_show", "/imports/{import_id}", IMPORTS),
    Route(
        "analytics.import_progress",
        "GET",
        "/hubs/{hub_slug}/analytics/imports/{import_id}/progress",
        expect(404, anonymous=302, analyst=286, hub_manager=286, sysadmin=286),
    ),
    Route("analytics.upload", "POST", "/hubs/{hub_slug}/analytics/imports", IMPORT_FORM, data={}),
    Route(
        "analytics.set_area",
        "POST",
        "/hubs/{hub_slug}/analytics/area",
        AREA,
        data={"places": "Matrix"},
    ),
]
