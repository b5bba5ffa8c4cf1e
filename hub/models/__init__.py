"""Every model, imported here so Alembic and the app see the whole schema."""

from hub.models.audit import AuditEntry
from hub.models.case import (
    Band,
    Case,
    CaseMembership,
    CaseNote,
    MembershipRoute,
    PersonalRecord,
    Stage,
)
from hub.models.casework import (
    ActionStatus,
    Activity,
    AssessmentKind,
    CaseAction,
    CaseFollow,
    Evaluation,
    Intervention,
    Notification,
    Plan,
    PlanRevision,
    RiskAssessment,
)
from hub.models.clock import JobRun, SchedulerHeartbeat, SchedulerJob
from hub.models.conference import (
    AgendaItem,
    AgendaReason,
    Conference,
    ConferenceKind,
    ConferenceSlot,
    ConferenceStatus,
)
from hub.models.org import Agency, AgencyKind, Hub, HubAgency
from hub.models.referral import (
    HubScoringSettings,
    Incident,
    Referral,
    ReferralPerson,
)
from hub.models.sharing import (
    DataCategory,
    Disclosure,
    InformationSharingAgreement,
    IsaCategory,
    IsaSignatory,
    IsaStatus,
    IsaVersion,
    RecordRestriction,
)
from hub.models.sharing_admin import IsaReminder
from hub.models.user import ApiToken, Role, SignInFailure, User, UserRole

__all__ = [
    "AgendaItem",
    "AgendaReason",
    "Conference",
    "ConferenceKind",
    "ConferenceSlot",
    "ConferenceStatus",
    "ActionStatus",
    "Activity",
    "AssessmentKind",
    "CaseAction",
    "CaseFollow",
    "Evaluation",
    "Intervention",
    "Notification",
    "Plan",
    "PlanRevision",
    "RiskAssessment",
    "Band",
    "Case",
    "CaseMembership",
    "CaseNote",
    "DataCategory",
    "Disclosure",
    "InformationSharingAgreement",
    "JobRun",
    "IsaCategory",
    "IsaSignatory",
    "IsaReminder",
    "IsaStatus",
    "IsaVersion",
    "MembershipRoute",
    "PersonalRecord",
    "RecordRestriction",
    "SchedulerHeartbeat",
    "SchedulerJob",
    "Stage",
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
    # referrals
    "HubScoringSettings",
    "Incident",
    "Referral",
    "ReferralPerson",
]
