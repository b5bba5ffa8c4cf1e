"""The audit viewer for a hub's managers: filter, page through, export as CSV (itself audited)."""

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select

from hub import audit
from hub import permissions as perm
from hub.audit import reading
from hub.core.forms import FormErrors
from hub.extensions import db
from hub.models import Hub

bp = Blueprint("audit_log", __name__)


def _hub_or_deny(slug: str) -> Hub:
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None or not perm.can_view_audit(current_user, hub):
        perm.deny("audit_log", target_type="hub", target_id=slug)
    return hub


@bp.get("/hubs/<slug>/audit")
@perm.requires("signed_in")
def view(slug: str):
    hub = _hub_or_deny(slug)
    form = {k: v for k, v in request.args.items() if k != "page"}
    try:
        filters = reading.parse_filters(request.args)
    except ValidationError as exc:
        return render_template(
            "audit/index.html",
            hub=hub,
            page=None,
            form=form,
            errors=FormErrors(exc.messages),
            choices=reading.choices(hub),
        ), 400
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
@perm.requires("signed_in")
def export(slug: str):
    hub = _hub_or_deny(slug)
    try:
        filters = reading.parse_filters(request.args)
    except ValidationError as exc:
        form = {k: v for k, v in request.args.items() if k != "page"}
        return render_template(
            "audit/index.html",
            hub=hub,
            page=None,
            form=form,
            errors=FormErrors(exc.messages),
            choices=reading.choices(hub),
        ), 400
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
