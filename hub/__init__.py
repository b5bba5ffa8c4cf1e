"""Focus Hub: the application factory.

The hub/ package's root holds only the application's frame: this factory, config.py,
extensions.py, cli.py (the commands, and every area's scheduled jobs) and permissions.py
(the one permission module). Framework glue is in hub/core/; each domain area is a package of
its own (docs/architecture.md)."""

import logging
import sys
from pathlib import Path

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from hub.accounts import sessions
from hub.audit import protection
from hub.config import ConfigError, load_config
from hub.core import database, errors, security, templating
from hub.extensions import csrf, db, htmx, limiter, login_manager, migrate


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(load_config(app.instance_path))
    if config:
        app.config.update(config)
    if app.config["TRUSTED_PROXIES"]:
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    _configure_logging(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_project_dir(app) / "migrations"))
    login_manager.init_app(app)
    limiter.init_app(app)  # before CSRF, so rate limits count every attempt
    csrf.init_app(app)
    htmx.init_app(app)
    with app.app_context():
        database.tune_sqlite(db.engine)

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(app.root_path + "/templates"),
            # The GOV.UK macros import each other as "govuk_frontend_jinja/components/…".
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    templating.init_app(app)
    errors.init_app(app)
    sessions.init_app(app)
    security.init_app(app)

    # The routes and the commands reach every area (referrals/ among them), and this module
    # runs first whenever any hub.x module is imported: imported at the top, they would load
    # the areas in the middle of whichever module was being imported (a referrals module
    # would find itself half-built). So they are imported when an application is built, as
    # Flask's factory pattern does.
    from hub.blueprints import register_blueprints
    from hub.cli import hub_cli

    register_blueprints(app)
    app.cli.add_command(hub_cli)

    if app.config.get("CHECK_DATABASE_ON_START", True):
        _check_database(app)
    return app


def _project_dir(app: Flask) -> Path:
    return Path(app.root_path).parent


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger("hub").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logging.getLogger("hub").addHandler(handler)
        logging.getLogger("hub").setLevel(logging.INFO)
        logging.getLogger("hub").propagate = False


def _check_database(app: Flask) -> None:
    """Fail at start-up, in plain words, when the database cannot be reached."""
    with app.app_context():
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            url = db.engine.url.render_as_string(hide_password=True)
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise ConfigError(
                f"Cannot reach the database at {url}: {reason}. Check DATABASE_URL and that "
                "the database server is running."
            ) from None
        if app.config["HUB_ENV"] == "production":
            for problem in protection.problems():
                logging.getLogger("hub").warning(
                    "The audit log is not protected from the hub's own database role: %s. "
                    "Run the hub under a role set up by `flask --app wsgi hub audit "
                    "grant-app-role ROLE` (README: Running it in production).",
                    problem,
                )
