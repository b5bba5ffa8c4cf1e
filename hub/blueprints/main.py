"""The home page and the health check."""

from datetime import timedelta

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import SchedulerHeartbeat
from hub.permissions import requires

bp = Blueprint("main", __name__)


@bp.get("/")
@requires("signed_in")
def home():
    roles_by_hub = {}
    for r in current_user.roles:
        roles_by_hub.setdefault(r.hub_id, []).append(r.label)
    return render_template("home.html", roles_by_hub=roles_by_hub)


@bp.get("/healthz")
@requires("public")
def healthz():
    try:
        beat = db.session.get(SchedulerHeartbeat, 1)
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    # The clock is reported, not failed on: the web still serves while it is stopped.
    scheduler = "not running"
    if beat is not None:
        scheduler = "ok" if utcnow() - beat.beat_at < timedelta(minutes=5) else "stale"
    return jsonify(status="ok", database="ok", scheduler=scheduler)
