"""Template filters and Jinja's settings. The values every page needs (the user's hubs, the
service menu) come from the shell blueprint, hub.blueprints.main, which may ask
hub.permissions."""

import secrets
from datetime import date

from flask import Flask

from hub.core.timeutil import format_local, long_date


def init_app(app: Flask) -> None:
    # A one-time token for a form that adds a record: sent twice, it adds one (core.locking).
    app.jinja_env.globals["new_form_token"] = lambda: secrets.token_hex(16)
    app.jinja_env.filters["local_time"] = format_local
    app.jinja_env.filters["local_date"] = lambda v: format_local(v, "%-d %B %Y")
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["long_date"] = long_date
    # For date and time inputs, filled with a stored UTC time as the London clock shows it.
    app.jinja_env.filters["local_date_iso"] = lambda v: format_local(v, "%Y-%m-%d")
    app.jinja_env.filters["local_hhmm"] = lambda v: format_local(v, "%H:%M")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def day(value) -> str:
    """A date (or its ISO text, as figures kept in JSON hold it) as '4 December 2026'."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.day} {value:%B %Y}"
