"""Template filters and the values every page needs."""

from flask import Flask, request, url_for
from flask_login import current_user

from hub import permissions
from hub.timeutil import format_local


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = format_local
    app.jinja_env.filters["local_date"] = lambda v: format_local(v, "%-d %B %Y")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    app.jinja_env.globals["navigation_items"] = navigation_items

    @app.context_processor
    def _shell():
        hubs = permissions.hubs_of(current_user) if current_user.is_authenticated else []
        return {
            "user_hubs": hubs,
            "permissions": permissions,
            "service_name": "Focus Hub",
        }


# The service menu: (endpoint, label, who sees it). An item is active on its own endpoint and
# on every page of the same blueprint, except Home.
MENU = [
    ("main.home", "Home", lambda user: True),
    ("referrals.index", "Referrals", lambda user: bool(permissions.referral_hubs(user))),
    ("triage.queue", "Triage", lambda user: bool(permissions.triage_hub_ids(user))),
    ("admin.index", "Administration", permissions.can_administer_users),
    ("account.show", "Your account", lambda user: True),
]


def navigation_items() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    here = request.endpoint or ""
    items = []
    for endpoint, label, shown in MENU:
        if not shown(current_user):
            continue
        same_area = endpoint != "main.home" and here.split(".")[0] == endpoint.split(".")[0]
        items.append(
            {"href": url_for(endpoint), "text": label, "active": here == endpoint or same_area}
        )
    return items
