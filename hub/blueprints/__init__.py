"""One blueprint per area; each stays thin: parse, authorise, call a service, render."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from hub.blueprints import account, admin, api, auth, main
    from hub.blueprints import referrals as referrals_bp

    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(referrals_bp.bp)
    app.register_blueprint(referrals_bp.triage_bp)
    api.init_app(app)
