"""Accounts: signing in and out (public), your own account (anyone signed in, for their own
sessions and tokens only), and administering sign-in: identity providers and each hub's
two-factor rule (system administrators), approvals (a manager of the person's agency or a
system administrator) and resetting two-factor sign-in (whoever manages the whole account:
see permissions.can_manage_account)."""

from datetime import timedelta

from hub.accounts import tokens
from hub.accounts.sealing import seal
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import IdentityProvider, IdentityProviderDomain, User, UserSession
from tests.authz import NOBODY, SIGNED_IN, Route, expect

EVERYONE_REDIRECTED = expect(302)
SYSADMIN_ONLY = expect(404, anonymous=302, sysadmin=200)
SYSADMIN_WRITE = expect(404, anonymous=302, sysadmin=302)
PROVIDER_FORM = {
    "agency_id": "{agency_id}",
    "name": "Matrix Fire (Microsoft)",
    "slug": "matrix-fire",
    "issuer": "https://login.microsoftonline.com/matrix-tenant/v2.0",
    "client_id": "focus-hub",
    "client_secret": "a secret",
    "domains": "fire.matrix.example",
    "enabled": "yes",
}


def setup(m) -> dict:
    now = utcnow()
    member = m.users["member"]
    _token, row = tokens.issue_token(member, "to revoke")
    # A session of the member's on another device, for "sign out that session".
    elsewhere = UserSession(
        user_id=member.id,
        token_hash="e" * 64,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=12),
    )
    provider = IdentityProvider(
        agency_id=m.agencies["police"].id,
        slug="matrix-police",
        name="Matrix Police (Microsoft)",
        issuer="https://login.microsoftonline.com/matrix-police/v2.0",
        client_id="focus-hub",
        client_secret_sealed=seal("secret"),
    )
    provider.domains = [IdentityProviderDomain(domain="police.matrix.example")]
    waiting = User(
        email="new.officer@police.matrix.example",
        name="New Officer",
        agency_id=m.agencies["police"].id,
        awaiting_approval=True,
    )
    db.session.add_all([elsewhere, provider, waiting])
    db.session.flush()
    return {
        "member_token_id": row.id,
        "member_session_id": elsewhere.id,
        "provider_id": provider.id,
        "waiting_user_id": waiting.id,
    }


ROUTES = [
    # -- signing in and out: public; a signed-in person is sent home ---------------------------
    Route("auth.sign_in", "GET", "/sign-in", expect(302, anonymous=200)),
    Route(
        "auth.sign_in",
        "POST",
        "/sign-in",
        expect(302, anonymous=200),  # the password page for an address with no provider
        data={"email": "nobody@matrix.example"},
    ),
    Route(
        "auth.sign_in_password",
        "POST",
        "/sign-in/password",
        expect(302, anonymous=400),
        data={"email": "nobody@matrix.example", "password": "not the password"},
    ),
    # The second step needs a first: without one, everyone is sent to sign in.
    Route("auth.two_factor", "GET", "/sign-in/two-factor", EVERYONE_REDIRECTED),
    Route(
        "auth.two_factor", "POST", "/sign-in/two-factor", EVERYONE_REDIRECTED, data={"code": "1"}
    ),
    Route("auth.two_factor_setup", "GET", "/sign-in/two-factor/set-up", EVERYONE_REDIRECTED),
    Route(
        "auth.two_factor_setup",
        "POST",
        "/sign-in/two-factor/set-up",
        EVERYONE_REDIRECTED,
        data={"code": "123456"},
    ),
    Route("auth.sso_start", "GET", "/sign-in/sso/no-such-provider", NOBODY),
    Route("auth.sso_callback", "GET", "/sign-in/sso/no-such-provider/callback", NOBODY),
    Route("auth.sign_out", "POST", "/sign-out", EVERYONE_REDIRECTED),
    Route("auth.forgot_password", "GET", "/forgot-password", expect(200)),
    Route(
        "auth.forgot_password",
        "POST",
        "/forgot-password",
        expect(200),  # the same answer whoever asks, about whichever address
        data={"email": "member@matrix.example"},
    ),
    Route("auth.set_password", "GET", "/set-password/not-a-real-token", NOBODY),
    Route(
        "auth.set_password",
        "POST",
        "/set-password/not-a-real-token",
        NOBODY,
        data={"password": "a long enough password here", "confirm": "a long enough password here"},
    ),
    # -- your account: only your own ---------------------------------------------------------
    Route("account.show", "GET", "/account/", SIGNED_IN),
    Route("account.create_token", "POST", "/account/tokens", SIGNED_IN, data={"name": "matrix"}),
    Route(
        "account.revoke_token",
        "POST",
        "/account/tokens/{member_token_id}/revoke",
        expect(404, anonymous=302, member=302),
    ),
    Route(
        "account.end_session",
        "POST",
        "/account/sessions/{member_session_id}/end",
        expect(404, anonymous=302, member=302),
    ),
    Route("account.end_all_sessions", "POST", "/account/sessions/end-all", EVERYONE_REDIRECTED),
    Route("account.two_factor_setup", "GET", "/account/two-factor", SIGNED_IN),
    Route(
        "account.two_factor_setup",
        "POST",
        "/account/two-factor",
        expect(400, anonymous=302),  # a wrong code
        data={"code": "000000"},
    ),
    Route(
        "account.new_recovery_codes",
        "POST",
        "/account/two-factor/recovery-codes",
        EVERYONE_REDIRECTED,  # nobody here has two-factor sign-in yet
        data={"code": "000000"},
    ),
    Route(
        "account.turn_off_two_factor",
        "POST",
        "/account/two-factor/turn-off",
        expect(400, anonymous=302),
        data={"code": "000000"},
    ),
    Route("account.change_password", "GET", "/account/password", SIGNED_IN),
    Route(
        "account.change_password",
        "POST",
        "/account/password",
        expect(400, anonymous=302),  # the current password is wrong
        data={"current": "wrong", "password": "new words for me", "confirm": "new words for me"},
    ),
    # -- administering sign-in ---------------------------------------------------------------
    Route("account_admin.settings", "GET", "/admin/sign-in", SYSADMIN_ONLY),
    Route("account_admin.new_provider", "GET", "/admin/identity-providers/new", SYSADMIN_ONLY),
    Route(
        "account_admin.new_provider",
        "POST",
        "/admin/identity-providers/new",
        SYSADMIN_WRITE,
        data=PROVIDER_FORM,
    ),
    Route(
        "account_admin.edit_provider",
        "GET",
        "/admin/identity-providers/{provider_id}",
        SYSADMIN_ONLY,
    ),
    Route(
        "account_admin.edit_provider",
        "POST",
        "/admin/identity-providers/{provider_id}",
        SYSADMIN_WRITE,
        data={**PROVIDER_FORM, "slug": "matrix-police", "domains": "police.matrix.example"},
    ),
    Route(
        "account_admin.hub_two_factor",
        "POST",
        "/admin/hubs/{hub_slug}/two-factor",
        SYSADMIN_WRITE,
        data={"required": "yes"},
    ),
    Route(
        "account_admin.approvals",
        "GET",
        "/admin/approvals",
        expect(404, anonymous=302, hub_manager=200, other_hub=200, sysadmin=200),
    ),
    Route(
        "account_admin.decide",
        "POST",
        "/admin/approvals/{waiting_user_id}",
        SYSADMIN_WRITE,  # Matrix Police has no agency manager in the matrix world
        data={"decision": "approve"},
    ),
    Route(
        "account_admin.reset_two_factor",
        "POST",
        "/admin/users/{user_id}/two-factor/reset",
        expect(404, anonymous=302, hub_manager=302, sysadmin=302),
    ),
]
