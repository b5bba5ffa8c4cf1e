"""System administrators keep agencies' identity providers and each hub's two-factor rule:
field errors that lose nothing, a secret kept sealed and never shown, one provider a domain."""

from sqlalchemy import select

from hub.accounts.sealing import unseal
from hub.extensions import db
from hub.models import AuditEntry, Hub, IdentityProvider

FORM = {
    "name": "Cumbria Constabulary (Microsoft)",
    "slug": "cumbria-police",
    "issuer": "https://login.microsoftonline.com/0b1c2d3e-tenant/v2.0",
    "client_id": "6f3a-client",
    "client_secret": "very-secret-value",
    "domains": "police.example\ncumbria.police.example",
    "enabled": "yes",
}


def test_a_provider_is_added_with_its_secret_sealed(app, client, world):
    client.sign_in(world.email["sysadmin"])
    response = client.submit(
        "/admin/identity-providers/new", {**FORM, "agency_id": world.agency_ids["police"]}
    )
    assert response.status_code == 302
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert "http://hub.test/sign-in/sso/cumbria-police/callback" in page
    with app.test_request_context():
        provider = db.session.execute(select(IdentityProvider)).scalar_one()
        assert provider.domain_names == ["cumbria.police.example", "police.example"]
        assert "very-secret-value" not in provider.client_secret_sealed
        assert unseal(provider.client_secret_sealed) == "very-secret-value"
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "identity_provider_created")
        ).scalar_one()
        assert "client_secret" in entry.details["fields"]
        assert "very-secret" not in str(entry.details)
    edit = client.get(f"/admin/identity-providers/{provider.id}").get_data(as_text=True)
    assert "very-secret-value" not in edit  # never shown again
    # Saved again without a secret: the secret stays.
    response = client.submit(
        f"/admin/identity-providers/{provider.id}",
        {**FORM, "client_secret": "", "name": "Police", "agency_id": world.agency_ids["police"]},
    )
    assert response.status_code == 302
    with app.test_request_context():
        provider = db.session.get(IdentityProvider, provider.id)
        assert provider.name == "Police" and provider.version == 2
        assert unseal(provider.client_secret_sealed) == "very-secret-value"


def test_bad_provider_settings_get_field_messages_and_change_nothing(app, client, world):
    client.sign_in(world.email["sysadmin"])
    response = client.submit(
        "/admin/identity-providers/new",
        {
            **FORM,
            "agency_id": world.agency_ids["police"],
            "issuer": "http://login.example.com/tenant",
            "domains": "not a domain",
            "scopes": "email profile",
            "client_secret": "",
        },
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'href="#issuer"' in page and "must use https://" in page
    assert 'href="#domains"' in page
    assert 'href="#scopes"' in page and "must include openid" in page
    assert 'value="Cumbria Constabulary (Microsoft)"' in page  # what was typed is kept
    with app.app_context():
        assert db.session.execute(select(IdentityProvider)).first() is None


def test_a_domain_signs_in_at_one_provider_only(app, client, world):
    client.sign_in(world.email["sysadmin"])
    client.submit(
        "/admin/identity-providers/new", {**FORM, "agency_id": world.agency_ids["police"]}
    )
    response = client.submit(
        "/admin/identity-providers/new",
        {
            **FORM,
            "slug": "other",
            "domains": "police.example",
            "agency_id": world.agency_ids["council"],
        },
    )
    assert response.status_code == 400
    assert "already signs in with another provider" in response.get_data(as_text=True)


def test_only_system_administrators_keep_providers(client, world):
    client.sign_in(world.email["hub_manager"])
    assert client.get("/admin/sign-in").status_code == 404
    response = client.submit(
        "/admin/identity-providers/new", {**FORM, "agency_id": world.agency_ids["council"]}
    )
    assert response.status_code == 404


def test_a_hubs_two_factor_rule_is_changed_and_audited(app, client, world):
    client.sign_in(world.email["sysadmin"])
    response = client.submit(f"/admin/hubs/{world.hub_slug}/two-factor", {"required": "yes"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Hub, world.hub_id).two_factor_required
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "hub_two_factor_changed")
        ).scalar_one()
        assert entry.details == {"before": {"required": False}, "after": {"required": True}}
