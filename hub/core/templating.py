"""Template filters and Jinja's settings. The values every page needs (the user's hubs, the
service menu) come from the shell blueprint, hub.blueprints.main, which may ask
hub.permissions."""

from flask import Flask

from hub.core.timeutil import format_local


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = format_local
    app.jinja_env.filters["local_date"] = lambda v: format_local(v, "%-d %B %Y")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
