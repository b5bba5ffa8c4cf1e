"""Right of access: the data protection officer's search and export for one person."""

import json
from datetime import date

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from hub import permissions as perm
from hub.core.forms import FormErrors
from hub.extensions import db
from hub.models import Hub
from hub.sharing import subject_access

bp = Blueprint("subject_access", __name__)


def _date_of_birth(form) -> tuple[date | None, str | None]:
    parts = [form.get(f"dob-{p}", "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None, None
    try:
        day, month, year = (int(p) for p in parts)
        return date(year, month, day), None
    except ValueError:
        return None, "Date of birth must be a real date, like 2 3 1958"


@bp.get("/hubs/<slug>/subject-access")
@perm.requires("subject_access")
def search(hub: Hub):
    form = request.args
    errors, people = FormErrors(), None
    if "name" in form:
        dob, problem = _date_of_birth(form)
        if not form.get("name", "").strip():
            errors = FormErrors({"name": ["Enter the person's name"]})
        elif problem:
            errors = FormErrors({"dob": [problem]})
        else:
            people = subject_access.find_people(
                hub, form["name"], dob, form.get("postcode"), actor=current_user
            )
            db.session.commit()
    return render_template(
        "subject_access/search.html", hub=hub, form=form, errors=errors, people=people
    ), (400 if errors else 200)


@bp.post("/hubs/<slug>/subject-access/export")
@perm.requires("subject_access")
def export(hub: Hub):
    ids = [int(v) for v in request.form.getlist("person") if v.isdigit()]
    if not ids:
        errors = FormErrors({"person": ["Choose at least one record to export"]})
        return render_template(
            "subject_access/search.html", hub=hub, form={}, errors=errors, people=None
        ), 400
    document = subject_access.export_person(hub, ids, actor=current_user)
    db.session.commit()
    return Response(
        json.dumps(document, indent=2, default=str),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="subject-access-{hub.slug}.json"'},
    )
