"""Personal API tokens: issued once, stored hashed, revocable; JSON errors everywhere."""

import re

from sqlalchemy import select

from hub.core.security import hash_token
from hub.extensions import db
from hub.models import ApiToken, AuditEntry


def issue_via_cli(app, email: str) -> str:
    result = app.test_cli_runner().invoke(args=["hub", "token", email, "--name", "test"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def test_cli_token_is_the_last_line_and_works(app, client, world):
    token = issue_via_cli(app, world.email["coordinator"])
    assert token.startswith("fh_")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["email"] == world.email["coordinator"]
    assert body["agency"]["kind"] == "police"
    assert body["hubs"][0]["slug"] in {"copeland", "allerdale"}
    copeland = next(h for h in body["hubs"] if h["slug"] == "copeland")
    assert copeland["roles"] == ["coordinator"]


def test_only_the_hash_is_stored(app, world):
    token = issue_via_cli(app, world.email["coordinator"])
    with app.app_context():
        row = db.session.execute(select(ApiToken)).scalar_one()
        assert row.token_hash == hash_token(token)
        assert token not in (row.token_hash, row.prefix, row.name)


def test_cli_refuses_an_unknown_email(app, world):
    result = app.test_cli_runner().invoke(args=["hub", "token", "nobody@x.example"])
    assert result.exit_code == 1
    assert "No active user" in result.output


def test_missing_and_bad_tokens_get_json_401(client, world):
    for headers in (
        {},
        {"Authorization": "Bearer fh_not-a-real-token"},
        {"Authorization": "Basic x"},
    ):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.is_json
        assert response.get_json()["error"]["code"] == "unauthenticated"


def test_a_browser_session_does_not_authenticate_the_api(client, world):
    client.sign_in(world.email["coordinator"])
    assert client.get("/api/v1/me").status_code == 401


def test_token_from_the_account_page_is_shown_once_and_can_be_revoked(app, client, world):
    client.sign_in(world.email["referrer"])
    page = client.submit("/account/tokens", {"name": "Housing feed"}).get_data(as_text=True)
    token = re.search(r'data-testid="api-token">(fh_[^<]+)<', page).group(1)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    account = client.get("/account/").get_data(as_text=True)
    assert "Housing feed" in account and token not in account
    with app.app_context():
        token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    assert client.submit(f"/account/tokens/{token_id}/revoke").status_code == 302
    response = client.get("/api/v1/me", headers=auth)
    assert response.status_code == 401
    assert "revoked" in response.get_json()["error"]["message"]


def test_a_token_name_is_required(client, world):
    client.sign_in(world.email["referrer"])
    response = client.submit("/account/tokens", {"name": ""})
    assert response.status_code == 400
    assert "Enter a name for the token" in response.get_data(as_text=True)


def test_nobody_can_revoke_another_persons_token(app, client, world):
    issue_via_cli(app, world.email["coordinator"])
    with app.app_context():
        token_id = db.session.execute(select(ApiToken.id)).scalar_one()
    client.sign_in(world.email["referrer"])
    assert client.submit(f"/account/tokens/{token_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None
        denied = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "access_denied")
        ).scalar_one()
        assert denied.target_type == "api_token"


def test_oversized_requests_get_413_and_change_nothing(app, client, world):
    token = issue_via_cli(app, world.email["coordinator"])
    big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post(
        "/api/v1/me",
        data=big,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    web = client.post("/sign-in", data={"email": "a" * (2 * 1024 * 1024)})
    assert web.status_code == 413
    assert "too large" in web.get_data(as_text=True)


def test_unknown_api_routes_and_methods_answer_in_json(app, client, world):
    token = issue_via_cli(app, world.email["coordinator"])
    auth = {"Authorization": f"Bearer {token}"}
    missing = client.get("/api/v1/nothing-here", headers=auth)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong = client.delete("/api/v1/me", headers=auth)
    assert wrong.status_code == 405 and wrong.is_json


def test_openapi_document_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert "/api/v1/me" in doc["paths"]
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_api_rate_limit_is_per_token(app, client, world, monkeypatch):
    from hub.extensions import limiter

    token = issue_via_cli(app, world.email["coordinator"])
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "2 per minute")
    limiter.reset()
    auth = {"Authorization": f"Bearer {token}"}
    statuses = [client.get("/api/v1/me", headers=auth).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/api/v1/me", headers=auth).get_json()["error"]["code"] == "rate_limited"
    limiter.reset()
