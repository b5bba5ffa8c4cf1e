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


# The service menu: (endpoint, label, who sees it, where it is the current item). A pattern
# ending in "." or "_" is a prefix ("cases." is every case page); an exact match wins.
def _in_a_hub(user) -> bool:
    return bool(permissions.hubs_of(user))


MENU = [
    ("main.home", "Home", lambda user: True, ("main.home",)),
    (
        "referrals.index",
        "Referrals",
        lambda user: bool(permissions.referral_hubs(user)),
        ("referrals.",),
    ),
    ("triage.queue", "Triage", lambda user: bool(permissions.triage_hub_ids(user)), ("triage.",)),
    (
        "board.home",
        "Planner board",
        _in_a_hub,
        (
            "board.home",
            "board.show",
            "board.search",
            "cases.",
            "sharing.members",
            "sharing.add_",
            "sharing.remove_",
            "sharing.disclosures",
        ),
    ),
    ("board.my_work_home", "My work", _in_a_hub, ("board.my_work_home", "board.my_work")),
    ("cases.notifications", "Notifications", _in_a_hub, ("cases.notifications",)),
    (
        "conferences.home",
        "Conferences",
        _in_a_hub,
        ("conferences.", "conference_", "case_reviews."),
    ),
    (
        "analytics.home",
        "Analytics",
        lambda user: bool(permissions.analytics_hubs(user)),
        ("analytics.",),
    ),
    (
        "admin.index",
        "Administration",
        permissions.can_administer_users,
        ("admin.", "sharing.isa_", "audit_log."),
    ),
    ("account.show", "Your account", lambda user: True, ("account.",)),
]


def _matches(here: str, patterns) -> bool:
    return any(here.startswith(p) if p.endswith((".", "_")) else here == p for p in patterns)


def navigation_items() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    here = request.endpoint or ""
    shown = [m for m in MENU if m[2](current_user)]
    exact = any(here in patterns for _, _, _, patterns in shown)
    items = []
    for endpoint, label, _, patterns in shown:
        active = here in patterns if exact else _matches(here, patterns)
        items.append({"href": url_for(endpoint), "text": label, "active": active})
    return items
