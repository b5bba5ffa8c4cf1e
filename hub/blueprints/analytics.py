"""Analytics: the hub's dashboard, hotspots, repeats, the powers return, monthly reports and
police.uk imports. Thin: parse the filters, authorise, call hub.analytics, render."""

import json
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from hub import audit
from hub import permissions as perm
from hub.analytics import area, dashboard, hotspots, periods, police_uk, powers, repeats, reports
from hub.analytics.charts import HEAT
from hub.core.forms import FormErrors, attempt
from hub.core.security import CSP
from hub.core.spreadsheet import to_csv
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import Hub, MonthlyReport, PoliceUkImport, PoliceUkUpload, SchedulerHeartbeat
from referrals.matching import WINDOWS

bp = Blueprint("analytics", __name__)


def _filters():
    today = utcnow().astimezone(LONDON).date()
    filters, problems = periods.parse(request.args, today)
    return filters, FormErrors(problems), today


def _csv(name: str, header, rows, hub: Hub, what: str) -> Response:
    audit.record(
        "analytics_exported",
        user=current_user,
        hub=hub,
        target_type="hub",
        target_id=hub.id,
        details={
            "what": what,
            "rows": len(rows),
            "filters": [audit.as_code(f"{k}:{v}", 40) for k, v in request.args.items()],
        },
    )
    db.session.commit()
    return Response(
        to_csv(header, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{hub.slug}-{name}.csv"'},
    )


@bp.get("/analytics")
@perm.requires("analytics")
def home():
    hubs = perm.analytics_hubs(current_user)
    if len(hubs) == 1:
        return redirect(url_for("analytics.show", slug=hubs[0].slug))
    return render_template("analytics/home.html", hubs=hubs)


@bp.get("/hubs/<slug>/analytics")
@perm.requires("see_analytics")
def show(hub: Hub):
    filters, errors, today = _filters()
    board = dashboard.build(hub, filters, utcnow(), today)
    body = render_template(
        "analytics/dashboard.html",
        hub=hub,
        board=board,
        filters=filters,
        errors=errors,
        categories=periods.CATEGORIES,
        form=request.args,
        can_import=perm.can_import_context(current_user, hub),
    )
    return body, (400 if errors else 200)


@bp.get("/hubs/<slug>/analytics/charts/<chart_id>.csv")
@perm.requires("see_analytics")
def chart_csv(hub: Hub, chart_id: str):
    if chart_id not in dashboard.CHART_IDS:
        abort(404)
    filters, _errors, today = _filters()
    chart = dashboard.build(hub, filters, utcnow(), today).charts[chart_id]
    return _csv(chart_id, chart.header(), chart.rows(), hub, chart_id)


# -- hotspots -------------------------------------------------------------------------------------


def _map_csp() -> str:
    """The page's policy, letting map tiles load from the configured tile server only."""
    tiles = current_app.config.get("MAP_TILE_URL") or ""
    if not tiles:
        return CSP
    # Leaflet's "{s}" is a subdomain (a, b, c): allow them all with a wildcard.
    parts = urlsplit(tiles.replace("{s}", "a"))
    origin = f"{parts.scheme}://{parts.netloc}".replace("://a.", "://*.")
    return CSP.replace("img-src 'self' data:", f"img-src 'self' data: {origin}")


@bp.get("/hubs/<slug>/analytics/hotspots")
@perm.requires("see_analytics")
def hotspots_page(hub: Hub):
    filters, errors, _today = _filters()
    found = hotspots.cells(hub, filters)
    body = render_template(
        "analytics/hotspots.html",
        hub=hub,
        filters=filters,
        errors=errors,
        form=request.args,
        categories=periods.CATEGORIES,
        ranked=hotspots.ranked(found),
        grid=hotspots.grid(found),
        layers=hotspots.LAYERS,
        heat=HEAT,
        cells=len(found),
        tile_url=current_app.config.get("MAP_TILE_URL") or "",
        tile_attribution=current_app.config.get("MAP_TILE_ATTRIBUTION") or "",
    )
    response = Response(body, status=400 if errors else 200)
    response.headers["Content-Security-Policy"] = _map_csp()
    return response


@bp.get("/hubs/<slug>/analytics/hotspots.json")
@perm.requires("see_analytics")
def hotspots_json(hub: Hub):
    filters, _errors, _today = _filters()
    return Response(
        json.dumps(hotspots.geojson(hotspots.cells(hub, filters))),
        mimetype="application/geo+json",
    )


@bp.get("/hubs/<slug>/analytics/hotspots.csv")
@perm.requires("see_analytics")
def hotspots_csv(hub: Hub):
    filters, _errors, _today = _filters()
    header, rows = hotspots.csv_rows(hotspots.cells(hub, filters))
    return _csv("hotspots", header, rows, hub, "hotspots")


# -- repeats --------------------------------------------------------------------------------------


def _days() -> int:
    try:
        days = int(request.args.get("days", "90"))
    except ValueError:
        days = 90
    return days if days in WINDOWS else 90


@bp.get("/hubs/<slug>/analytics/repeats")
@perm.requires("see_analytics")
def repeats_page(hub: Hub):
    today = utcnow().astimezone(LONDON).date()
    days = _days()
    lists = {k: repeats.top(current_user, hub, k, days, today) for k in repeats.KINDS}
    db.session.commit()  # the audit of any names shown
    return render_template(
        "analytics/repeats.html",
        hub=hub,
        lists=lists,
        kinds=repeats.KINDS,
        days=days,
        windows=WINDOWS,
    )


@bp.get("/hubs/<slug>/analytics/repeats.csv")
@perm.requires("see_analytics")
def repeats_csv(hub: Hub):
    today = utcnow().astimezone(LONDON).date()
    days = _days()
    lists = {k: repeats.top(None, hub, k, days, today) for k in repeats.KINDS}
    header, rows = repeats.csv_rows(lists)
    return _csv(f"repeats-{days}-days", header, rows, hub, "repeats")


# -- the powers return ----------------------------------------------------------------------------


def _powers(hub: Hub):
    filters, errors, _today = _filters()
    rows = powers.powers_return(hub, filters)
    return hub, filters, errors, rows


@bp.get("/hubs/<slug>/analytics/powers")
@perm.requires("see_analytics")
def powers_page(hub: Hub):
    hub, filters, errors, rows = _powers(hub)
    body = render_template(
        "analytics/powers.html",
        hub=hub,
        filters=filters,
        errors=errors,
        form=request.args,
        categories={},
        header=powers.header(),
        table=powers.table(rows),
        totals=powers.totals(rows),
    )
    return body, (400 if errors else 200)


@bp.get("/hubs/<slug>/analytics/powers/print")
@perm.requires("see_analytics")
def powers_print(hub: Hub):
    hub, filters, _errors, rows = _powers(hub)
    return render_template(
        "analytics/powers_print.html",
        hub=hub,
        filters=filters,
        header=powers.header(),
        table=powers.table(rows),
        totals=powers.totals(rows),
        printed_at=utcnow(),
    )


@bp.get("/hubs/<slug>/analytics/powers.csv")
@perm.requires("see_analytics")
def powers_csv(hub: Hub):
    hub, filters, _errors, rows = _powers(hub)
    return _csv(
        f"powers-return-{filters.start:%Y-%m}-to-{filters.end:%Y-%m}",
        powers.header(),
        powers.table(rows),
        hub,
        "powers_return",
    )


# -- monthly reports ------------------------------------------------------------------------------


def _report(hub: Hub, month: str) -> MonthlyReport:
    report = reports.find(hub, month)
    if report is None:
        abort(404)
    return report


@bp.get("/hubs/<slug>/analytics/reports")
@perm.requires("see_analytics")
def reports_index(hub: Hub):
    return render_template("analytics/reports.html", hub=hub, reports=reports.filed(hub))


@bp.get("/hubs/<slug>/analytics/reports/<month>")
@perm.requires("see_analytics")
def report_show(hub: Hub, month: str):
    report = _report(hub, month)
    return render_template(
        "analytics/report_print.html",
        hub=hub,
        report=report,
        view=reports.view(report),
        printed_at=utcnow(),
    )


@bp.get("/hubs/<slug>/analytics/reports/<month>.pdf")
@perm.requires("see_analytics")
def report_pdf(hub: Hub, month: str):
    report = _report(hub, month)
    audit.record(
        "monthly_report_downloaded",
        user=current_user,
        hub=hub,
        target=report,
        details={"starts_on": audit.as_code(month, 10)},
        commit=True,
    )
    return Response(
        report.pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{hub.slug}-report-{month}.pdf"'},
    )


# -- police.uk imports ----------------------------------------------------------------------------


def _imports_page(hub: Hub, errors=None, status=200, form=None):
    beat = db.session.get(SchedulerHeartbeat, 1)
    body = render_template(
        "analytics/imports.html",
        hub=hub,
        imports=police_uk.recent(hub),
        places=area.places_of(hub),
        errors=errors or FormErrors(),
        form=form or {},
        scheduler_quiet=beat is None or (utcnow() - beat.beat_at).total_seconds() > 180,
        max_mb=current_app.config["POLICE_UK_UPLOAD_MAX_BYTES"] // (1024 * 1024),
    )
    return body, status


@bp.get("/hubs/<slug>/analytics/imports")
@perm.requires("import_context")
def imports(hub: Hub):
    return _imports_page(hub)


@bp.post("/hubs/<slug>/analytics/area")
@perm.requires("import_context")
def set_area(hub: Hub):
    saved = attempt(
        lambda: area.set_places(
            hub, area.parse_places(request.form.get("places", "")), current_user
        )
    )
    if not saved:
        return _imports_page(hub, saved.errors, 400, dict(request.form))
    flash("The hub's area is saved", "success")
    return redirect(url_for("analytics.imports", slug=hub.slug))


@bp.post("/hubs/<slug>/analytics/imports")
@perm.requires("import_context")
def upload(hub: Hub):
    files = [f for f in request.files.getlist("files") if f and f.filename]
    accepted = attempt(
        police_uk.accept_upload,
        hub,
        [(f.filename, f.read()) for f in files],
        all_crimes=request.form.get("all_crimes") == "yes",
        user=current_user,
    )
    if not accepted:
        return _imports_page(hub, accepted.errors, 400, dict(request.form))
    return redirect(url_for("analytics.import_show", slug=hub.slug, import_id=accepted.result.id))


upload.max_content_length = "POLICE_UK_UPLOAD_MAX_BYTES"  # see hub.security


def _job(hub: Hub, import_id: int) -> PoliceUkImport:
    return perm.record_or_deny(
        PoliceUkImport,
        import_id,
        lambda user, job: job.hub_id == hub.id,
        "police_uk_import",
        hub=hub,
    )


@bp.get("/hubs/<slug>/analytics/imports/<int:import_id>")
@perm.requires("import_context")
def import_show(hub: Hub, import_id: int):
    job = _job(hub, import_id)
    return render_template(
        "analytics/import.html",
        hub=hub,
        job=job,
        skipped=police_uk.skip_lines(job),
        uploads=db.session.execute(
            select(PoliceUkUpload.filename, PoliceUkUpload.size).where(
                PoliceUkUpload.import_id == job.id
            )
        ).all(),
    )


@bp.get("/hubs/<slug>/analytics/imports/<int:import_id>/progress")
@perm.requires("import_context", polled=True)
def import_progress(hub: Hub, import_id: int):
    """The progress fragment htmx polls; once the import has finished it answers 286, which
    tells htmx to stop polling."""
    job = _job(hub, import_id)
    body = render_template(
        "analytics/_import_progress.html", hub=hub, job=job, skipped=police_uk.skip_lines(job)
    )
    response = Response(body, status=286 if job.finished else 200)
    response.headers["Vary"] = "HX-Request"
    return response
