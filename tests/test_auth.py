"""Signing in and out: lockout, CSRF, idle expiry, sessions ended by a new password."""

import difflib
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AuditEntry, SignInFailure, User
from tests.conftest import page_text


def audit_actions(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.execute(select(AuditEntry).where(AuditEntry.action == action)).scalars()
        )


def test_sign_in_reaches_home_and_shows_user_agency_and_hub(client, world):
    client.sign_in(world.email["referrer"])
    page = client.get("/").get_data(as_text=True)
    assert "Copeland Borough Council" in page
    assert "Copeland Focus Hub" in page
    assert "Referrer" in page


def test_wrong_password_gets_a_clear_error_and_no_session(app, client, world):
    token = client.csrf_token()
    response = client.post(
        "/sign-in", data={"email": world.email["referrer"], "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "Enter a correct email address and password" in page
    assert client.get("/").status_code == 302  # still signed out
    assert [e.outcome for e in audit_actions(app, "sign_in")] == ["failed"]


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, world):
    token = client.csrf_token()
    known = client.post(
        "/sign-in", data={"email": world.email["referrer"], "password": "x", "csrf_token": token}
    )
    unknown = client.post(
        "/sign-in", data={"email": "nobody@nowhere.example", "password": "x", "csrf_token": token}
    )
    assert known.status_code == unknown.status_code == 400

    def main(response, email):
        html = page_text(response).replace(email, "EMAIL")
        return html[html.index("<main") : html.index("</main>")]

    a, b = main(known, world.email["referrer"]), main(unknown, "nobody@nowhere.example")
    assert a == b, "\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm=""))


def test_missing_fields_get_field_level_messages(client, world):
    response = client.post("/sign-in", data={"csrf_token": client.csrf_token()})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'href="#email"' in page and "Enter your email address" in page
    assert 'href="#password"' in page and "Enter your password" in page


def test_lockout_after_repeated_failures_even_with_the_right_password(app, client, world):
    email = world.email["referrer"]
    token = client.csrf_token()
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        client.post("/sign-in", data={"email": email, "password": "wrong", "csrf_token": token})
    response = client.post(
        "/sign-in", data={"email": email, "password": world.password, "csrf_token": token}
    )
    assert response.status_code == 400
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    locked = audit_actions(app, "account_locked")
    assert len(locked) == 1 and locked[0].user_id == world.user_id["referrer"]


def test_lockout_lifts_after_the_lockout_period(app, client, world):
    email = world.email["referrer"]
    token = client.csrf_token()
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        client.post("/sign-in", data={"email": email, "password": "wrong", "csrf_token": token})
    later = utcnow() + timedelta(minutes=app.config["LOCKOUT_MINUTES"] + 1)
    with time_machine.travel(later, tick=False):
        client.sign_in(email)
        assert client.get("/").status_code == 200
    with app.app_context():  # a successful sign-in clears the count
        count = db.session.execute(
            select(func.count()).where(SignInFailure.email == email)
        ).scalar_one()
    assert count == 0


def test_unknown_addresses_lock_out_too_so_lockout_reveals_nothing(app, client, world):
    token = client.csrf_token()
    data = {"email": "ghost@nowhere.example", "password": "x", "csrf_token": token}
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        client.post("/sign-in", data=data)
    assert "Too many failed attempts" in client.post("/sign-in", data=data).get_data(as_text=True)


def test_missing_csrf_token_is_refused_and_changes_nothing(app, client, world):
    response = client.post(
        "/sign-in", data={"email": world.email["referrer"], "password": world.password}
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


def test_sign_out_ends_the_session(app, client, world):
    client.sign_in(world.email["referrer"])
    response = client.submit("/sign-out", token_from="/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert len(audit_actions(app, "sign_out")) == 1


def test_a_new_password_ends_other_sessions(app, client, world):
    from hub import accounts

    client.sign_in(world.email["referrer"])
    with app.test_request_context():
        user = db.session.get(User, world.user_id["referrer"])
        accounts.set_password(user, "a brand new password")
        db.session.commit()
    assert client.get("/").status_code == 302


def test_deactivated_account_cannot_sign_in(app, client, world):
    with app.app_context():
        db.session.get(User, world.user_id["referrer"]).is_active_account = False
        db.session.commit()
    response = client.post(
        "/sign-in",
        data={
            "email": world.email["referrer"],
            "password": world.password,
            "csrf_token": client.csrf_token(),
        },
    )
    assert response.status_code == 400


def test_sign_in_never_redirects_off_site(client, world):
    token = client.csrf_token()
    response = client.post(
        "/sign-in?next=https://evil.example/",
        data={"email": world.email["referrer"], "password": world.password, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_pages_need_sign_in(client, world):
    response = client.get("/account/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_sign_in_is_rate_limited(app, client, world, monkeypatch):
    from hub.extensions import limiter

    monkeypatch.setitem(app.config, "SIGN_IN_RATE_LIMIT", "3 per minute")
    limiter.reset()
    token = client.csrf_token()
    data = {"email": world.email["referrer"], "password": "wrong", "csrf_token": token}
    statuses = [client.post("/sign-in", data=data).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert "Too many attempts" in client.post("/sign-in", data=data).get_data(as_text=True)
    limiter.reset()
