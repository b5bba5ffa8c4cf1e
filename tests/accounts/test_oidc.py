"""Single sign-on, end to end against a real OpenID Connect provider on localhost
(oidc-provider-mock, see oidc_provider.py): discovery, the authorisation code flow with PKCE,
token exchange, ID token signature and claims, and RP-initiated logout."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from sqlalchemy import select

from hub.accounts import oidc
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AuditEntry, IdentityProvider, User, UserSession
from tests.accounts.conftest import provider_user


def add_provider(app, world, issuer: str, slug: str, domain: str, agency: str = "police"):
    with app.test_request_context():
        admin = db.session.get(User, world.user_id["sysadmin"])
        oidc.save_provider(
            {
                "agency_id": world.agency_ids[agency],
                "name": f"{slug} sign-in",
                "slug": slug,
                "issuer": issuer,
                "client_id": "focus-hub",
                "client_secret": "the client secret",
                "domains": [domain],
                "email_claim": "email",
                "name_claim": "name",
                "scopes": "openid email profile",
                "enabled": True,
            },
            actor=admin,
        )
        db.session.commit()


@pytest.fixture
def police_sso(app, world, oidc_provider):
    """Cumbria Constabulary (police.example) signs in at the provider."""
    add_provider(app, world, oidc_provider.url, "police", "police.example")
    return oidc_provider


def leave_for_provider(client, email: str) -> str:
    """The hub's part before the provider: email first, then off to the provider. Returns
    the provider's authorisation URL."""
    response = client.post("/sign-in", data={"email": email, "csrf_token": client.csrf_token()})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    path = re.search(r'href="([^"]+)" data-testid="continue-link"', page).group(1)
    assert path.startswith("/sign-in/sso/")
    response = client.get(path.replace("&amp;", "&"))
    assert response.status_code == 302
    return response.headers["Location"]


def at_provider(authorize_url: str, sub: str | None = None, deny: bool = False) -> str:
    """The person at the provider signs in as `sub` (or refuses); returns where the provider
    sends the browser back to (the hub's callback)."""
    data = {"action": "deny"} if deny else {"sub": sub}
    response = requests.post(authorize_url, data=data, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def back_at_hub(client, callback_url: str):
    parts = urlsplit(callback_url)
    return client.get(f"{parts.path}?{parts.query}")


def sign_in_with_provider(client, email: str, sub: str):
    return back_at_hub(client, at_provider(leave_for_provider(client, email), sub))


def audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.execute(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            ).scalars()
        )


def failure_reasons(app) -> list[str]:
    return [
        e.details.get("reason")
        for e in audit(app, "sign_in")
        if e.outcome == "failed" and e.details.get("method") == "sso"
    ]


def test_an_email_in_a_providers_domain_goes_to_the_provider(app, client, world, police_sso):
    url = leave_for_provider(client, world.email["coordinator"])  # coord@police.example
    assert url.startswith(police_sso.url + "/oauth2/authorize?")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == ["focus-hub"]
    assert query["redirect_uri"] == ["http://hub.test/sign-in/sso/police/callback"]
    assert query["login_hint"] == [world.email["coordinator"]]
    assert query["code_challenge_method"] == ["S256"]  # PKCE
    assert query["nonce"] and query["state"]
    assert "openid" in query["scope"][0].split()
    # Others still sign in with a password.
    response = client.post(
        "/sign-in", data={"email": world.email["referrer"], "csrf_token": client.csrf_token()}
    )
    assert 'name="password"' in response.get_data(as_text=True)


def test_successful_sign_in_links_the_known_person(app, client, world, police_sso):
    provider_user(police_sso.url, "mark-t", email=world.email["coordinator"], name="Mark Tyson")
    response = sign_in_with_provider(client, world.email["coordinator"], "mark-t")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Mark Tyson" in page and "Coordinator" in page
    with app.app_context():
        user = db.session.get(User, world.user_id["coordinator"])
        assert (user.oidc_issuer, user.oidc_subject) == (police_sso.url, "mark-t")
        assert user.password_hash is None  # from now on, only the provider signs them in
        assert db.session.execute(select(UserSession.identity_provider_id)).scalar_one()
    assert len(audit(app, "sso_linked")) == 1
    assert audit(app, "sign_in")[-1].details["method"] == "sso"
    # A second sign-in finds them by subject.
    client.submit("/sign-out", token_from="/")
    other = app.test_client()
    assert sign_in_with_provider(other, world.email["coordinator"], "mark-t").status_code == 302
    assert len(audit(app, "sso_linked")) == 1


def test_no_password_for_an_address_that_signs_in_at_its_provider(app, client, world, police_sso):
    response = client.post(
        "/sign-in/password",
        data={
            "email": world.email["coordinator"],
            "password": world.password,
            "csrf_token": client.csrf_token(),
        },
    )
    assert response.status_code == 302 and "/sign-in/password" not in response.headers["Location"]
    assert client.get("/").status_code == 302
    assert audit(app, "sign_in") == []  # the password was never even checked


def test_wrong_issuer(app, client, world, oidc_provider):
    # Told the issuer is http://127.0.0.1:PORT; the provider's ID tokens say localhost.
    add_provider(
        app,
        world,
        f"http://127.0.0.1:{oidc_provider.port}",
        "housing",
        "housing.example",
        "housing",
    )
    provider_user(
        f"http://127.0.0.1:{oidc_provider.port}", "joanne", email="worker@housing.example"
    )
    response = sign_in_with_provider(client, "worker@housing.example", "joanne")
    assert response.status_code == 400
    assert client.get("/").status_code == 302
    assert failure_reasons(app) == ["wrong_iss"]


def test_expired_id_token(app, client, world, oidc_provider):
    add_provider(
        app, world, f"http://localhost:{oidc_provider.short_port}", "police", "police.example"
    )
    provider_user(
        f"http://localhost:{oidc_provider.short_port}", "mark-t", email=world.email["coordinator"]
    )
    callback = at_provider(leave_for_provider(client, world.email["coordinator"]), "mark-t")
    # The provider's tokens last ten seconds; the hub allows a minute's clock difference.
    with time_machine.travel(utcnow() + timedelta(minutes=3), tick=False):
        response = back_at_hub(client, callback)
    assert response.status_code == 400
    assert failure_reasons(app) == ["expired_id_token"]
    assert client.get("/").status_code == 302


def test_replayed_state(app, client, world, police_sso):
    provider_user(police_sso.url, "mark-t", email=world.email["coordinator"])
    callback = at_provider(leave_for_provider(client, world.email["coordinator"]), "mark-t")
    cookies_before = dict(client._cookies)
    assert back_at_hub(client, callback).status_code == 302
    # The same callback again, even with the cookie as it was before: refused.
    attacker = app.test_client()
    attacker._cookies.update(cookies_before)
    assert back_at_hub(attacker, callback).status_code == 400
    assert back_at_hub(client, callback).status_code == 400
    assert failure_reasons(app) == ["replayed_state", "state_mismatch"]
    assert attacker.get("/").status_code == 302


def test_a_callback_this_browser_did_not_start_is_refused(app, client, world, police_sso):
    provider_user(police_sso.url, "mark-t", email=world.email["coordinator"])
    callback = at_provider(leave_for_provider(client, world.email["coordinator"]), "mark-t")
    victim = app.test_client()  # login CSRF: someone else's callback planted in a browser
    assert back_at_hub(victim, callback).status_code == 400
    assert victim.get("/").status_code == 302
    assert failure_reasons(app) == ["state_mismatch"]
    assert back_at_hub(client, callback).status_code == 302  # the real sign-in still works


def test_nonce_mismatch(app, client, world, police_sso):
    """A code issued for one sign-in, presented with another's state: the ID token carries
    the first sign-in's nonce, which is not the one the hub expects."""
    provider_user(police_sso.url, "mark-t", email=world.email["coordinator"])
    first = leave_for_provider(client, world.email["coordinator"])
    second = leave_for_provider(client, world.email["coordinator"])  # this browser's state now
    code = parse_qs(urlsplit(at_provider(first, "mark-t")).query)["code"][0]
    state = parse_qs(urlsplit(second).query)["state"][0]
    response = client.get(f"/sign-in/sso/police/callback?code={code}&state={state}")
    assert response.status_code == 400
    assert failure_reasons(app) == ["wrong_nonce"]
    assert client.get("/").status_code == 302


def test_domain_not_allowed(app, client, world, police_sso):
    provider_user(police_sso.url, "stranger", email="someone@elsewhere.example")
    response = sign_in_with_provider(client, world.email["coordinator"], "stranger")
    assert response.status_code == 400
    assert "does not accept" in response.get_data(as_text=True)
    assert failure_reasons(app) == ["domain_not_allowed"]
    with app.app_context():
        assert (
            db.session.execute(
                select(User).where(User.email == "someone@elsewhere.example")
            ).first()
            is None
        )


def test_an_unverified_email_is_refused(app, client, world, police_sso):
    provider_user(police_sso.url, "unverified", email="new@police.example", email_verified=False)
    assert sign_in_with_provider(client, "new@police.example", "unverified").status_code == 400
    assert failure_reasons(app) == ["email_not_verified"]


def test_an_unapproved_person_waits_with_no_roles(app, client, world, police_sso, outbox):
    provider_user(
        police_sso.url, "amy-w", email="amy.walker@police.example", name="PCSO Amy Walker"
    )
    response = sign_in_with_provider(client, "amy.walker@police.example", "amy-w")
    assert response.status_code == 403
    assert "waiting for approval" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    with app.app_context():
        amy = db.session.execute(
            select(User).where(User.email == "amy.walker@police.example")
        ).scalar_one()
        assert amy.awaiting_approval and amy.roles == [] and amy.name == "PCSO Amy Walker"
        assert amy.agency_id == world.agency_ids["police"] and amy.password_hash is None
        amy_id = amy.id
    # The police have no agency manager in this world: the system administrator is told.
    assert [m["To"] for m in outbox] == [world.email["sysadmin"]]
    assert "Amy" not in outbox[0].get_content()
    assert "/admin/approvals" in outbox[0].get_content()
    # Still waiting at the next sign-in.
    again = app.test_client()
    assert sign_in_with_provider(again, "amy.walker@police.example", "amy-w").status_code == 403
    # The agency's managers (here the system administrator) approve.
    admin = app.test_client()
    admin.sign_in(world.email["sysadmin"])
    assert "amy.walker@police.example" in admin.get("/admin/approvals").get_data(as_text=True)
    response = admin.submit(f"/admin/approvals/{amy_id}", {"decision": "approve"})
    assert response.status_code == 302 and f"/admin/users/{amy_id}" in response.headers["Location"]
    third = app.test_client()
    assert sign_in_with_provider(third, "amy.walker@police.example", "amy-w").status_code == 302
    page = third.get("/account/").get_data(as_text=True)
    assert "PCSO Amy Walker" in page and "None" in page  # signed in, with no roles yet
    actions = [e.action for e in audit(app, "sso_account_created") + audit(app, "user_approved")]
    assert actions == ["sso_account_created", "user_approved"]


def test_a_manager_of_another_agency_cannot_approve(app, client, world, police_sso):
    provider_user(police_sso.url, "amy-w", email="amy.walker@police.example")
    sign_in_with_provider(client, "amy.walker@police.example", "amy-w")
    with app.app_context():
        amy_id = db.session.execute(
            select(User.id).where(User.email == "amy.walker@police.example")
        ).scalar_one()
    manager = app.test_client()
    manager.sign_in(world.email["agency_manager"])  # Home Group's manager
    assert "amy.walker" not in manager.get("/admin/approvals").get_data(as_text=True)
    assert manager.submit(f"/admin/approvals/{amy_id}", {"decision": "approve"}).status_code == 404


def test_a_person_the_provider_refuses_cannot_sign_in(app, client, world, police_sso):
    """A disabled account at the provider is refused there; the hub then lets nobody in (and
    offers no password instead)."""
    callback = at_provider(leave_for_provider(client, world.email["coordinator"]), deny=True)
    assert "error=access_denied" in callback
    response = back_at_hub(client, callback)
    assert response.status_code == 400
    assert "did not let you in" in response.get_data(as_text=True)
    assert failure_reasons(app) == ["provider_refused"]
    assert client.get("/").status_code == 302


def test_a_provider_switched_off_here_stops_its_people_signing_in(app, client, world, police_sso):
    provider_user(police_sso.url, "mark-t", email=world.email["coordinator"])
    sign_in_with_provider(client, world.email["coordinator"], "mark-t")
    with app.app_context():
        db.session.execute(select(IdentityProvider)).scalar_one().enabled = False
        db.session.commit()
    other = app.test_client()
    # The linked person has no password: nothing lets them in until a manager sends a link.
    response = other.post(
        "/sign-in/password",
        data={
            "email": world.email["coordinator"],
            "password": world.password,
            "csrf_token": other.csrf_token(),
        },
    )
    assert response.status_code == 400


def test_single_logout_at_the_provider(app, client, world, police_sso):
    provider_user(police_sso.url, "mark-t", email=world.email["coordinator"])
    sign_in_with_provider(client, world.email["coordinator"], "mark-t")
    response = client.submit("/sign-out", token_from="/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    end_session = re.search(r'href="([^"]+)" data-testid="continue-link"', page).group(1)
    end_session = end_session.replace("&amp;", "&")
    assert end_session.startswith(police_sso.url + "/oauth2/end_session?")
    query = parse_qs(urlsplit(end_session).query)
    assert query["post_logout_redirect_uri"] == ["http://hub.test/sign-in"]
    assert query["client_id"] == ["focus-hub"]
    assert f'content="0; url={end_session}' in page.replace("&amp;", "&")
    assert client.get("/").status_code == 302  # signed out here already
    # The provider's end-session page answers.
    assert requests.get(end_session, timeout=10).status_code == 200


def test_a_provider_that_cannot_be_reached_gets_a_clear_message(app, client, world):
    add_provider(app, world, "http://127.0.0.1:9", "police", "police.example")  # nothing there
    response = client.get("/sign-in/sso/police?login_hint=x")
    assert response.status_code == 503
    assert "not answering" in response.get_data(as_text=True)
