"""The planner board of every case in a hub, search, and "my work"."""

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from hub import permissions as perm
from hub.casework import board as service
from hub.extensions import db, htmx
from hub.models import Band, Hub, Stage

bp = Blueprint("board", __name__)


def _hub_or_deny(slug: str) -> Hub:
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None or not perm.is_in_hub(current_user, hub):
        perm.deny("hub_board", target_type="hub", target_id=slug)
    return hub


def _first_hub_or_404():
    hubs = perm.hubs_of(current_user)
    if not hubs:
        perm.deny("hub_board", target_type="hub")
    return hubs[0]


@bp.get("/board")
@perm.requires("signed_in")
def home():
    return redirect(url_for("board.show", slug=_first_hub_or_404().slug))


@bp.get("/my-work")
@perm.requires("signed_in")
def my_work_home():
    return redirect(url_for("board.my_work", slug=_first_hub_or_404().slug))


@bp.get("/hubs/<slug>/board")
@perm.requires("signed_in")
def show(slug: str):
    hub = _hub_or_deny(slug)
    filters = service.parse_filters(request.args)
    result = service.board(current_user, hub, filters)
    ctx = {
        "hub": hub,
        "board": result,
        "filters": filters,
        "bands": list(Band),
        "stages": list(Stage),
        "agencies": list(hub.agencies),
        "query": request.query_string.decode()[:1000],
        "can_write": perm.role_allows(current_user, hub.id, perm.Action.WRITE),
    }
    # The self-refresh asks for the columns alone; everything else gets the whole page.
    partial = bool(htmx) and not htmx.history_restore_request
    template = "board/_columns.html" if partial else "board/show.html"
    response = make_response(render_template(template, partial=partial, **ctx))
    response.headers["Vary"] = "HX-Request"
    return response


@bp.get("/hubs/<slug>/search")
@perm.requires("signed_in")
def search(slug: str):
    hub = _hub_or_deny(slug)
    text = request.args.get("q", "")
    results = service.search(current_user, hub, text)
    body = render_template("board/search.html", hub=hub, q=text, results=results)
    db.session.commit()  # the read audit entries for notes shown
    return body


@bp.get("/hubs/<slug>/my-work")
@perm.requires("signed_in")
def my_work(slug: str):
    hub = _hub_or_deny(slug)
    return render_template("board/my_work.html", hub=hub, **service.my_work(current_user, hub))
