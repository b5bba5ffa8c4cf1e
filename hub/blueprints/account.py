"""A person's own page: their details, roles and personal API tokens."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from hub import accounts
from hub.core.forms import FormErrors
from hub.extensions import db
from hub.models import ApiToken
from hub.permissions import deny, requires

bp = Blueprint("account", __name__, url_prefix="/account")


def _tokens():
    return (
        db.session.execute(
            select(ApiToken)
            .where(ApiToken.user_id == current_user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
        .scalars()
        .all()
    )


@bp.get("/")
@requires("signed_in")
def show():
    return render_template("account/show.html", tokens=_tokens(), errors=FormErrors())


@bp.post("/tokens")
@requires("signed_in")
def create_token():
    name = request.form.get("name", "").strip()
    if not name or len(name) > 100:
        errors = FormErrors({"name": ["Enter a name for the token, 100 characters or fewer"]})
        return render_template("account/show.html", tokens=_tokens(), errors=errors), 400
    token, _row = accounts.issue_token(current_user, name)
    db.session.commit()
    # Shown once, on this response only; it is not stored anywhere in a form we can show again.
    return render_template("account/token_created.html", token=token, name=name)


@bp.post("/tokens/<int:token_id>/revoke")
@requires("signed_in")
def revoke_token(token_id: int):
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != current_user.id:
        deny("api_token", target_type="api_token", target_id=token_id)
    accounts.revoke_token(row, actor=current_user)
    db.session.commit()
    flash(
        f"Token “{row.name}” is revoked. Anything using it can no longer reach the hub.", "success"
    )
    return redirect(url_for("account.show"))
