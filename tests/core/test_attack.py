"""Attacks on the web shell (issue 17): cross-site request forgery, framing, content sniffing,
cookie flags, session fixation and a revoked API token. Each is one way in that someone has
used on a web application; each test shows the door is shut."""

import re

import pytest
from sqlalchemy import select

from hub.accounts import tokens
from hub.extensions import db
from hub.models import ApiToken, AuditEntry, User
from tests.conftest import HubClient


def _signed_in_token_and_page(client, world):
    client.sign_in(world.email["referrer"])
    return client.csrf_token("/account/")


# -- CSRF ---------------------------------------------------------------------------------


def test_a_form_posted_with_another_sessions_token_is_refused_and_recorded(app, world):
    """The attacker's own valid token, replayed in the victim's browser, is worth nothing."""
    app.test_client_class = HubClient
    attacker, victim = app.test_client(), app.test_client()
    attackers_token = _signed_in_token_and_page(attacker, world)
    victim.sign_in(world.email["referrer"])
    response = victim.post(
        "/account/tokens", data={"name": "planted", "csrf_token": attackers_token}
    )
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(ApiToken)).first() is None
        refused = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "csrf_refused")
        ).scalars()
        assert [e.details.get("path") for e in refused] == ["/account/tokens"]


def test_a_cross_site_form_without_a_token_changes_nothing(client, world):
    client.sign_in(world.email["referrer"])
    response = client.post(
        "/account/tokens",
        data={"name": "planted"},
        headers={"Origin": "https://evil.example", "Referer": "https://evil.example/x"},
    )
    assert response.status_code == 400
    assert "planted" not in client.get("/account/").get_data(as_text=True)


# -- framing and sniffing -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/sign-in", "/", "/account/", "/no-such-page", "/api/v1/me", "/api/v1/openapi.json"],
)
def test_no_response_may_be_framed_or_sniffed(client, world, path):
    client.sign_in(world.email["hub_manager"])
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"].split(";")[0] in {"text/html", "application/json"}


def test_static_files_are_not_sniffed_either(client):
    response = client.get("/static/vendor/htmx/htmx.min.js")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "javascript" in response.headers["Content-Type"]


# -- cookies --------------------------------------------------------------------------------


def test_production_cookies_are_secure_httponly_and_samesite(app, client, monkeypatch):
    """The production setting (tests/core/test_config.py shows HUB_ENV=production turns it
    on) reaches the Set-Cookie header, and HSTS tells the browser to keep to https."""
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    response = client.get("/sign-in", base_url="https://hub.test")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_session_cookie_is_unreadable_by_script_and_names_no_one(client, world):
    response = client.sign_in(world.email["referrer"])
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("focus_hub_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert world.email["referrer"] not in cookie


# -- session fixation -----------------------------------------------------------------------


def test_a_session_planted_before_sign_in_is_replaced(app, client, world):
    """An attacker who sets the victim's cookie before sign-in must not share the session
    the victim then signs in to: signing in starts a new server-side session and a new
    cookie, carrying nothing of the old one."""
    with client.session_transaction() as planted:
        planted["sid"] = "attacker-chosen-session-token"
        planted["marker"] = "attacker"
    client.sign_in(world.email["referrer"])
    with client.session_transaction() as after:
        assert after["sid"] != "attacker-chosen-session-token"
        assert "marker" not in after
        first = after["sid"]
    # Signing in again (another person on the same browser, or the same one) gets another.
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    client.sign_in(world.email["referrer"])
    with client.session_transaction() as again:
        assert again["sid"] != first
    # The old session token no longer opens anything.
    with client.session_transaction() as replay:
        replay["sid"] = first
    assert client.get("/account/").status_code == 302


def test_the_session_token_is_not_in_the_page(client, world):
    client.sign_in(world.email["referrer"])
    with client.session_transaction() as s:
        sid = s["sid"]
    assert sid not in client.get("/account/").get_data(as_text=True)


# -- API tokens -----------------------------------------------------------------------------


def test_a_revoked_token_fails_on_the_very_next_request(app, client, world):
    """No cache between the token and the database: revoking it (here by another process,
    straight in the database) shuts the next request out, even within the minute in which
    the hub does not rewrite last_used_at."""
    with app.app_context():
        user = db.session.get(User, world.user_id["coordinator"])
        token, row = tokens.issue_token(user, "feed")
        db.session.commit()
        token_id = row.id
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    with app.app_context():
        owner = db.session.get(User, world.user_id["coordinator"])
        tokens.revoke_token(db.session.get(ApiToken, token_id), actor=owner)
        db.session.commit()
    response = client.get("/api/v1/me", headers=auth)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"


def test_a_token_stops_working_when_its_owner_is_deactivated(app, client, world):
    with app.app_context():
        user = db.session.get(User, world.user_id["coordinator"])
        token, _ = tokens.issue_token(user, "feed")
        db.session.commit()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    with app.app_context():
        db.session.get(User, world.user_id["coordinator"]).is_active_account = False
        db.session.commit()
    assert client.get("/api/v1/me", headers=auth).status_code == 401


def test_a_token_in_the_query_string_or_a_cookie_is_not_accepted(client, world, app):
    with app.app_context():
        token, _ = tokens.issue_token(db.session.get(User, world.user_id["coordinator"]), "x")
        db.session.commit()
    assert client.get(f"/api/v1/me?access_token={token}").status_code == 401
    assert re.fullmatch(r"fh_[A-Za-z0-9_-]{43}", token)
