"""Single sign-on in a real browser: the email first, the hub's page moving on to the
organisation's provider (a real one on localhost, oidc-provider-mock), signing in there, back
to the hub signed in, and signing out of both (RP-initiated logout)."""

import re

from playwright.sync_api import expect

from hub.accounts import oidc
from hub.extensions import db
from hub.models import Agency, IdentityProvider, User
from tests.accounts.conftest import oidc_provider, provider_user  # noqa: F401 - a fixture
from tests.support.factories import make_user


def test_the_whole_redirect_dance(live_server, page, oidc_provider):  # noqa: F811
    app = live_server.app
    base_url = app.config["BASE_URL"]
    app.config["BASE_URL"] = live_server.url  # the provider sends the browser back here
    try:
        with app.test_request_context():
            police = db.session.execute(
                db.select(Agency).where(Agency.name == "Cumbria Constabulary")
            ).scalar_one()
            admin = db.session.execute(
                db.select(User).where(User.email == live_server.world.email["sysadmin"])
            ).scalar_one()
            make_user("inspector@sso-police.example", police, ("coordinator", police.hubs[0]))
            oidc.save_provider(
                {
                    "agency_id": police.id,
                    "name": "Cumbria Constabulary (test provider)",
                    "slug": "sso-police",
                    "issuer": oidc_provider.url,
                    "client_id": "focus-hub",
                    "client_secret": "browser test secret",
                    "domains": ["sso-police.example"],
                    "email_claim": "email",
                    "name_claim": "name",
                    "scopes": "openid email profile",
                    "enabled": True,
                },
                actor=admin,
            )
            db.session.commit()
        provider_user(
            oidc_provider.url,
            "inspector-sub",
            email="inspector@sso-police.example",
            name="Insp Jane Rigg",
        )
        errors = []  # on our pages (the provider's own pages fetch styles from the internet)

        def on_console(message):
            if message.type == "error" and message.location["url"].startswith(live_server.url):
                errors.append(message.text)

        page.on("console", on_console)

        page.goto(live_server.url + "/sign-in")
        page.get_by_label("Email address").fill("inspector@sso-police.example")
        page.get_by_role("button", name="Continue").click()
        # Our page moves the browser on to the provider's sign-in page by itself.
        page.wait_for_url(re.compile(re.escape(oidc_provider.url) + "/oauth2/authorize"))
        page.get_by_placeholder("sub").fill("inspector-sub")
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(live_server.url + "/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Hello,")
        expect(page.get_by_test_id("signed-in-as")).to_contain_text("Insp Jane Rigg")

        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(re.compile(re.escape(oidc_provider.url) + "/oauth2/end_session"))
        page.get_by_role("button", name="End session").click()
        page.wait_for_url(re.compile(re.escape(live_server.url) + "/sign-in"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Sign in")
        page.goto(live_server.url + "/")
        assert page.url.startswith(live_server.url + "/sign-in")
        assert errors == [], errors
    finally:
        app.config["BASE_URL"] = base_url
        with app.app_context():
            for row in db.session.execute(db.select(IdentityProvider)).scalars():
                row.enabled = False  # nothing else in the live world signs in there
            db.session.commit()
