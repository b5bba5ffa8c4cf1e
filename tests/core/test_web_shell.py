"""The page shell: security headers, no inline script, errors in the service's own style."""

import re

from flask import render_template_string
from flask_login import login_user

from hub.extensions import db
from hub.models import User


def test_security_headers_on_every_page(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_no_inline_script_and_assets_served_locally(client, world):
    client.sign_in(world.email["hub_manager"])
    for path in ("/", "/account/", "/admin/", "/sign-in"):
        html = client.get(path).get_data(as_text=True)
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, f"inline script on {path}: {tag}"
        assert "http://" not in html.replace("http://hub.test", "")
        assert "https://" not in html
    assert client.get("/static/vendor/govuk-frontend/govuk-frontend.min.css").status_code == 200
    assert client.get("/static/vendor/htmx/htmx.min.js").status_code == 200


def test_session_cookie_is_httponly_and_samesite(client, world):
    response = client.sign_in(world.email["referrer"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_not_found_page_is_in_the_service_style(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert "govuk-template" in response.get_data(as_text=True)


def test_incoming_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123-def-456"})
    assert response.headers["X-Request-ID"] == "abc-123-def-456"


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "scheduler": "not running"}


def test_an_unexpected_error_is_a_plain_500_page(app, client, monkeypatch):
    from hub.blueprints import main

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "main.healthz", broken)
    response = client.get("/healthz")
    assert response.status_code == 500
    assert "boom" not in response.get_data(as_text=True)
    assert main  # imported to show where the view lives


def test_request_log_names_the_user(app, client, world):
    import json
    import logging

    class Collect(logging.Handler):
        lines: list = []

        def emit(self, record):
            self.lines.append(json.loads(record.getMessage()))

    client.sign_in(world.email["referrer"])
    handler = Collect()
    logging.getLogger("hub.request").addHandler(handler)
    try:
        client.get("/account/")
    finally:
        logging.getLogger("hub.request").removeHandler(handler)
    [line] = handler.lines
    assert line["path"] == "/account/" and line["status"] == 200
    assert line["user_id"] == world.user_id["referrer"]
    assert len(line["request_id"]) == 32


def test_a_500_before_the_request_began_is_still_logged(app, client, monkeypatch):
    """A failure in a before_request that runs ahead of the request's start (its id, its clock)
    still leaves a line in the request log, which the load bench counts 5xx answers from."""
    import json
    import logging

    lines = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(json.loads(record.getMessage()))

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.before_request_funcs, None, [broken, *app.before_request_funcs[None]])
    handler = Collect()
    logging.getLogger("hub.request").addHandler(handler)
    try:
        response = client.get("/healthz")
    finally:
        logging.getLogger("hub.request").removeHandler(handler)
    assert response.status_code == 500
    [line] = lines
    assert line["status"] == 500 and line["ms"] is None
    assert line["request_id"] == response.headers["X-Request-ID"]


def test_page_text_hides_only_the_timestamped_tokens(client, world):
    from datetime import timedelta

    import time_machine

    from hub.core.timeutil import utcnow
    from tests.conftest import page_text

    client.sign_in(world.email["referrer"])
    now = utcnow()
    with time_machine.travel(now + timedelta(seconds=1), tick=False):
        first = client.get("/account/")
    with time_machine.travel(now + timedelta(seconds=3), tick=False):
        second = client.get("/account/")
    assert first.get_data() != second.get_data()  # the tokens carry the second they were made
    assert page_text(first) == page_text(second)
    assert "Your account" in page_text(first)


def _tags(html: str) -> list[str]:
    """The markup's tags and text, whitespace aside: what a browser and a screen reader get."""
    html = re.sub(r"\s+>", ">", " ".join(html.split()))
    return [part for part in re.split(r"\s*(<[^>]+>)\s*", html) if part]


def test_service_menu_is_the_govuk_service_navigation(app, client, world):
    """The menu is written out rather than drawn by govuk-frontend-jinja's macro (the macro
    cost more than the rest of the shell on every page); it must stay the macro's markup."""
    client.sign_in(world.email["hub_manager"])
    path = f"/hubs/{world.hub_slug}/board"
    html = client.get(path).get_data(as_text=True)
    ours = re.search(r'<section aria-label="Service information".*?</section>', html, re.S)
    assert ours and 'aria-current="true"' in ours.group(0)
    with app.test_request_context(path):
        login_user(db.session.get(User, world.user_id["hub_manager"]))
        macro = render_template_string(
            '{% from "govuk_frontend_jinja/components/service-navigation/macro.html" '
            "import govukServiceNavigation %}"
            '{{ govukServiceNavigation({"serviceName": service_name, '
            '"serviceUrl": url_for("main.home"), "navigation": navigation_items(), '
            '"navigationLabel": "Menu"}) }}'
        )
    assert _tags(ours.group(0)) == _tags(macro)
