"""Single sign-on with each agency's OpenID Connect provider, through authlib.

The authorisation code flow with PKCE: begin() sends the browser to the provider with a state
and a nonce; finish() takes the code back, exchanges it for an ID token and checks that token
(signature against the provider's published keys, issuer, audience, expiry, nonce) before
anyone is signed in. The state is recorded here (SsoSignIn) and spent once, and must also be
the one this browser was given, so a callback URL cannot be replayed or planted.

People are matched by their provider's issuer and subject. The first sign-in of someone the
hub does not know creates their account in the provider's agency with no roles, awaiting a
manager's approval (approvals.py); someone already known by their email address in that agency
is linked to the provider instead, and from then on signs in only there.
"""

import hashlib
import logging
import re
import time
from dataclasses import dataclass

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from joserfc.errors import JoseError
from marshmallow import ValidationError
from sqlalchemy import select, update

from hub import audit
from hub.accounts import approvals
from hub.accounts.sealing import UnreadableSecret, seal, unseal
from hub.accounts.sign_in import email_domain, find_user_by_email, normalise_email
from hub.core import mail
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import Agency, IdentityProvider, IdentityProviderDomain, SsoSignIn, User

log = logging.getLogger("hub.accounts.oidc")

ATTEMPT_LIFETIME_SECONDS = 600  # from leaving for the provider to coming back
_CLIENT_TTL_SECONDS = 3600  # re-read the discovery document (and keys) hourly
_LEEWAY_SECONDS = 60  # clock difference tolerated between the provider and the hub
_HTTP_TIMEOUT_SECONDS = 10
_clients: dict[tuple, tuple[float, FlaskOAuth2App]] = {}


class SsoError(Exception):
    """A sign-in the provider or the hub refused. `reason` is a code for the audit log and
    for choosing the message shown."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SsoResult:
    user: User
    awaiting_approval: bool
    next_url: str = "/"


# -- finding the provider -------------------------------------------------------------------------


def provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled provider this address's domain signs in with, if any."""
    domain = email_domain(email)
    if not domain:
        return None
    return db.session.execute(
        select(IdentityProvider)
        .join(IdentityProviderDomain, IdentityProviderDomain.provider_id == IdentityProvider.id)
        .where(IdentityProviderDomain.domain == domain, IdentityProvider.enabled.is_(True))
    ).scalar_one_or_none()


def provider_by_slug(slug: str) -> IdentityProvider | None:
    return db.session.execute(
        select(IdentityProvider).where(
            IdentityProvider.slug == slug, IdentityProvider.enabled.is_(True)
        )
    ).scalar_one_or_none()


def redirect_uri(provider: IdentityProvider) -> str:
    """The address to register with the provider (BASE_URL and this provider's callback)."""
    return mail.external_url("auth.sso_callback", slug=provider.slug)


def _normalised_issuer(issuer: str) -> str:
    return issuer.rstrip("/")


def _client(provider: IdentityProvider) -> FlaskOAuth2App:
    """authlib's client for a provider, kept per worker until the provider's settings change
    or an hour passes (so a provider's new keys or endpoints are picked up)."""
    # Keyed by everything the client is built from, so a changed provider is never served
    # by a client built for its old settings.
    key = (provider.id, provider.version, provider.issuer, provider.client_id)
    key += (provider.client_secret_sealed, provider.scopes)
    cached = _clients.get(key)
    if cached and time.monotonic() - cached[0] < _CLIENT_TTL_SECONDS:
        return cached[1]
    try:
        secret = unseal(provider.client_secret_sealed)
    except UnreadableSecret:
        raise SsoError("client_secret_unreadable") from None
    name = f"provider-{provider.id}"
    client = FlaskOAuth2App(
        FlaskIntegration(name),
        name=name,
        client_id=provider.client_id,
        client_secret=secret,
        server_metadata_url=_normalised_issuer(provider.issuer)
        + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": provider.scopes,
            "code_challenge_method": "S256",
            "default_timeout": _HTTP_TIMEOUT_SECONDS,
        },
    )
    for old in [k for k in _clients if k[0] == provider.id]:
        del _clients[old]
    _clients[key] = (time.monotonic(), client)
    return client


def _metadata(provider: IdentityProvider, client: FlaskOAuth2App) -> dict:
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError):
        log.exception("discovery document of provider %s could not be read", provider.id)
        raise SsoError("provider_unreachable") from None
    # OpenID Connect Discovery: the document must name exactly the issuer we were told.
    if _normalised_issuer(str(metadata.get("issuer", ""))) != _normalised_issuer(provider.issuer):
        raise SsoError("wrong_issuer")
    return metadata


# -- the flow -------------------------------------------------------------------------------------


def begin(provider: IdentityProvider, *, next_url: str, login_hint: str | None) -> tuple[str, str]:
    """Start a sign-in: (the provider's authorisation URL, the state for this browser's
    cookie). The caller commits."""
    client = _client(provider)
    _metadata(provider, client)
    extra = {"login_hint": login_hint} if login_hint else {}
    try:
        rv = client.create_authorization_url(redirect_uri(provider), **extra)
    except requests.RequestException:
        raise SsoError("provider_unreachable") from None
    db.session.add(
        SsoSignIn(
            provider_id=provider.id,
            state_hash=_digest(rv["state"]),
            nonce=rv["nonce"],
            code_verifier=rv["code_verifier"],
            next_url=next_url[:500],
        )
    )
    db.session.flush()
    return rv["url"], rv["state"]


def _digest(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _spend_state(provider: IdentityProvider, state: str) -> SsoSignIn:
    """The sign-in this state started, spent now: a second use, an old one, or one begun
    for another provider is refused."""
    row = db.session.execute(
        select(SsoSignIn).where(SsoSignIn.state_hash == _digest(state))
    ).scalar_one_or_none()
    if row is None or row.provider_id != provider.id:
        raise SsoError("unknown_state")
    age = (utcnow() - row.created_at).total_seconds()
    spent = db.session.execute(
        update(SsoSignIn)
        .where(SsoSignIn.id == row.id, SsoSignIn.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if spent != 1:
        raise SsoError("replayed_state")
    if age > ATTEMPT_LIFETIME_SECONDS:
        raise SsoError("expired_state")
    return row


def finish(provider: IdentityProvider, args: dict, browser_state: str | None) -> SsoResult:
    """The provider has sent the browser back. Check everything, then find, link or create
    the person. Raises SsoError; the caller audits the outcome and commits either way."""
    state = args.get("state") or ""
    ours = bool(state) and state == browser_state
    if args.get("error"):
        # The provider refused: the person cancelled, or their account there is disabled.
        # Nothing is accepted, so this is said whether or not the state came back with it.
        if ours:
            _spend_state(provider, state)
        raise SsoError("provider_refused")
    if not ours:
        # Not the sign-in this browser began (a planted link): spend nothing of anyone's.
        raise SsoError("state_mismatch")
    attempt = _spend_state(provider, state)
    if not args.get("code"):
        raise SsoError("no_code")
    client = _client(provider)
    metadata = _metadata(provider, client)
    try:
        token = client.fetch_access_token(
            redirect_uri=redirect_uri(provider),
            code=args["code"],
            code_verifier=attempt.code_verifier,
        )
        claims = client.parse_id_token(
            token,
            nonce=attempt.nonce,
            claims_options={
                # exactly as the discovery document (checked against ours) spells it
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": provider.client_id},
            },
            leeway=_LEEWAY_SECONDS,
        )
    except JoseError as exc:
        raise SsoError(_token_problem(exc)) from None
    except OAuthError:
        raise SsoError("code_refused") from None
    except requests.RequestException:
        raise SsoError("provider_unreachable") from None
    if claims is None:
        raise SsoError("no_id_token")
    user = _person(provider, dict(claims))
    return SsoResult(user, awaiting_approval=user.awaiting_approval, next_url=attempt.next_url)


def _token_problem(exc: JoseError) -> str:
    """Which check an ID token failed, for the audit log."""
    name = type(exc).__name__
    claim = getattr(exc, "claim", None) or ""
    if name == "ExpiredTokenError":
        return "expired_id_token"
    if claim in {"iss", "aud", "nonce", "azp"}:
        return f"wrong_{claim}"
    if "Signature" in name or "Key" in name:
        return "bad_signature"
    return "invalid_id_token"


_NAME_SPACE = re.compile(r"\s+")


def _person(provider: IdentityProvider, claims: dict) -> User:
    email = normalise_email(str(claims.get(provider.email_claim) or ""))
    if "@" not in email or len(email) > 254:
        raise SsoError("no_email")
    if claims.get("email_verified") is False:
        raise SsoError("email_not_verified")
    if email_domain(email) not in provider.domain_names:
        raise SsoError("domain_not_allowed")
    name = _NAME_SPACE.sub(" ", str(claims.get(provider.name_claim) or "")).strip()[:200]
    subject = str(claims["sub"])
    user = db.session.execute(
        select(User).where(User.oidc_issuer == provider.issuer, User.oidc_subject == subject)
    ).scalar_one_or_none()
    if user is None:
        user = _link_or_create(provider, email, name or email, subject)
    elif user.agency_id != provider.agency_id:
        raise SsoError("wrong_agency")
    elif user.email != email:
        if find_user_by_email(email) is not None:
            raise SsoError("email_taken")
        user.email = email  # their organisation changed their address
    if name and user.name != name and not user.awaiting_approval:
        user.name = name
    if not user.is_active_account:
        raise SsoError("deactivated")
    return user


def _link_or_create(provider: IdentityProvider, email: str, name: str, subject: str) -> User:
    user = find_user_by_email(email)
    if user is not None:
        if user.agency_id != provider.agency_id or user.oidc_subject is not None:
            raise SsoError("account_conflict")
        # Known here already: from now on they sign in with their organisation's account.
        user.identity_provider_id = provider.id
        user.oidc_issuer, user.oidc_subject = provider.issuer, subject
        user.password_hash = None
        audit.record(
            "sso_linked",
            user=user,
            target=user,
            target_type="user",
            details={"provider_id": provider.id},
        )
        return user
    user = User(
        email=email,
        name=name,
        agency_id=provider.agency_id,
        identity_provider_id=provider.id,
        oidc_issuer=provider.issuer,
        oidc_subject=subject,
        awaiting_approval=True,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        "sso_account_created",
        user=user,
        target=user,
        target_type="user",
        details={"provider_id": provider.id, "agency_id": provider.agency_id},
    )
    approvals.ask_for_approval(user)
    return user


def logout_url(provider: IdentityProvider, post_logout_redirect_uri: str) -> str | None:
    """Where to send the browser to sign out at the provider too (OpenID Connect RP-Initiated
    Logout), when its discovery document offers an end_session_endpoint."""
    try:
        client = _client(provider)
        metadata = _metadata(provider, client)
    except SsoError:
        return None
    if not metadata.get("end_session_endpoint"):
        return None
    return client.create_logout_url(
        post_logout_redirect_uri=post_logout_redirect_uri, client_id=provider.client_id
    )["url"]


# -- system administrators keep the providers ---------------------------------------------------


def save_provider(data: dict, *, actor: User, provider: IdentityProvider | None = None):
    """Create or change a provider from validated form data (schemas.IdentityProviderSchema).
    A domain may sign in at one provider only. The caller commits."""
    if db.session.get(Agency, data["agency_id"]) is None:
        raise ValidationError({"agency_id": ["Choose an agency from the list"]})
    domains = data.pop("domains")
    secret = data.pop("client_secret", None)
    taken = (
        db.session.execute(
            select(IdentityProviderDomain.domain).where(
                IdentityProviderDomain.domain.in_(domains),
                IdentityProviderDomain.provider_id != (provider.id if provider else -1),
            )
        )
        .scalars()
        .all()
    )
    if taken:
        raise ValidationError(
            {"domains": [f"{', '.join(sorted(taken))} already signs in with another provider"]}
        )
    slug_owner = db.session.execute(
        select(IdentityProvider.id).where(IdentityProvider.slug == data["slug"])
    ).scalar_one_or_none()
    if slug_owner is not None and (provider is None or slug_owner != provider.id):
        raise ValidationError({"slug": ["Another provider already uses this short name"]})
    if provider is None:
        if not secret:
            raise ValidationError({"client_secret": ["Enter the client secret"]})
        provider = IdentityProvider(**data, client_secret_sealed=seal(secret))
        db.session.add(provider)
        action = "identity_provider_created"
    else:
        for key, value in data.items():
            setattr(provider, key, value)
        if secret:
            provider.client_secret_sealed = seal(secret)
        provider.version += 1
        action = "identity_provider_changed"
    provider.domains = [d for d in provider.domains if d.domain in domains] + [
        IdentityProviderDomain(domain=d) for d in domains if d not in provider.domain_names
    ]
    db.session.flush()
    audit.record(
        action,
        user=actor,
        target=provider,
        details={
            "agency_id": provider.agency_id,
            "fields": sorted(data) + (["client_secret"] if secret else []),
        },
    )
    return provider
