"""Template filters and the values every page needs."""

from flask import Flask
from flask_login import current_user

from hub import permissions
from hub.timeutil import format_local


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = format_local
    app.jinja_env.filters["local_date"] = lambda v: format_local(v, "%-d %B %Y")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _shell():
        hubs = permissions.hubs_of(current_user) if current_user.is_authenticated else []
        return {
            "user_hubs": hubs,
            "permissions": permissions,
            "service_name": "Focus Hub",
        }
