"""People who sign in, their roles in each hub, and their API tokens. How they sign in
(sessions, two-factor, single sign-on) is in hub/models/accounts.py."""

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.extensions import db
from hub.models.base import PERSONAL, UTCDateTime, created_now
from hub.models.org import Agency, Hub


class Role(StrEnum):
    REFERRER = "referrer"
    CASE_WORKER = "case_worker"
    COORDINATOR = "coordinator"
    SPOC = "spoc"
    HUB_MANAGER = "hub_manager"
    ANALYST = "analyst"
    AGENCY_MANAGER = "agency_manager"
    SYSADMIN = "sysadmin"
    DATA_PROTECTION_OFFICER = "dpo"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def hub_scoped(self) -> bool:
        """Most roles are held in one hub; agency managers and system administrators are not."""
        return self not in (Role.AGENCY_MANAGER, Role.SYSADMIN)


ROLE_LABELS = {
    Role.REFERRER: "Referrer",
    Role.CASE_WORKER: "Case worker",
    Role.COORDINATOR: "Coordinator",
    Role.SPOC: "Single point of contact (SPoC)",
    Role.HUB_MANAGER: "Hub manager",
    Role.ANALYST: "Analyst",
    Role.AGENCY_MANAGER: "Agency manager",
    Role.SYSADMIN: "System administrator",
    Role.DATA_PROTECTION_OFFICER: "Data protection officer",
}


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, info=PERSONAL)
    name: Mapped[str] = mapped_column(String(200), info=PERSONAL)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Single sign-on: the identity provider this person signs in with, and who they are there
    # (the issuer and subject of their ID tokens). Such a person has no password here.
    identity_provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("identity_provider.id", ondelete="SET NULL"), index=True
    )
    oidc_issuer: Mapped[str | None] = mapped_column(String(300))
    oidc_subject: Mapped[str | None] = mapped_column(String(300), info=PERSONAL)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Made by a first single sign-on: no session until a manager of the agency approves.
    awaiting_approval: Mapped[bool] = mapped_column(server_default=false())
    # Two-factor sign-in: the TOTP key (sealed, see hub/accounts/sealing.py), when it was
    # confirmed, and the last time step used, so a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(300))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When this person was told their unused account will be switched off (cleared by use).
    dormancy_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject"),)

    agency: Mapped[Agency] = relationship(lazy="joined", innerjoin=True)
    roles: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    identity_provider: Mapped["IdentityProvider | None"] = relationship()  # noqa: F821

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.is_active_account and not self.awaiting_approval

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def uses_single_sign_on(self) -> bool:
        return self.oidc_subject is not None

    def role_names(self, hub: Hub | None = None) -> set[str]:
        return {r.role for r in self.roles if hub is None or r.hub_id in (None, hub.id)}

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(db.Model):
    """A role held by a user: in one hub, or (agency manager, system administrator) unscoped."""

    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "hub_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hub.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))

    user: Mapped[User] = relationship(back_populates="roles")
    # Loaded when asked, not joined to every load of a role: the signed-in person's roles are
    # loaded on every request, and their hub is almost always in the session already, as one
    # of their agency's hubs (a many-to-one by its key is then found without a statement).
    hub: Mapped[Hub | None] = relationship()

    @property
    def label(self) -> str:
        return Role(self.role).label


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is stored: the token is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(
        String(16)
    )  # shown in lists so a person can tell them apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class SignInFailure(db.Model):
    """A failed sign-in, keyed by the email typed whether or not an account has it, so lockout
    behaves the same for unknown addresses and reveals nothing. Only a keyed hash of the
    address is kept: a mistyped address is someone's personal data."""

    __tablename__ = "sign_in_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=created_now, index=True)
    ip_address: Mapped[str | None] = mapped_column(String(45))
