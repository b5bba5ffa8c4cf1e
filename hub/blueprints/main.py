"""The shell: the home page, the health check, and what every page shows (the service menu,
the user's hubs)."""

from datetime import timedelta
from functools import cache

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from hub import permissions
from hub.core.database import commit_reads
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import SchedulerHeartbeat
from hub.permissions import requires
from hub.today import sections as today

bp = Blueprint("main", __name__)


@bp.app_context_processor
def _shell() -> dict:
    hubs = permissions.hubs_of(current_user) if current_user.is_authenticated else []
    return {"user_hubs": hubs, "permissions": permissions, "service_name": "Focus Hub"}


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
            "victims.case_tab",
            "victims.add",
            "victims.edit",
            "victims.record_contact",
            "victims.schedule",
            "victims.told",
            "victims.satisfaction",
            "victims.letter",
            "victims.email_letter",
        ),
    ),
    ("board.my_work_home", "My work", _in_a_hub, ("board.my_work_home", "board.my_work")),
    (
        "victims.mine_home",
        "My victims",
        lambda user: bool(permissions.spoc_hubs(user)),
        ("victims.mine_home", "victims.mine"),
    ),
    ("cases.notifications", "Notifications", _in_a_hub, ("cases.notifications",)),
    (
        "conferences.home",
        "Conferences",
        _in_a_hub,
        ("conferences.", "conference_", "case_reviews."),
    ),
    ("lessons.home", "Lessons learned", _in_a_hub, ("lessons.",)),
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


@cache
def _menu_href(script_root: str, endpoint: str) -> str:
    """A menu item's address, built once per mount point: building it is most of the menu's
    cost, and every page draws the menu."""
    return url_for(endpoint)


def _matches(here: str, patterns) -> bool:
    return any(here.startswith(p) if p.endswith((".", "_")) else here == p for p in patterns)


@bp.app_template_global()
def navigation_items() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    here = request.endpoint or ""
    user = permissions.signed_in()  # asked a dozen times: not through the proxy
    shown = [m for m in MENU if m[2](user)]
    exact = any(here in patterns for _, _, _, patterns in shown)
    items = []
    for endpoint, label, _, patterns in shown:
        active = here in patterns if exact else _matches(here, patterns)
        items.append(
            {"href": _menu_href(request.script_root, endpoint), "text": label, "active": active}
        )
    return items


@bp.get("/")
@requires("signed_in")
def home():
    roles_by_hub = {}
    for r in current_user.roles:
        roles_by_hub.setdefault(r.hub_id, []).append(r.label)
    html = render_template(
        "home.html", roles_by_hub=roles_by_hub, hubs_today=today.today_for(current_user, utcnow())
    )
    commit_reads()  # the lists shown are audited by the areas that own them
    return html


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
