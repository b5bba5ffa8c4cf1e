"""How people sign in: their sessions, password links, recovery codes, and the identity
providers agencies sign in with. The services are in hub/accounts/."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import PERSONAL, UTCDateTime, created_now
from hub.models.org import Agency
from hub.models.user import User


class UserSession(db.Model):
    """One signed-in browser. The cookie carries a random token; only its SHA-256 is kept, so
    the table alone cannot be used to sign in. A session ends (ended_at) on sign-out, "sign
    out everywhere", a new password, deactivation, or when it has been idle or open too long;
    an ended session's cookie, copied or not, never works again."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the longest it may last
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_reason: Mapped[str | None] = mapped_column(String(30))
    ip_address: Mapped[str | None] = mapped_column(String(45), info=PERSONAL)
    user_agent: Mapped[str] = mapped_column(String(200), default="", info=PERSONAL)
    # Signed in through this provider (for single logout at the provider), else None.
    identity_provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_provider.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class PasswordLink(db.Model):
    """An emailed link to set or reset a password: single use, expiring, and only the newest
    one for a person works. Only the SHA-256 of the token in the link is kept."""

    __tablename__ = "password_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "set_up" (by a manager) or "reset"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app. Each carries 64 random
    bits, so its SHA-256 is a safe way to keep it (as for API tokens)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdentityProvider(db.Model):
    """An agency's OpenID Connect provider (Microsoft Entra ID, Google Workspace, …). People
    whose email address is in one of its domains sign in there, never with a password here."""

    __tablename__ = "identity_provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)  # in the redirect URI
    name: Mapped[str] = mapped_column(String(200))  # "Cumbria Constabulary (Microsoft)"
    issuer: Mapped[str] = mapped_column(String(300))
    client_id: Mapped[str] = mapped_column(String(300))
    client_secret_sealed: Mapped[str] = mapped_column(Text)  # hub/accounts/sealing.py
    scopes: Mapped[str] = mapped_column(String(300), default="openid email profile")
    email_claim: Mapped[str] = mapped_column(String(60), default="email")
    name_claim: Mapped[str] = mapped_column(String(60), default="name")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    # Bumped on every change, so each worker's cached client is rebuilt with the new settings.
    version: Mapped[int] = mapped_column(default=1)

    agency: Mapped[Agency] = relationship(lazy="joined", innerjoin=True)
    domains: Mapped[list["IdentityProviderDomain"]] = relationship(
        back_populates="provider",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="IdentityProviderDomain.domain",
    )

    @property
    def domain_names(self) -> list[str]:
        return [d.domain for d in self.domains]


class IdentityProviderDomain(db.Model):
    """An email domain routed to a provider. Unique: a domain signs in at one place only."""

    __tablename__ = "identity_provider_domain"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("identity_provider.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[str] = mapped_column(String(253), unique=True)

    provider: Mapped[IdentityProvider] = relationship(back_populates="domains")


class SsoSignIn(db.Model):
    """A sign-in sent to a provider and not yet back. Kept here rather than only in the
    browser's cookie so that its state is used once, even by someone replaying an old cookie
    with the callback URL."""

    __tablename__ = "sso_sign_in"
    __table_args__ = (UniqueConstraint("state_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("identity_provider.id", ondelete="CASCADE"), index=True
    )
    state_hash: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(200))  # PKCE
    next_url: Mapped[str] = mapped_column(String(500), default="/")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider: Mapped[IdentityProvider] = relationship()
