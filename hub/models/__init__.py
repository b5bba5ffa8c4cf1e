"""Every model, imported here so Alembic and the app see the whole schema."""

from hub.models.audit import AuditEntry
from hub.models.org import Agency, AgencyKind, Hub, HubAgency
from hub.models.user import ApiToken, Role, SignInFailure, User, UserRole

__all__ = [
    "Agency",
    "AgencyKind",
    "ApiToken",
    "AuditEntry",
    "Hub",
    "HubAgency",
    "Role",
    "SignInFailure",
    "User",
    "UserRole",
]
