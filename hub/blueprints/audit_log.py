"""The audit viewer for a hub's managers: filter, page through, export as CSV (itself audited)."""

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from hub import audit
from hub import permissions as perm
from hub.audit import reading
from hub.core.forms import FormErrors, attempt
from hub.models import Hub

bp = Blueprint("audit_log", __name__)


def _refused(hub: Hub, errors: FormErrors):
    form = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "audit/index.html",
        hub=hub,
        page=None,
        form=form,
        errors=errors,
        choices=reading.choices(hub),
    ), 400


@bp.get("/hubs/<slug>/audit")
@perm.requires("view_audit")
def view(hub: Hub):
    form = {k: v for k, v in request.args.items() if k != "page"}
    parsed = attempt(reading.parse_filters, request.args, commit=False)
    if not parsed:
        return _refused(hub, parsed.errors)
    filters = parsed.result
    page = reading.page_of(hub, filters)
    html = render_template(
        "audit/index.html",
        hub=hub,
        page=page,
        form=form,
        errors=FormErrors(),
        choices=reading.choices(hub),
    )
    # Recorded after rendering: committing first would expire every entry on the page.
    audit.record(
        "audit_log_viewed",
        user=current_user,
        hub=hub,
        details={"filters": sorted(filters)},
        commit=True,
    )
    return html


@bp.get("/hubs/<slug>/audit.csv")
@perm.requires("view_audit")
def export(hub: Hub):
    parsed = attempt(reading.parse_filters, request.args, commit=False)
    if not parsed:
        return _refused(hub, parsed.errors)
    filters = parsed.result
    filters.pop("page", None)
    body, count = reading.export_csv(hub, filters)
    audit.record(
        "audit_log_exported",
        user=current_user,
        hub=hub,
        details={"filters": sorted(filters), "rows": count},
        commit=True,
    )
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{hub.slug}.csv"'},
    )
