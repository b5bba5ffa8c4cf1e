"""One blueprint per area; each stays thin: parse, authorise, call a service, render."""

from flask import Flask

from hub.blueprints import (
    account,
    account_admin,
    admin,
    analytics,
    api,
    audit_log,
    auth,
    board,
    case_reviews,
    cases,
    conference_live,
    conference_minutes,
    conference_timeliness,
    conferences,
    lessons,
    main,
    referrals,
    sharing,
    subject_access,
    victims,
)


def register_blueprints(app: Flask) -> None:
    app.register_blueprint(main.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(account_admin.bp)  # identity providers, approvals, two-factor
    app.register_blueprint(admin.bp)
    app.register_blueprint(referrals.bp)
    app.register_blueprint(referrals.triage_bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(board.bp)
    app.register_blueprint(sharing.bp)  # agreements, case membership, disclosure register
    app.register_blueprint(audit_log.bp)
    app.register_blueprint(subject_access.bp)
    app.register_blueprint(conferences.bp)
    app.register_blueprint(conference_live.bp)  # running a conference, partners following
    app.register_blueprint(conference_minutes.bp)  # minutes, printing, decision log
    app.register_blueprint(conference_timeliness.bp)  # urgent conferences, timeliness
    app.register_blueprint(case_reviews.bp)  # ASB case review applications and outcomes
    app.register_blueprint(lessons.bp)  # the lessons-learned library, evaluation's sequel
    app.register_blueprint(analytics.bp)  # dashboard, hotspots, repeats, returns, police.uk
    app.register_blueprint(victims.bp)  # victims, their SPoCs' contact log and call-backs
    api.init_app(app)
