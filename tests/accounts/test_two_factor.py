"""Two-factor sign-in: who must use it, setting it up at sign-in, codes used once, recovery
codes, lockout, turning it off, and a manager's reset."""

import re
from datetime import timedelta

import pyotp
import pytest
import time_machine
from marshmallow import ValidationError
from sqlalchemy import select

from hub.accounts import two_factor
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AuditEntry, Hub, RecoveryCode, User


@pytest.fixture
def strict(app, world):
    """The Copeland hub requires two-factor sign-in, as every real hub does by default."""
    with app.app_context():
        db.session.get(Hub, world.hub_id).two_factor_required = True
        db.session.commit()
    return world


def password_step(client, email, password):
    return client.post(
        "/sign-in/password",
        data={"email": email, "password": password, "csrf_token": client.csrf_token()},
    )


def code_step(client, code, path="/sign-in/two-factor"):
    return client.post(path, data={"code": code, "csrf_token": client.csrf_token("/sign-in")})


def enrol(app, user_id: int) -> str:
    """Set two-factor sign-in up for a person directly; returns their key."""
    with app.test_request_context():
        user = db.session.get(User, user_id)
        secret = two_factor.begin_setup(user)
        code = pyotp.TOTP(secret).at(utcnow() - timedelta(seconds=30))
        codes = two_factor.confirm_setup(user, code)
        db.session.commit()
    enrol.codes = codes
    return secret


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def test_who_must_use_it(app, strict):
    with app.app_context():
        people = {k: db.session.get(User, v) for k, v in strict.user_id.items()}
        needs = {k for k, u in people.items() if two_factor.required(u)}
        # Everyone who can read personal data in the hub, and those who can give themselves
        # that: not the analyst, nor the other hub's manager (whose hub does not require it).
        assert needs == {
            "referrer",
            "case_worker",
            "coordinator",
            "spoc",
            "hub_manager",
            "agency_manager",
            "sysadmin",
        }
        db.session.get(Hub, strict.hub_id).two_factor_required = False
        assert not any(two_factor.required(u) for u in people.values())


def test_required_and_not_set_up_means_setting_it_up_before_any_session(app, client, strict):
    response = password_step(client, strict.email["case_worker"], strict.password)
    assert response.headers["Location"] == "/sign-in/two-factor/set-up"
    assert client.get("/").status_code == 302  # no session yet: a password alone is not enough
    page = client.get("/sign-in/two-factor/set-up").get_data(as_text=True)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    assert "<svg" in page  # the QR code, inline
    wrong = code_step(client, "000000", "/sign-in/two-factor/set-up")
    assert wrong.status_code == 400 and "code your authenticator app shows" in wrong.get_data(
        as_text=True
    )
    done = code_step(client, pyotp.TOTP(secret).now(), "/sign-in/two-factor/set-up")
    assert done.status_code == 200
    codes = re.findall(
        r"<li>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>", done.get_data(as_text=True)
    )
    assert len(codes) == 10
    assert client.get("/").status_code == 200
    assert "two_factor_enabled" in actions(app)
    with app.app_context():
        stored = db.session.execute(select(RecoveryCode.code_hash)).scalars().all()
        assert len(stored) == 10 and not set(codes) & set(stored)  # only hashes kept
        user = db.session.get(User, strict.user_id["case_worker"])
        assert secret not in user.totp_secret  # the key is sealed at rest


def test_a_code_is_needed_after_the_password(app, client, strict):
    secret = enrol(app, strict.user_id["coordinator"])
    response = password_step(client, strict.email["coordinator"], strict.password)
    assert response.headers["Location"] == "/sign-in/two-factor"
    assert client.get("/").status_code == 302
    later = utcnow() + timedelta(seconds=60)  # the set-up used the code of 30 s ago
    with time_machine.travel(later, tick=False):
        assert code_step(client, pyotp.TOTP(secret).now()).status_code == 302
        assert client.get("/").status_code == 200
    with app.app_context():
        entry = (
            db.session.execute(
                select(AuditEntry)
                .where(AuditEntry.action == "sign_in")
                .order_by(AuditEntry.id.desc())
            )
            .scalars()
            .first()
        )
        assert entry.details == {"method": "password+totp"}


def test_a_code_works_once(app, client, strict):
    secret = enrol(app, strict.user_id["coordinator"])
    at = utcnow() + timedelta(seconds=90)
    with time_machine.travel(at, tick=False):
        code = pyotp.TOTP(secret).now()
        password_step(client, strict.email["coordinator"], strict.password)
        assert code_step(client, code).status_code == 302
        other = client.application.test_client()
        password_step(other, strict.email["coordinator"], strict.password)
        replay = code_step(other, code)
        assert replay.status_code == 400
        assert "code is not right" in replay.get_data(as_text=True)


def test_a_recovery_code_works_once_instead(app, client, strict):
    enrol(app, strict.user_id["coordinator"])
    code = enrol.codes[0]
    password_step(client, strict.email["coordinator"], strict.password)
    response = code_step(client, code.upper().replace("-", " "))
    assert response.status_code == 302
    assert "9 left" in client.get("/").get_data(as_text=True)
    other = client.application.test_client()
    password_step(other, strict.email["coordinator"], strict.password)
    assert code_step(other, code).status_code == 400
    assert "two_factor_recovery_code_used" in actions(app)


def test_wrong_codes_lock_the_account_like_wrong_passwords(app, client, strict):
    enrol(app, strict.user_id["coordinator"])
    password_step(client, strict.email["coordinator"], strict.password)
    for _ in range(app.config["LOCKOUT_THRESHOLD"] - 1):
        assert code_step(client, "123456").status_code == 400
    locked = code_step(client, "123456")
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    assert "account_locked" in actions(app)
    # The pending sign-in is gone: the password must be given again, and is refused.
    assert code_step(client, "123456").status_code == 302
    again = password_step(client, strict.email["coordinator"], strict.password)
    assert "Too many failed attempts" in again.get_data(as_text=True)


def test_a_pending_sign_in_expires(app, client, strict):
    enrol(app, strict.user_id["coordinator"])
    password_step(client, strict.email["coordinator"], strict.password)
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        response = client.get("/sign-in/two-factor")
        assert response.status_code == 302 and response.headers["Location"] == "/sign-in"


def test_the_second_step_cannot_be_reached_without_the_first(client, strict):
    assert client.get("/sign-in/two-factor").headers["Location"] == "/sign-in"
    assert client.get("/sign-in/two-factor/set-up").headers["Location"] == "/sign-in"


def test_turning_it_off_is_refused_when_roles_need_it(app, client, strict):
    secret = enrol(app, strict.user_id["analyst"])  # analysts read no personal data
    with time_machine.travel(utcnow() + timedelta(seconds=60), tick=False):
        password_step(client, strict.email["analyst"], strict.password)
        code_step(client, pyotp.TOTP(secret).now())
    with time_machine.travel(utcnow() + timedelta(seconds=120), tick=False):
        response = client.submit("/account/two-factor/turn-off", {"code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302
    assert "two_factor_disabled" in actions(app)

    enrol(app, strict.user_id["spoc"])
    with app.test_request_context():
        user = db.session.get(User, strict.user_id["spoc"])
        with pytest.raises(ValidationError, match="cannot be turned off"):
            two_factor.turn_off(user, "000000")


def test_new_recovery_codes_replace_the_old(app, client, strict):
    secret = enrol(app, strict.user_id["coordinator"])
    old = enrol.codes
    with time_machine.travel(utcnow() + timedelta(seconds=60), tick=False):
        password_step(client, strict.email["coordinator"], strict.password)
        code_step(client, pyotp.TOTP(secret).now())
    with time_machine.travel(utcnow() + timedelta(seconds=120), tick=False):
        response = client.submit(
            "/account/two-factor/recovery-codes", {"code": pyotp.TOTP(secret).now()}
        )
    assert response.status_code == 200
    new = re.findall(r"<li>([0-9a-f-]{19})</li>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    with app.test_request_context():
        user = db.session.get(User, strict.user_id["coordinator"])
        assert not two_factor.use_recovery_code(user, old[0])
        assert two_factor.use_recovery_code(user, new[0])


def test_a_manager_resets_it_and_the_person_sets_it_up_again(app, client, strict):
    enrol(app, strict.user_id["case_worker"])
    manager = client.application.test_client()
    manager.sign_in(strict.email["agency_manager"])  # Home Group's manager, for Home Group
    # The manager needs two-factor too: their first sign-in asked them to set it up.
    assert manager.get("/").status_code == 302
    with app.app_context():
        db.session.get(Hub, strict.hub_id).two_factor_required = False
        db.session.commit()
    manager.sign_in(strict.email["agency_manager"])
    response = manager.submit(f"/admin/users/{strict.user_id['case_worker']}/two-factor/reset")
    assert response.status_code == 302
    assert "two_factor_reset" in actions(app)
    with app.app_context():
        db.session.get(Hub, strict.hub_id).two_factor_required = True
        db.session.commit()
    response = password_step(client, strict.email["case_worker"], strict.password)
    assert response.headers["Location"] == "/sign-in/two-factor/set-up"
