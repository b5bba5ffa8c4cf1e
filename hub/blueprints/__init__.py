"""One blueprint per area; each stays thin: parse, authorise, call a service, render."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from hub.blueprints import account, admin, api, auth, main

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    from hub.blueprints import audit_log, sharing  # section 115 administration (issue 4)

    app.register_blueprint(sharing.bp)
    app.register_blueprint(audit_log.bp)
    api.init_app(app)
