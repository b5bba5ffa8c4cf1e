"""The home page and the health check."""

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub.extensions import db
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
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
