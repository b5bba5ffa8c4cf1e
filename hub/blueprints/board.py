"""The planner board of every case in a hub, search, and "my work"."""

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from hub import permissions as perm
from hub.casework import board as service
from hub.extensions import db, htmx
from hub.models import Band, Hub, Stage

bp = Blueprint("board", __name__)


@bp.get("/board")
@perm.requires("in_a_hub")
def home():
    return redirect(url_for("board.show", slug=perm.hubs_of(current_user)[0].slug))


@bp.get("/my-work")
@perm.requires("in_a_hub")
def my_work_home():
    return redirect(url_for("board.my_work", slug=perm.hubs_of(current_user)[0].slug))


@bp.get("/hubs/<slug>/board")
@perm.requires("hub_member")
def show(hub: Hub):
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
@perm.requires("hub_member")
def search(hub: Hub):
    text = request.args.get("q", "")
    results = service.search(current_user, hub, text)
    body = render_template("board/search.html", hub=hub, q=text, results=results)
    db.session.commit()  # the read audit entries for notes shown
    return body


@bp.get("/hubs/<slug>/my-work")
@perm.requires("hub_member")
def my_work(hub: Hub):
    return render_template("board/my_work.html", hub=hub, **service.my_work(current_user, hub))
