"""Signing in and out: the email first, then a password; lockout, CSRF, idle expiry, the
12-hour limit, and sessions that end on the server so a copied cookie is worthless."""

import difflib
import json
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from hub import audit
from hub.accounts import passwords
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AuditEntry, SignInFailure, User, UserSession
from hub.organisation import admin as admin_service
from tests.conftest import page_text


def audit_actions(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars()
        )


def post_password(client, email: str, password: str, **kw):
    data = {"email": email, "password": password, "csrf_token": client.csrf_token()}
    return client.post("/sign-in/password", data=data, **kw)


def test_the_email_comes_first_and_leads_to_the_password(client, world):
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'name="email"' in page and 'name="password"' not in page
    response = client.post(
        "/sign-in?next=/account/",
        data={"email": world.email["referrer"], "csrf_token": client.csrf_token()},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="password"' in page and world.email["referrer"] in page
    assert 'name="next" value="/account/"' in page


def test_a_bad_email_gets_a_field_message(client, world):
    response = client.post(
        "/sign-in", data={"email": "not an email", "csrf_token": client.csrf_token()}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'href="#email"' in page and "correct format" in page


def test_sign_in_reaches_home_and_shows_user_agency_and_hub(client, world):
    client.sign_in(world.email["referrer"])
    page = client.get("/").get_data(as_text=True)
    assert "Copeland Borough Council" in page
    assert "Copeland Focus Hub" in page
    assert "Referrer" in page


def test_wrong_password_gets_a_clear_error_and_no_session(app, client, world):
    response = post_password(client, world.email["referrer"], "nope")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "Enter a correct email address and password" in page
    assert client.get("/").status_code == 302  # still signed out
    assert [e.outcome for e in audit_actions(app, "sign_in")] == ["failed"]


def test_failures_are_audited_without_the_address_typed(app, client, world):
    post_password(client, "nobody@nowhere.example", "x")
    post_password(client, world.email["referrer"], "x")
    entries = audit_actions(app, "sign_in")
    assert [e.user_id for e in entries] == [None, world.user_id["referrer"]]
    text = json.dumps([e.details for e in entries])
    assert "nowhere.example" not in text and "council.example" not in text
    with app.app_context():
        assert entries[0].details["email_digest"] == audit.digest("nobody@nowhere.example")
        # Lockout counts by the keyed hash too: the table holds no address.
        assert not db.session.execute(
            select(SignInFailure).where(SignInFailure.email_key.contains("@"))
        ).first()


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, world):
    known = post_password(client, world.email["referrer"], "x")
    unknown = post_password(client, "nobody@nowhere.example", "x")
    assert known.status_code == unknown.status_code == 400

    def main(response, email):
        html = page_text(response).replace(email, "EMAIL")
        return html[html.index("<main") : html.index("</main>")]

    a, b = main(known, world.email["referrer"]), main(unknown, "nobody@nowhere.example")
    assert a == b, "\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm=""))


def test_missing_fields_get_field_level_messages(client, world):
    response = client.post("/sign-in/password", data={"csrf_token": client.csrf_token()})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#email"' in page and "Enter your email address" in page
    assert 'href="#password"' in page and "Enter your password" in page


def test_lockout_after_repeated_failures_even_with_the_right_password(app, client, world):
    email = world.email["referrer"]
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        post_password(client, email, "wrong")
    response = post_password(client, email, world.password)
    assert response.status_code == 400
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    locked = audit_actions(app, "account_locked")
    assert len(locked) == 1 and locked[0].user_id == world.user_id["referrer"]


def test_lockout_lifts_after_the_lockout_period(app, client, world):
    email = world.email["referrer"]
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        post_password(client, email, "wrong")
    later = utcnow() + timedelta(minutes=app.config["LOCKOUT_MINUTES"] + 1)
    with time_machine.travel(later, tick=False):
        client.sign_in(email)
        assert client.get("/").status_code == 200
    with app.test_request_context():  # a successful sign-in clears the count
        count = db.session.execute(
            select(func.count()).where(SignInFailure.email_key == audit.digest(email))
        ).scalar_one()
    assert count == 0


def test_unknown_addresses_lock_out_too_so_lockout_reveals_nothing(app, client, world):
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        post_password(client, "ghost@nowhere.example", "x")
    response = post_password(client, "ghost@nowhere.example", "x")
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_missing_csrf_token_is_refused_and_changes_nothing(app, client, world):
    response = client.post(
        "/sign-in/password", data={"email": world.email["referrer"], "password": world.password}
    )
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert audit_actions(app, "sign_in") == []


def test_forms_of_a_signed_in_user_need_the_token_too(app, client, world):
    client.sign_in(world.email["referrer"])
    response = client.post("/account/tokens", data={"name": "sneaky"})
    assert response.status_code == 400
    assert audit_actions(app, "api_token_issued") == []


def test_idle_session_expires(app, client, world):
    client.sign_in(world.email["referrer"])
    assert client.get("/").status_code == 200
    idle = app.config["IDLE_TIMEOUT"] + timedelta(minutes=1)
    with time_machine.travel(utcnow() + idle, tick=False):
        response = client.get("/")
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "inactive for 30 minutes" in page
        assert client.get("/").status_code == 302
    idle_outs = [e for e in audit_actions(app, "sign_out") if e.details.get("reason") == "idle"]
    assert len(idle_outs) == 1


def test_activity_keeps_the_session_alive(app, client, world):
    client.sign_in(world.email["referrer"])
    step = app.config["IDLE_TIMEOUT"] - timedelta(minutes=5)
    now = utcnow()
    for i in range(1, 4):
        with time_machine.travel(now + step * i, tick=False):
            assert client.get("/").status_code == 200


def test_twelve_hours_is_the_limit_however_busy(app, client, world):
    """Issue 21: the 12-hour limit was not enforced under activity."""
    client.sign_in(world.email["referrer"])
    start = utcnow()
    step = timedelta(minutes=20)
    at = start
    while at < start + app.config["PERMANENT_SESSION_LIFETIME"] - step:
        at += step
        with time_machine.travel(at, tick=False):
            assert client.get("/").status_code == 200
    with time_machine.travel(start + app.config["PERMANENT_SESSION_LIFETIME"], tick=False):
        response = client.get("/")
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "signed in for 12 hours" in page
    expired = [e for e in audit_actions(app, "sign_out") if e.details.get("reason") == "expired"]
    assert len(expired) == 1


def test_sign_out_ends_the_session(app, client, world):
    client.sign_in(world.email["referrer"])
    response = client.submit("/sign-out", token_from="/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert len(audit_actions(app, "sign_out")) == 1


def test_a_cookie_copied_before_sign_out_does_not_work_after_it(app, client, world):
    """Issue 21: the session cookie copied before sign-out still worked after it."""
    client.sign_in(world.email["referrer"])
    copied = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    client.submit("/sign-out", token_from="/")
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    response = thief.get("/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert thief.get("/account/").status_code == 302


def test_the_cookie_carries_no_user_only_a_session_that_the_server_can_end(app, client, world):
    client.sign_in(world.email["referrer"])
    with app.app_context():
        row = db.session.execute(select(UserSession)).scalar_one()
        assert row.user_id == world.user_id["referrer"] and row.ended_at is None
        assert len(row.token_hash) == 64  # only the token's hash is kept


def test_a_new_password_ends_other_sessions(app, client, world):
    client.sign_in(world.email["referrer"])
    with app.test_request_context():
        user = db.session.get(User, world.user_id["referrer"])
        passwords.set_password(user, "a brand new password")
        db.session.commit()
    assert client.get("/").status_code == 302


def test_deactivated_account_cannot_sign_in(app, client, world):
    with app.app_context():
        db.session.get(User, world.user_id["referrer"]).is_active_account = False
        db.session.commit()
    assert post_password(client, world.email["referrer"], world.password).status_code == 400


def test_deactivation_ends_a_session_in_use(app, client, world):
    client.sign_in(world.email["referrer"])
    with app.test_request_context():
        admin = db.session.get(User, world.user_id["sysadmin"])
        person = db.session.get(User, world.user_id["referrer"])
        admin_service.set_user_active(person, False, actor=admin)
        db.session.commit()
        assert db.session.execute(select(UserSession.ended_reason)).scalar_one() == "deactivated"
    assert client.get("/").status_code == 302


def test_sign_in_never_redirects_off_site(client, world):
    response = client.post(
        "/sign-in/password",
        data={
            "email": world.email["referrer"],
            "password": world.password,
            "next": "https://evil.example/",
            "csrf_token": client.csrf_token(),
        },
    )
    assert response.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(client, world):
    response = client.post(
        "/sign-in/password",
        data={
            "email": world.email["referrer"],
            "password": world.password,
            "next": "/account/",
            "csrf_token": client.csrf_token(),
        },
    )
    assert response.headers["Location"] == "/account/"


def test_pages_need_sign_in(client, world):
    response = client.get("/account/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_sign_in_is_rate_limited(app, client, world, monkeypatch):
    from hub.extensions import limiter

    monkeypatch.setitem(app.config, "SIGN_IN_RATE_LIMIT", "3 per minute")
    limiter.reset()
    token = client.csrf_token()
    data = {"email": world.email["referrer"], "password": "wrong", "csrf_token": token}
    statuses = [client.post("/sign-in/password", data=data).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert "Too many attempts" in client.post("/sign-in/password", data=data).get_data(as_text=True)
    limiter.reset()
