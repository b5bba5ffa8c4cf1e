"""The one permission module. Every view declares a policy with @requires; object-level
decisions are the functions below; lists are filtered in SQL by the same rules.

A denial looks exactly like a missing page (404) and is written to the audit log.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache, wraps
from typing import NoReturn

from flask import abort, current_app, g, has_app_context, request
from flask_login import current_user
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    and_,
    bindparam,
    event,
    exists,
    false,
    or_,
    select,
)
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from hub import audit
from hub.core.database import dialect_insert, dialect_name, read_values
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db, htmx, login_manager
from hub.models import (
    Activity,
    Agency,
    Case,
    CaseMembership,
    CaseReview,
    Conference,
    ConferenceKind,
    Disclosure,
    Hub,
    HubAgency,
    InformationSharingAgreement,
    IsaCategory,
    IsaSignatory,
    IsaStatus,
    Lesson,
    LessonStatus,
    PersonalRecord,
    RecordRestriction,
    Role,
    User,
    UserRole,
    Victim,
)
from hub.models.referral import Referral, ReferralPerson, ReferralStatus

# -- who holds what --------------------------------------------------------------------------


def is_sysadmin(user) -> bool:
    return user.is_authenticated and Role.SYSADMIN in user.role_names()


def has_hub_role(user, hub: Hub, *roles: Role) -> bool:
    if not user.is_authenticated:
        return False
    return any(r.role in roles and r.hub_id == hub.id for r in user.roles)


def hubs_of(user) -> list[Hub]:
    """The hubs a user works in: those their agency belongs to."""
    return list(user.agency.hubs) if user.is_authenticated else []


def is_in_hub(user, hub: Hub) -> bool:
    return user.is_authenticated and any(h.id == hub.id for h in user.agency.hubs)


def can_manage_hub(user, hub: Hub) -> bool:
    """Hub managers run their own hub's agencies and users; system administrators any hub."""
    return is_sysadmin(user) or (is_in_hub(user, hub) and has_hub_role(user, hub, Role.HUB_MANAGER))


def managed_hub_ids(user) -> set[int]:
    return {r.hub_id for r in user.roles if r.role == Role.HUB_MANAGER and r.hub_id is not None}


def is_agency_manager(user, agency_id: int) -> bool:
    return user.agency_id == agency_id and Role.AGENCY_MANAGER in user.role_names()


def can_administer_users(user) -> bool:
    if not user.is_authenticated:
        return False
    names = user.role_names()
    return bool(names & {Role.SYSADMIN, Role.HUB_MANAGER, Role.AGENCY_MANAGER})


def manageable_users(actor) -> Select:
    """Users the actor may manage, as SQL: everyone for a system administrator; the users of
    agencies in the hubs they manage for a hub manager; their own agency's for an agency
    manager."""
    query = select(User)
    if is_sysadmin(actor):
        return query
    conditions = []
    hub_ids = managed_hub_ids(actor)
    if hub_ids:
        conditions.append(
            User.agency_id.in_(select(HubAgency.agency_id).where(HubAgency.hub_id.in_(hub_ids)))
        )
    if Role.AGENCY_MANAGER in actor.role_names():
        conditions.append(User.agency_id == actor.agency_id)
    if not conditions:
        return query.where(False)
    return query.where(or_(*conditions))


def can_manage_user(actor, target: User) -> bool:
    if not actor.is_authenticated:
        return False
    query = manageable_users(actor).where(User.id == target.id)
    return db.session.execute(query.with_only_columns(User.id)).first() is not None


def can_manage_account(actor, target: User) -> bool:
    """Acts on a whole account (switching it off or on, password links, resetting two-factor
    sign-in), which reaches every hub the person works in. A system administrator's account
    is only for system administrators; an agency manager acts for their own agency's people;
    a hub manager only for people whose roles are all in hubs they manage, so hub B's manager
    cannot lock hub A's people out of hub A."""
    if not can_manage_user(actor, target):
        return False
    if is_sysadmin(actor):
        return True
    if Role.SYSADMIN in target.role_names():
        return False
    if is_agency_manager(actor, target.agency_id):
        return True
    managed = managed_hub_ids(actor)
    return all(r.hub_id is not None and r.hub_id in managed for r in target.roles)


def can_approve_account(actor, target: User) -> bool:
    """Someone waiting after their first single sign-on is approved by a manager of their own
    agency, or a system administrator."""
    return is_sysadmin(actor) or (
        actor.is_authenticated and is_agency_manager(actor, target.agency_id)
    )


def manageable_agencies(actor) -> Select:
    """Agencies whose users the actor may create or manage."""
    query = select(Agency).order_by(Agency.name)
    if is_sysadmin(actor):
        return query
    hub_ids = managed_hub_ids(actor)
    conditions = [Agency.id.in_(select(HubAgency.agency_id).where(HubAgency.hub_id.in_(hub_ids)))]
    if Role.AGENCY_MANAGER in actor.role_names():
        conditions.append(Agency.id == actor.agency_id)
    return query.where(or_(*conditions))


# Roles an agency manager may give their own people; running a hub (coordinator, hub manager)
# is the hub manager's decision.
AGENCY_GRANTABLE = (Role.REFERRER, Role.CASE_WORKER, Role.SPOC, Role.ANALYST)


def grantable_roles(actor, hub: Hub | None) -> list[Role]:
    """Roles the actor may give (to people they may manage): any by a system administrator;
    hub roles in hubs they manage by a hub manager, who may also make agency managers; the
    everyday hub roles in their agency's hubs by an agency manager."""
    if is_sysadmin(actor):
        return list(Role) if hub is None else [r for r in Role if r.hub_scoped]
    if hub is None:
        return [Role.AGENCY_MANAGER] if managed_hub_ids(actor) else []
    roles: list[Role] = []
    if can_manage_hub(actor, hub):
        roles = [r for r in Role if r.hub_scoped]
    elif Role.AGENCY_MANAGER in actor.role_names() and is_in_hub(actor, hub):
        roles = list(AGENCY_GRANTABLE)
    return roles


# -- section 115: who may see personal data on a case ------------------------------------------
#
# An agency's user may see a record of data category C on case X only when all hold:
#   1. the agency is an active member of case X;
#   2. an ISA in force today covers the hub, names the agency as signatory, and covers C;
#   3. the record is not restricted by its originating agency to a list without this agency;
#   4. the user's role in the hub allows the action.
# Lists apply these as SQL (cases_with_access, visible_records); single objects use the
# Python twins (can_access_case, can_see_record). Tests check the two agree.


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    EXPORT = "export"
    ADMINISTER = "administer"


# Which hub roles may do what with personal case data. Referrers see their own referrals
# (referrals/) and the board; analysts see the board and figures, not people.
ROLE_ACTIONS: dict[Action, frozenset[str]] = {
    Action.READ: frozenset({Role.CASE_WORKER, Role.COORDINATOR, Role.SPOC, Role.HUB_MANAGER}),
    Action.WRITE: frozenset({Role.CASE_WORKER, Role.COORDINATOR, Role.SPOC, Role.HUB_MANAGER}),
    Action.EXPORT: frozenset({Role.COORDINATOR, Role.HUB_MANAGER}),
    Action.ADMINISTER: frozenset({Role.HUB_MANAGER}),
}


def hub_today() -> date:
    """Today's date in England and Wales: agreements start and expire at local midnight."""
    return utcnow().astimezone(LONDON).date()


def isa_in_force(today: date):
    """SQL: the agreement is in force on `today` (status and dates, never a job's flag)."""
    isa = InformationSharingAgreement
    return and_(
        isa.status == IsaStatus.IN_FORCE.value,
        isa.starts_on <= today,
        or_(isa.expires_on.is_(None), isa.expires_on >= today),
    )


@cache
def _agreements_of_agency() -> Select:
    """sharing_agreements' query, built once (every case page asks it): the categories an
    agency has signed for in a hub, under agreements in force on a day."""
    isa = InformationSharingAgreement
    return (
        select(IsaCategory.category, isa.id, isa.reference)
        .join(isa, IsaCategory.isa_id == isa.id)
        .join(IsaSignatory, IsaSignatory.isa_id == isa.id)
        .where(
            isa.hub_id == bindparam("hub_id"),
            IsaSignatory.agency_id == bindparam("agency_id"),
            isa_in_force(bindparam("today")),
        )
        .order_by(isa.id.desc())
    )


def sharing_agreements(agency_id: int, hub_id: int, today: date | None = None) -> dict[str, int]:
    """Data category → the agreement (lowest id) under which this agency may receive it in
    this hub today. One query, remembered for the rest of the request with the agreements'
    references, which the audit entries of reads under them name (_agreement_references)."""
    today = today or hub_today()
    key = (agency_id, hub_id, today)
    cache = g.setdefault("_s115_cache", {}) if has_app_context() else {}
    if key not in cache:
        params = {"hub_id": hub_id, "agency_id": agency_id, "today": today}
        rows = read_values(_agreements_of_agency(), params).all()
        cache[key] = {c: i for c, i, _ in rows}  # lowest id wins
        if has_app_context():
            g.setdefault("_isa_references", {}).update({i: ref for _, i, ref in rows})
    return cache[key]


def shared_categories(agency_id: int, hub_id: int, today: date | None = None) -> frozenset[str]:
    """The data categories this agency may receive in this hub today."""
    return frozenset(sharing_agreements(agency_id, hub_id, today))


def role_allows(user, hub_id: int, action: Action) -> bool:
    if not user.is_authenticated:
        return False
    allowed = ROLE_ACTIONS[action]
    return any(r.hub_id == hub_id and r.role in allowed for r in user.roles)


def active_member_agency_ids(case_id: int) -> Select:
    return select(CaseMembership.agency_id).where(
        CaseMembership.case_id == case_id, CaseMembership.removed_at.is_(None)
    )


@cache
def _membership_of_agency() -> Select:
    return (
        active_member_agency_ids(bindparam("case_id"))
        .where(CaseMembership.agency_id == bindparam("agency_id"))
        .limit(1)
    )


def is_case_member(agency_id: int, case_id: int) -> bool:
    params = {"case_id": case_id, "agency_id": agency_id}
    return read_values(_membership_of_agency(), params).first() is not None


def _membership_clause(agency_id: int):
    return exists().where(
        CaseMembership.case_id == Case.id,
        CaseMembership.agency_id == agency_id,
        CaseMembership.removed_at.is_(None),
    )


def board_cases(user, hub: Hub) -> Select:
    """Everyone in the hub sees every case's board card, and nothing personal on it. The
    same statement as the board's own (board_cases_query), with this user's values bound."""
    return board_cases_query().params(**board_params(user, hub))


@cache
def board_cases_query() -> Select:
    """board_cases as a statement built once (the board is read every few seconds by
    everyone in the hub): run it, or what is built on it, with board_params()."""
    return select(Case).where(
        Case.hub_id == bindparam("hub_id"), bindparam("in_hub", type_=Boolean)
    )


def board_params(user, hub: Hub) -> dict:
    """The values for board_cases_query(): the hub, and whether the user is in it."""
    return {"hub_id": hub.id, "in_hub": is_in_hub(user, hub)}


def cases_with_access(user, hub: Hub, action: Action = Action.READ) -> Select:
    """Cases whose personal data (in some category) the user may reach for `action`: rules
    1, 2 (some category) and 4, in SQL. Records inside still pass visible_records()."""
    if not (
        is_in_hub(user, hub)
        and role_allows(user, hub.id, action)
        and shared_categories(user.agency_id, hub.id)
    ):
        return select(Case).where(false())
    return select(Case).where(Case.hub_id == hub.id, _membership_clause(user.agency_id))


def can_access_case(
    user, case: Case, action: Action = Action.READ, *, member=is_case_member
) -> bool:
    """The Python twin of cases_with_access, for one case."""
    hub = case.hub
    return (
        is_in_hub(user, hub)
        and role_allows(user, hub.id, action)
        and bool(shared_categories(user.agency_id, hub.id))
        and member(user.agency_id, case.id)
    )


def _restriction_clause(model, agency_id: int):
    return or_(
        model.restricted.is_(False),
        model.origin_agency_id == agency_id,
        exists().where(
            RecordRestriction.record_type == model.record_type,
            RecordRestriction.record_id == model.id,
            RecordRestriction.agency_id == agency_id,
        ),
    )


def visible_records(user, model: type[PersonalRecord], hub: Hub, action: Action = Action.READ):
    """SQL: the records of `model` (which has case_id) this user may see, all four rules.
    Callers add their own filters (a case, an order) on top."""
    # Joined to Case either way, so callers may add Case columns to what is returned.
    query = select(model).join(Case, Case.id == model.case_id)
    return query.where(Case.hub_id == hub.id, _case_record_clause(user, model, hub, action))


def _case_record_clause(user, model: type[PersonalRecord], hub: Hub, action: Action = Action.READ):
    """The four rules for records of `model` on the hub's cases, as a WHERE clause; the
    caller joins Case (or correlates model.case_id)."""
    categories = _readable_categories(user, hub, action)
    if not categories:
        return false()
    return _records_rule(model, user.agency_id, categories)


def _readable_categories(user, hub: Hub, action: Action) -> list[str]:
    """Rule 1 and the role, then rule 2's categories: what the user may reach in the hub's
    records for `action`, or nothing at all."""
    categories = shared_categories(user.agency_id, hub.id) if user.is_authenticated else set()
    if not (is_in_hub(user, hub) and role_allows(user, hub.id, action) and categories):
        return []
    return sorted(categories)


def _records_rule(model: type[PersonalRecord], agency_id, categories):
    """Rules 2 to 4 for records of `model`: the agency is a member of the record's case, its
    agreements cover the record's category, and a restricted record is shared with it.
    `agency_id` and `categories` are values, or bind parameters (case_records)."""
    return and_(
        exists().where(
            CaseMembership.case_id == model.case_id,
            CaseMembership.agency_id == agency_id,
            CaseMembership.removed_at.is_(None),
        ),
        model.category.in_(categories),
        _restriction_clause(model, agency_id),
    )


@cache
def case_records(model: type[PersonalRecord]) -> Select:
    """visible_records for the records of one case, as a statement built once per model (a
    case page runs it on every view): run it with case_records_params(). Callers build their
    own (ordered, with options) on top of it once too."""
    return (
        select(model)
        .join(Case, Case.id == model.case_id)
        .where(
            model.case_id == bindparam("case_id"),
            Case.hub_id == bindparam("hub_id"),
            bindparam("allowed", type_=Boolean),  # rule 1 and the role, decided in Python
            _records_rule(model, bindparam("agency_id"), bindparam("categories", expanding=True)),
        )
    )


def case_records_params(user, case: Case, action: Action = Action.READ) -> dict:
    """The values for a case_records() statement: what this user may see of the case."""
    categories = _readable_categories(user, case.hub, action)
    return {
        "case_id": case.id,
        "hub_id": case.hub_id,
        "allowed": bool(categories),
        "agency_id": getattr(user, "agency_id", None),
        "categories": categories,
    }


def read_case_records(user, case: Case, query: Select, *, what: str) -> list:
    """Run a case_records() statement (or one built on it) as this user on this case, and
    audit the read of what it returns (record_read)."""
    rows = list(db.session.execute(query, case_records_params(user, case)).unique().scalars())
    record_read(user, case, rows, what=what)
    return rows


def can_see_record(user, record: PersonalRecord, case: Case, action: Action = Action.READ) -> bool:
    """The Python twin of visible_records, for one record."""
    if record.case_id != case.id or not can_access_case(user, case, action):
        return False
    if record.category not in shared_categories(user.agency_id, case.hub_id):
        return False
    if not record.restricted or record.origin_agency_id == user.agency_id:
        return True
    query = select(RecordRestriction.id).where(
        RecordRestriction.record_type == record.record_type,
        RecordRestriction.record_id == record.id,
        RecordRestriction.agency_id == user.agency_id,
    )
    return db.session.execute(query.limit(1)).first() is not None


def record_read(user, case: Case, records, *, what: str) -> None:
    """Audit a read of personal data on a case and enter every disclosure (a record that came
    from another agency) in the register. Call it for what a page or response actually shows;
    the caller commits. A constant number of queries, however many records."""
    records = list(records)
    if not records:
        return
    agreements = sharing_agreements(user.agency_id, case.hub_id)
    categories = sorted({r.category for r in records})
    ids: dict[str, list[int]] = {}
    for r in records:
        ids.setdefault(r.record_type, []).append(r.id)
    references = _agreement_references(
        {agreements[c] for c in categories if c in agreements}
    ).values()
    audit.record(
        "personal_data_read",
        user=user,
        hub=case.hub_id,
        target=case,
        legal_basis="s115 Crime and Disorder Act 1998; ISA " + ", ".join(sorted(references)),
        details={"what": what, "categories": categories, "records": ids},
    )
    disclosed = {
        (r.origin_agency_id, r.category) for r in records if r.origin_agency_id != user.agency_id
    }
    if not disclosed:
        return
    now = utcnow()
    rows = [
        {
            "hub_id": case.hub_id,
            "case_id": case.id,
            "from_agency_id": from_agency_id,
            "to_agency_id": user.agency_id,
            "category": category,
            "isa_id": agreements[category],
            "first_disclosed_at": now,
            "last_disclosed_at": now,
            "times": 1,
        }
        for from_agency_id, category in sorted(disclosed)
    ]
    db.session.execute(_register_disclosures(dialect_name()), rows)


@cache
def _register_disclosures(dialect: str):
    """An entry in the register, or one more time on the entry already there, in one statement:
    two partners opening the same case at once both count, and neither fails on the other's
    first entry (a read and then a write would do both)."""
    statement = dialect_insert(dialect, Disclosure.__table__)
    register = Disclosure.__table__.c
    return statement.on_conflict_do_update(
        index_elements=[
            register.case_id,
            register.from_agency_id,
            register.to_agency_id,
            register.category,
        ],
        set_={
            "last_disclosed_at": statement.excluded.last_disclosed_at,
            "times": register.times + 1,
        },
    )


# -- referrals ----------------------------------------------------------------------------------
#
# Any user of a partner agency with a role in a hub may refer to it. A draft is seen only by its
# author. A submitted referral is seen by the people of its referring agency whose role works
# with referrals (REFERRAL_ROLES: not analysts, data protection officers or administrators,
# whose roles read no case data), and, until triage puts it on a case, by the hub's
# coordinators and hub managers, who triage it: a referral to the hub is the basis of that
# disclosure. Once on a case, it is one of the case's records and follows the case's section
# 115 rule like any other (visible_records): another agency reads it only as a member of the
# case, under an agreement covering its category, and the read is registered as a disclosure.

TRIAGE_ROLES = (Role.COORDINATOR, Role.HUB_MANAGER)
REFERRAL_ROLES = frozenset({Role.REFERRER}) | ROLE_ACTIONS[Action.READ]


def _referral_role_hub_ids(user) -> set[int]:
    in_hub = {h.id for h in hubs_of(user)}
    return {r.hub_id for r in user.roles if r.role in REFERRAL_ROLES and r.hub_id in in_hub}


def can_refer(user, hub: Hub) -> bool:
    return is_in_hub(user, hub) and any(r.hub_id == hub.id for r in user.roles)


def referral_hubs(user) -> list[Hub]:
    """The hubs this user may refer to."""
    return [h for h in hubs_of(user) if can_refer(user, h)]


def can_triage(user, hub: Hub | int) -> bool:
    hub_id = hub if isinstance(hub, int) else hub.id
    return (
        user.is_authenticated
        and any(h.id == hub_id for h in hubs_of(user))
        and any(r.hub_id == hub_id and r.role in TRIAGE_ROLES for r in user.roles)
    )


def triage_hub_ids(user) -> set[int]:
    in_hub = {h.id for h in hubs_of(user)}
    return {r.hub_id for r in user.roles if r.role in TRIAGE_ROLES and r.hub_id in in_hub}


def referrals_visible(user) -> Select:
    """SQL: the referrals this user may see (the Python twin is can_see_referral)."""
    if not user.is_authenticated:
        return select(Referral).where(false())
    submitted = Referral.status != ReferralStatus.DRAFT.value
    own_hubs = [h.id for h in hubs_of(user)]
    conditions = [
        and_(Referral.status == ReferralStatus.DRAFT.value, Referral.user_id == user.id),
        and_(
            submitted,
            Referral.agency_id == user.agency_id,
            Referral.hub_id.in_(_referral_role_hub_ids(user)),
        ),
    ]
    triage = triage_hub_ids(user)
    if triage:
        conditions.append(and_(submitted, Referral.hub_id.in_(triage), Referral.case_id.is_(None)))
    for hub in hubs_of(user):
        if hub.id in _referral_role_hub_ids(user):
            conditions.append(
                and_(
                    submitted,
                    Referral.hub_id == hub.id,
                    Referral.case_id.is_not(None),
                    _case_record_clause(user, Referral, hub),
                )
            )
    return select(Referral).where(Referral.hub_id.in_(own_hubs), or_(*conditions))


def can_see_referral(user, referral) -> bool:
    """The Python twin of referrals_visible, for one referral."""
    if not user.is_authenticated or not any(h.id == referral.hub_id for h in hubs_of(user)):
        return False
    if referral.status == "draft":
        return referral.user_id == user.id
    if referral.hub_id not in _referral_role_hub_ids(user):
        return False
    if referral.agency_id == user.agency_id:
        return True
    if referral.case_id is None:
        return referral.hub_id in triage_hub_ids(user)
    return can_see_record(user, referral, referral.case)


def referral_people(user, referral) -> list:
    """The people named in a referral this user may see: all of them for the referring
    agency and, before it is on a case, for its triage; else those the case's rule lets
    through (category "identity", restrictions)."""
    if referral.agency_id == user.agency_id or referral.case_id is None:
        return list(referral.people)
    return list(
        db.session.execute(
            visible_records(user, ReferralPerson, referral.hub)
            .where(ReferralPerson.referral_id == referral.id)
            .order_by(ReferralPerson.position)
        ).scalars()
    )


# -- section 115 administration (issue 4): agreements, membership, audit, register -----------


def can_manage_isas(user, hub: Hub) -> bool:
    """Hub managers keep their hub's agreements; system administrators any hub's."""
    return can_manage_hub(user, hub)


def can_manage_case_membership(user, case: Case) -> bool:
    """Hub managers and the hub's coordinators (who run triage and conference) decide which
    agencies are on a case."""
    hub = case.hub
    return can_manage_hub(user, hub) or (
        is_in_hub(user, hub) and has_hub_role(user, hub, Role.COORDINATOR)
    )


def can_keep_retention(user, hub: Hub) -> bool:
    """The hub's retention periods and what the end of retention will do next: its managers
    and its data protection officer (system administrators, as for every hub's
    administration)."""
    return can_manage_hub(user, hub) or can_answer_subject_access(user, hub)


def can_hold_case(user, case: Case) -> bool:
    """A legal hold keeps a case's records past their retention: whoever keeps the hub's
    retention places and lifts it."""
    return can_keep_retention(user, case.hub)


def can_view_audit(user, hub: Hub) -> bool:
    return can_manage_hub(user, hub)


def disclosure_scope(user, case: Case) -> str | None:
    """ "all" for the hub's manager; "own" (the rows of data it originated) for a user of an
    agency that is or was a member of the case and whose role reads case data; else None."""
    hub = case.hub
    if can_manage_hub(user, hub):
        return "all"
    if not (is_in_hub(user, hub) and role_allows(user, hub.id, Action.READ)):
        return None
    was_member = select(CaseMembership.id).where(
        CaseMembership.case_id == case.id, CaseMembership.agency_id == user.agency_id
    )
    return "own" if db.session.execute(was_member.limit(1)).first() else None


def can_restrict_record(user, record: PersonalRecord, case: Case) -> bool:
    """Only the originating agency's users, with write access to the case, restrict a record."""
    return user.agency_id == record.origin_agency_id and can_access_case(user, case, Action.WRITE)


# -- right of access (subject access requests) --------------------------------------------------
#
# A hub's data protection officer may find everything the hub holds about one person, across
# every case and agency, to answer a request under UK GDPR Article 15. Nothing else may.


def can_answer_subject_access(user, hub: Hub) -> bool:
    return is_in_hub(user, hub) and has_hub_role(user, hub, Role.DATA_PROTECTION_OFFICER)


# -- casework: the case workspace, its activity feed and the planner board --------------------


def can_work_case(user, case: Case, action: Action = Action.READ) -> bool:
    """can_access_case, remembered for the rest of the request: a case page asks it several
    times (the page, its feed, the supervisor's forms). A membership written in the request
    forgets it (forget_case_access), as does any rollback."""
    if not has_app_context():
        return can_access_case(user, case, action)
    cache = g.setdefault("_casework_access", {})
    key = (getattr(user, "id", None), case.id, action)
    if key not in cache:
        cache[key] = can_access_case(user, case, action, member=_remembered_member)
    return cache[key]


def forget_case_access() -> None:
    """A membership changed (or the change rolled back): later questions in this request ask
    the database again rather than trust what can_work_case remembered."""
    if has_app_context():
        g.pop("_casework_access", None)
        g.pop("_casework_members", None)


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session) -> None:
    forget_case_access()


def _remembered_member(agency_id: int, case_id: int) -> bool:
    """is_case_member, asked once a request for reading and writing alike."""
    cache = g.setdefault("_casework_members", {})
    if (agency_id, case_id) not in cache:
        cache[agency_id, case_id] = is_case_member(agency_id, case_id)
    return cache[agency_id, case_id]


def can_supervise_case(user, case: Case) -> bool:
    """Signing off a plan and agreeing the lead agency: a coordinator or hub manager of a
    member agency."""
    return can_work_case(user, case, Action.WRITE) and has_hub_role(
        user, case.hub, Role.COORDINATOR, Role.HUB_MANAGER
    )


def can_write_evaluation(user, case: Case) -> bool:
    """The evaluation is written by the case's lead agency: its people who may write the
    case's working records (the evaluation is one: it reads the plan against what happened)."""
    return (
        case.lead_agency_id is not None
        and user.is_authenticated
        and user.agency_id == case.lead_agency_id
        and can_read_working_records(user, case, Action.WRITE)
    )


def can_sign_evaluation(user, case: Case) -> bool:
    """A coordinator or hub manager of a member agency signs the evaluation off."""
    return can_supervise_case(user, case) and can_read_working_records(user, case, Action.WRITE)


@cache
def visible_activity() -> ColumnElement[bool]:
    """SQL: the case's activity entries a user may see, built once (every case page shows
    the feed); run it with visible_activity_params(). Entries about case data (no category)
    need access to the case; entries about a personal record carry its category and
    restriction and pass rules 2 and 3 exactly as the record does."""
    agency_id = bindparam("agency_id")
    return and_(
        bindparam("allowed", type_=Boolean),  # access to the case, decided in Python
        Activity.case_id == bindparam("case_id"),
        or_(
            Activity.category.is_(None),
            and_(
                Activity.category.in_(bindparam("categories", expanding=True)),
                or_(
                    Activity.restricted.is_(False),
                    Activity.agency_id == agency_id,
                    exists().where(
                        RecordRestriction.record_type == Activity.record_type,
                        RecordRestriction.record_id == Activity.record_id,
                        RecordRestriction.agency_id == agency_id,
                    ),
                ),
            ),
        ),
    )


def visible_activity_params(user, case: Case) -> dict:
    """The values for visible_activity(): what this user may see of the case's activity."""
    allowed = can_work_case(user, case)
    categories = sorted(shared_categories(user.agency_id, case.hub_id)) if allowed else []
    return {
        "allowed": allowed,
        "case_id": case.id,
        "categories": categories,
        "agency_id": getattr(user, "agency_id", None),
    }


# -- conferences ------------------------------------------------------------------------------


def can_run_conferences(user, hub: Hub) -> bool:
    """Coordinators and hub managers of the hub keep its conference slot and agendas."""
    return is_in_hub(user, hub) and has_hub_role(user, hub, Role.COORDINATOR, Role.HUB_MANAGER)


def can_approve_minutes(user, conference) -> bool:
    """The chair who ran the conference approves its minutes and writes its general remarks;
    when none was recorded, a coordinator or hub manager of the hub does."""
    if not is_in_hub(user, conference.hub):
        return False
    if conference.chair_id is not None:
        return user.id == conference.chair_id
    return can_run_conferences(user, conference.hub)


def can_circulate_minutes(user, conference) -> bool:
    """Approved minutes go out from the chair or any of the hub's coordinators and managers,
    so a chair's absence does not hold them back."""
    return can_approve_minutes(user, conference) or can_run_conferences(user, conference.hub)


def can_keep_case_reviews(user, hub: Hub) -> bool:
    """ASB case review applications are received and their outcomes recorded by the hub's
    coordinators, hub managers and victims' SPoCs. The register names no one."""
    return is_in_hub(user, hub) and has_hub_role(
        user, hub, Role.COORDINATOR, Role.HUB_MANAGER, Role.SPOC
    )


def can_see_case_review_figures(user, hub: Hub) -> bool:
    """The hub's annual ASB case review figures (counts, never names), which councils must
    publish: its managers, coordinators and analysts."""
    return is_in_hub(user, hub) and has_hub_role(
        user, hub, Role.HUB_MANAGER, Role.COORDINATOR, Role.ANALYST
    )


def can_set_case_review_timescales(user, hub: Hub) -> bool:
    """The hub's ASB case review timescales: its managers and coordinators."""
    return is_in_hub(user, hub) and has_hub_role(user, hub, Role.HUB_MANAGER, Role.COORDINATOR)


def can_keep_victims(user, hub: Hub) -> bool:
    """A "My victims" page, of the victims and call-backs a person keeps: for anyone in the
    hub whose role works cases (SPoCs among them). What it lists passes victim_records."""
    return is_in_hub(user, hub) and role_allows(user, hub.id, Action.READ)


def spoc_hubs(user) -> list[Hub]:
    """The hubs in which this person is a victims' SPoC: their menu has "My victims"."""
    if not user.is_authenticated:
        return []
    return [h for h in hubs_of(user) if has_hub_role(user, h, Role.SPOC)]


def can_record_breach_reasons(user, hub: Hub) -> bool:
    """Why a conference missed its deadline is recorded by the hub's managers (and system
    administrators) and its coordinators, who ran it."""
    return can_manage_hub(user, hub) or can_run_conferences(user, hub)


def can_see_timeliness(user, hub: Hub) -> bool:
    """Whether conferences kept their deadlines: a figure of the hub's performance, so for
    those who record the reasons and for its analysts (as the analytics rule below: counts,
    references and times, never names). The reasons' words are for those who record them."""
    return can_record_breach_reasons(user, hub) or (
        is_in_hub(user, hub) and has_hub_role(user, hub, Role.ANALYST)
    )


def can_edit_draft(user, referral: Referral) -> bool:
    """A draft referral is its author's alone, while they may still refer to its hub."""
    return (
        referral.status == ReferralStatus.DRAFT.value
        and referral.user_id == user.id
        and can_refer(user, referral.hub)
    )


# -- who: the people and agencies a hub's work goes to ------------------------------------------


def partner_agency_ids(hub_id: int) -> Select:
    """SQL: the ids of the hub's partner agencies."""
    return select(HubAgency.agency_id).where(HubAgency.hub_id == hub_id)


def partner_ids(hub_id: int) -> set[int]:
    return set(read_values(partner_agency_ids(hub_id)).scalars())


def is_partner(agency_id: int, hub_id: int) -> bool:
    query = partner_agency_ids(hub_id).where(HubAgency.agency_id == agency_id)
    return db.session.execute(query.limit(1)).first() is not None


def hub_people(hub_id: int, *roles: Role) -> Select:
    """SQL: the active people of the hub's partner agencies who hold a role in the hub (one of
    `roles`, when named), each once, in a stable order."""
    held = select(UserRole.user_id).where(UserRole.hub_id == hub_id)
    if roles:
        held = held.where(UserRole.role.in_([r.value for r in roles]))
    return (
        select(User)
        .where(
            User.id.in_(held),
            User.is_active_account.is_(True),
            User.agency_id.in_(partner_agency_ids(hub_id)),
        )
        .order_by(User.id)
    )


def coordinators(hub_id: int) -> list[User]:
    """The hub's coordinators: told of what needs a conference, of overdue work nobody else
    can be reminded of, and sent the minutes."""
    return list(db.session.execute(hub_people(hub_id, Role.COORDINATOR)).scalars())


def hub_managers(hub_id: int) -> list[User]:
    """The hub's managers: told of agreements due for review or expiry."""
    return list(db.session.execute(hub_people(hub_id, Role.HUB_MANAGER)).scalars())


def conference_runners(hub_id: int) -> list[User]:
    """Who may chair the hub's conferences: its coordinators and hub managers."""
    query = hub_people(hub_id, Role.COORDINATOR, Role.HUB_MANAGER)
    return list(db.session.execute(query).scalars())


def is_issuing_agency(user, intervention) -> bool:
    """An intervention or power, its record and its lifecycle steps, are written by the agency
    that issued it; other members may read it and report a breach."""
    return user.is_authenticated and intervention.origin_agency_id == user.agency_id


# -- working records: the plan, actions and conference decisions --------------------------------
#
# The partnership's own record of a case's problem and its response, written for every member
# and agreed at conference: no one agency originates them, so none restricts them (what must
# be restricted goes in a note, which can be) and reading one is not a disclosure from one
# agency to another. They describe the incidents and the people involved, so they are incident
# data: an agency reads them as a member of the case under an agreement in force covering
# "incident", like any incident record, and every read is audited.

WORKING_CATEGORY = "incident"


def working_cases(user, hub: Hub, action: Action = Action.READ) -> Select:
    """SQL: the cases whose working records the user may reach for `action`."""
    if WORKING_CATEGORY not in shared_categories(user.agency_id, hub.id):
        return select(Case).where(false())
    return cases_with_access(user, hub, action)


def can_read_working_records(user, case: Case, action: Action = Action.READ) -> bool:
    """The Python twin of working_cases, for one case (access remembered for the request,
    as can_work_case: a case page asks it for its header, its tab and its audit entries)."""
    return can_work_case(user, case, action) and WORKING_CATEGORY in shared_categories(
        user.agency_id, case.hub_id
    )


def working_records_read(user, hub_id: int, *, what: str, records: dict, case=None) -> None:
    """Audit a read of working records (the plan, actions, decisions): of one case, or of
    several (a list) with case None. Call it for what the page shows; the caller commits."""
    ids = {kind: sorted(found) for kind, found in records.items() if found}
    if not ids:
        return
    isa_id = sharing_agreements(user.agency_id, hub_id).get(WORKING_CATEGORY)
    basis = "s115 Crime and Disorder Act 1998"
    if isa_id:  # none for a referral's decision read by its triage, before any case
        basis += "; ISA " + _agreement_references({isa_id})[isa_id]
    audit.record(
        "personal_data_read",
        user=user,
        hub=hub_id,
        target=case,
        target_type=None if case is not None else "hub",
        target_id=None if case is not None else hub_id,
        legal_basis=basis,
        details={"what": what, "categories": [WORKING_CATEGORY], "records": ids},
    )


def _agreement_references(isa_ids) -> dict[int, str]:
    """Agreements' references, for the legal basis of an audit entry: those sharing_agreements
    has already read this request, the others as one column (loading an agreement would
    also load its signatories and categories)."""
    cache = g.setdefault("_isa_references", {}) if has_app_context() else {}
    missing = {i for i in isa_ids if i not in cache}
    if missing:
        query = select(InformationSharingAgreement.id, InformationSharingAgreement.reference)
        cache.update(db.session.execute(query.where(InformationSharingAgreement.id.in_(missing))))
    return {i: cache[i] for i in isa_ids}


def list_read(user, hub_id: int, *, what: str, records: dict, legal_basis: str | None) -> None:
    """Audit a list of personal data shown outside any one case (a referral list, the triage
    queue), naming each record it showed. The caller commits."""
    ids = {kind: sorted(found) for kind, found in records.items() if found}
    if ids:
        audit.record(
            "personal_data_read",
            user=user,
            hub=hub_id,
            target_type="hub",
            target_id=hub_id,
            legal_basis=legal_basis,
            details={"what": what, "records": ids},
        )


def readable_cases(user, hub: Hub, case_ids) -> set[int]:
    """Of these cases, those whose details the user may read (one query)."""
    ids = {i for i in case_ids if i}
    if not ids:
        return set()
    query = cases_with_access(user, hub).with_only_columns(Case.id).where(Case.id.in_(ids))
    return set(read_values(query).scalars())


def readable_working_cases(user, hub: Hub, case_ids) -> set[int]:
    """Of these cases, those whose working records (decisions among them) the user may read
    (one query)."""
    ids = {i for i in case_ids if i}
    if not ids:
        return set()
    query = working_cases(user, hub).with_only_columns(Case.id).where(Case.id.in_(ids))
    return set(read_values(query).scalars())


def readable_and_working_cases(user, hub: Hub, case_ids) -> tuple[set[int], set[int]]:
    """readable_cases and readable_working_cases at once, in one query: the working records
    are readable on exactly the readable cases when the agreements cover incident data."""
    cases = readable_cases(user, hub, case_ids)
    covered = WORKING_CATEGORY in shared_categories(user.agency_id, hub.id)
    return cases, set(cases) if covered else set()


def readable_referrals(user, referral_ids) -> set[int]:
    """Of these referrals, those the user may see (one query)."""
    ids = {i for i in referral_ids if i}
    if not ids:
        return set()
    query = referrals_visible(user).with_only_columns(Referral.id).where(Referral.id.in_(ids))
    return set(read_values(query).scalars())


def decision_readable(decision, cases: set[int], referrals: set[int]) -> bool:
    """A conference decision reads in full to whoever may read its case's details (or, for a
    decision on a referral, see the referral): `cases` and `referrals` are those the reader
    may (readable_cases, readable_referrals). Anyone in the hub may know that a decision was
    recorded on a reference; only these say what it was."""
    if decision.case_id is not None:
        return decision.case_id in cases
    return decision.referral_id in referrals


def readable_decisions(user, hub: Hub, decisions) -> set[int]:
    """Of these conference decisions, the ids of those the user may read in full (two
    queries, however many decisions)."""
    decisions = list(decisions)
    cases = readable_working_cases(user, hub, {d.case_id for d in decisions})
    referrals = readable_referrals(user, {d.referral_id for d in decisions if d.case_id is None})
    return {d.id for d in decisions if decision_readable(d, cases, referrals)}


# -- victims: their SPoCs' records ------------------------------------------------------------
#
# Everything about a victim (their contact needs, the contact log, call-backs, the milestones
# they were told of) is "victim contact" data. An agency reads it as a member of the case
# under an agreement in force covering that category (rules 1, 2 and 4, as for any record);
# a victim's record restricted by the agency that made it (rule 3) takes its contact log,
# call-backs and updates with it: they are seen only by whoever may see the victim.

VICTIM_CATEGORY = "victim_contact"


def can_read_victims(user, case: Case, action: Action = Action.READ) -> bool:
    """Whether the user's agency may reach victim contact data on this case at all (the
    Victim tab); each victim still passes victim_records."""
    return can_work_case(user, case, action) and VICTIM_CATEGORY in shared_categories(
        user.agency_id, case.hub_id
    )


def victim_records(user, model, hub: Hub, action: Action = Action.READ) -> Select:
    """SQL: the records of `model` (Victim, or a model with victim_id) this user may see:
    the four rules on the record itself and, for a victim's contacts, call-backs and updates,
    on its victim too. Joined to Case, so callers may filter and order by its columns."""
    query = visible_records(user, model, hub, action).where(model.category == VICTIM_CATEGORY)
    if model is Victim:
        return query
    victims = (
        visible_records(user, Victim, hub, action)
        .where(Victim.category == VICTIM_CATEGORY)
        .with_only_columns(Victim.id)
    )
    return query.where(model.victim_id.in_(victims))


def can_see_victim(user, victim, case: Case, action: Action = Action.READ) -> bool:
    """The Python twin of victim_records for one victim."""
    return victim.category == VICTIM_CATEGORY and can_see_record(user, victim, case, action)


# -- denial and the two loaders -----------------------------------------------------------------


def deny(what: str, *, hub=None, target_type: str | None = None, target_id=None) -> NoReturn:
    """Refuse with the same 404 a missing thing gets, and audit the attempt."""
    user = current_user if current_user.is_authenticated else None
    db.session.rollback()  # nothing half-done in this request may ride on the audit commit
    audit.record(
        "access_denied",
        outcome="denied",
        user=user,
        hub=hub,
        target_type=target_type,
        target_id=target_id,
        details={"what": what, "method": request.method, "path": audit.as_code(request.path)},
        commit=True,
    )
    abort(404)


def already_allowed(_user, _record) -> bool:
    """For a record whose route's policy has already decided: it need only exist."""
    return True


def signed_in():
    """The signed-in person (or flask-login's anonymous user) itself rather than its proxy,
    `current_user`, which looks the person up again at each use: a case page asks a few
    hundred questions of them."""
    return current_user._get_current_object()


def hub_or_deny(slug: str, may: Callable[[object, Hub], bool], what: str) -> Hub:
    """The hub a URL names, when the signed-in user `may` reach it there; otherwise the same
    404 as a hub that does not exist, audited."""
    hub = db.session.execute(select(Hub).where(Hub.slug == slug)).scalar_one_or_none()
    if hub is None or not may(signed_in(), hub):
        deny(what, hub=hub, target_type="hub", target_id=slug)
    return hub


def record_or_deny(
    model,
    record_id,
    may: Callable[[object, object], bool],
    what: str,
    *,
    target_type: str | None = None,
    hub=None,
):
    """The record a URL names (by id), when the signed-in user `may` reach it; otherwise the
    same 404 as a record that does not exist, audited against the record's hub (or `hub`)."""
    record = db.session.get(model, record_id)
    if record is None or not may(signed_in(), record):
        if hub is None and record is not None:
            hub = getattr(record, "hub_id", None)
        deny(
            what,
            hub=hub,
            target_type=target_type or model.__tablename__,
            target_id=record_id,
        )
    return record


# -- route policies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Finds:
    """Where a route's policy finds the object it asks about: the record of `model` named by
    the URL variable `arg` (a hub by its slug, anything else by its id), handed to the view as
    its parameter `name`."""

    model: type
    arg: str
    name: str
    target_type: str | None = None


HUB = Finds(Hub, "slug", "hub")
CASE = Finds(Case, "case_id", "case")
CONFERENCE = Finds(Conference, "conference_id", "conference")
REFERRAL = Finds(Referral, "referral_id", "referral")
CASE_REVIEW = Finds(CaseReview, "review_id", "review")
PERSON = Finds(User, "user_id", "person", target_type="user")
LESSON = Finds(Lesson, "lesson_id", "lesson")


# -- analytics ----------------------------------------------------------------------------------
#
# Figures (counts, never names) are for the hub's analysts, coordinators and managers. Names in
# the repeat lists still pass visible_records(), so an analyst (whose role reads no case data)
# sees counts and references only.


def can_see_analytics(user, hub: Hub) -> bool:
    return can_manage_hub(user, hub) or (
        is_in_hub(user, hub) and has_hub_role(user, hub, Role.ANALYST, Role.COORDINATOR)
    )


def analytics_hubs(user) -> list[Hub]:
    if not user.is_authenticated:
        return []
    if is_sysadmin(user):
        return list(db.session.execute(select(Hub).order_by(Hub.name)).scalars())
    return [h for h in hubs_of(user) if can_see_analytics(user, h)]


def can_import_context(user, hub: Hub) -> bool:
    """police.uk imports and the hub's area: hub managers and analysts."""
    return can_manage_hub(user, hub) or (
        is_in_hub(user, hub) and has_hub_role(user, hub, Role.ANALYST)
    )


# -- the lessons-learned library ------------------------------------------------------------------
#
# A published lesson holds nothing personal (hub.lessons.redaction checks it before anyone but
# its author sees it), so everyone in the hub reads the library, with no section 115 gate. A
# draft is its author's alone; a lesson awaiting review is also its hub's reviewers'
# (coordinators and hub managers). Searches are audited (hub.lessons.library).
#
# Sharing between hubs is reciprocal: a hub whose manager turns sharing on (Hub.shares_lessons)
# lends its published lessons to the other hubs on the installation that share theirs, and
# reads theirs. Only published lessons cross; turning sharing off takes them back at once,
# because every rule below reads the setting when it is asked. A lesson read from another hub
# is read-only: editing and review stay with its own hub.


def can_use_library(user, hub: Hub) -> bool:
    return is_in_hub(user, hub)


def can_draft_lessons(user, hub: Hub) -> bool:
    """Anyone whose role in the hub works cases writes lessons."""
    return is_in_hub(user, hub) and role_allows(user, hub.id, Action.WRITE)


def can_review_lessons(user, hub: Hub) -> bool:
    return is_in_hub(user, hub) and has_hub_role(user, hub, Role.COORDINATOR, Role.HUB_MANAGER)


def can_share_lessons(user, hub: Hub) -> bool:
    """Turning the hub's sharing of lessons on or off: its hub managers."""
    return can_manage_hub(user, hub)


def lesson_hubs(hub: Hub, *, shared: bool = False):
    """SQL: the hubs whose published lessons are read from `hub`: its own, and, when asked
    for and `hub` shares, every hub that shares (the reciprocal rule, in one place)."""
    if shared and hub.shares_lessons:
        return or_(
            Lesson.hub_id == hub.id,
            Lesson.hub_id.in_(select(Hub.id).where(Hub.shares_lessons.is_(True))),
        )
    return Lesson.hub_id == hub.id


def lesson_open_to_hub(lesson: Lesson, hub: Hub) -> bool:
    """The Python twin of lesson_hubs(hub, shared=True) for a published lesson: its own hub's,
    or shared by another hub while `hub` shares too. A draft never crosses."""
    if lesson.status != LessonStatus.PUBLISHED.value:
        return False
    if lesson.hub_id == hub.id:
        return True
    return hub.shares_lessons and db.session.get(Hub, lesson.hub_id).shares_lessons


def lessons_visible(user, hub: Hub, *, shared: bool = False) -> Select:
    """SQL: the lessons this user may read from the hub's library (the Python twin is
    can_see_lesson): the hub's own by status, and with `shared` the published lessons of the
    other hubs that share with it."""
    if not can_use_library(user, hub):
        return select(Lesson).where(false())
    conditions = [
        Lesson.status == LessonStatus.PUBLISHED.value,
        and_(Lesson.status == LessonStatus.DRAFT.value, Lesson.author_id == user.id),
    ]
    if can_review_lessons(user, hub):
        conditions.append(Lesson.status == LessonStatus.IN_REVIEW.value)
    else:
        conditions.append(
            and_(Lesson.status == LessonStatus.IN_REVIEW.value, Lesson.author_id == user.id)
        )
    own = and_(Lesson.hub_id == hub.id, or_(*conditions))
    if not (shared and hub.shares_lessons):
        return select(Lesson).where(own)
    others = and_(
        Lesson.hub_id != hub.id,
        Lesson.status == LessonStatus.PUBLISHED.value,
        lesson_hubs(hub, shared=True),
    )
    return select(Lesson).where(or_(own, others))


def can_see_lesson(user, lesson: Lesson) -> bool:
    """Its own hub's people by its status; anyone else only when it is published and shared
    with a hub they work in (lesson_open_to_hub)."""
    hub = db.session.get(Hub, lesson.hub_id)
    if not can_use_library(user, hub):
        return is_shared_lesson_reader(user, lesson)
    if lesson.status == LessonStatus.PUBLISHED.value or lesson.author_id == user.id:
        return True
    return lesson.status == LessonStatus.IN_REVIEW.value and can_review_lessons(user, hub)


def is_shared_lesson_reader(user, lesson: Lesson) -> bool:
    """Reads the lesson only because another hub shares it with a hub of theirs."""
    return not is_in_hub(user, db.session.get(Hub, lesson.hub_id)) and any(
        lesson_open_to_hub(lesson, hub) for hub in hubs_of(user)
    )


def can_edit_lesson(user, lesson: Lesson) -> bool:
    """A draft, by its author, while they may still write lessons in its hub."""
    return (
        lesson.status == LessonStatus.DRAFT.value
        and lesson.author_id == user.id
        and can_draft_lessons(user, db.session.get(Hub, lesson.hub_id))
    )


def can_review_lesson(user, lesson: Lesson) -> bool:
    return lesson.status == LessonStatus.IN_REVIEW.value and can_review_lessons(
        user, db.session.get(Hub, lesson.hub_id)
    )


@dataclass(frozen=True)
class Policy:
    """Who may reach a route: `check(user)`, or, for a policy that `finds` the route's object,
    `check(user, that object)`."""

    check: Callable[..., bool]
    finds: Finds | None = None


def _on_conference_hub(check):
    return lambda user, conference: check(user, conference.hub)


POLICIES: dict[str, Policy] = {
    "public": Policy(lambda user: True),
    "signed_in": Policy(lambda user: user.is_authenticated),
    "in_a_hub": Policy(lambda user: bool(hubs_of(user))),
    "user_admin": Policy(can_administer_users),
    "sysadmin": Policy(is_sysadmin),
    "manage_user": Policy(can_manage_user, PERSON),
    "manage_account": Policy(can_manage_account, PERSON),
    # a hub, named by its slug
    "hub_member": Policy(is_in_hub, HUB),
    "manage_hub": Policy(can_manage_hub, HUB),
    "manage_isas": Policy(can_manage_isas, HUB),
    "view_audit": Policy(can_view_audit, HUB),
    "subject_access": Policy(can_answer_subject_access, HUB),
    "keep_retention": Policy(can_keep_retention, HUB),
    "run_conferences": Policy(can_run_conferences, HUB),
    "keep_case_reviews": Policy(can_keep_case_reviews, HUB),
    "case_review_figures": Policy(can_see_case_review_figures, HUB),
    "case_review_timescales": Policy(can_set_case_review_timescales, HUB),
    "see_timeliness": Policy(can_see_timeliness, HUB),
    "record_breach_reasons": Policy(can_record_breach_reasons, HUB),
    "see_analytics": Policy(can_see_analytics, HUB),
    "import_context": Policy(can_import_context, HUB),
    "analytics": Policy(lambda user: bool(analytics_hubs(user))),
    # referrals
    "referrer": Policy(lambda user: bool(referral_hubs(user))),
    "triage": Policy(lambda user: bool(triage_hub_ids(user))),
    "see_referral": Policy(lambda user, referral: can_see_referral(user, referral), REFERRAL),
    "edit_draft": Policy(can_edit_draft, REFERRAL),
    "triage_referral": Policy(lambda user, referral: can_triage(user, referral.hub_id), REFERRAL),
    # a case
    "read_case": Policy(lambda user, case: can_work_case(user, case, Action.READ), CASE),
    "write_case": Policy(lambda user, case: can_work_case(user, case, Action.WRITE), CASE),
    "manage_case_membership": Policy(can_manage_case_membership, CASE),
    "hold_case": Policy(can_hold_case, CASE),
    "see_disclosures": Policy(lambda user, case: disclosure_scope(user, case) is not None, CASE),
    # a conference
    "see_conference": Policy(_on_conference_hub(is_in_hub), CONFERENCE),
    "run_conference": Policy(_on_conference_hub(can_run_conferences), CONFERENCE),
    "answer_urgent_conference": Policy(
        lambda user, conference: (
            conference.kind == ConferenceKind.URGENT.value
            and can_run_conferences(user, conference.hub)
        ),
        CONFERENCE,
    ),
    "approve_minutes": Policy(can_approve_minutes, CONFERENCE),
    "circulate_minutes": Policy(can_circulate_minutes, CONFERENCE),
    # the lessons-learned library
    "lesson_library": Policy(can_use_library, HUB),
    "draft_lessons": Policy(can_draft_lessons, HUB),
    "review_lessons": Policy(can_review_lessons, HUB),
    "share_lessons": Policy(can_share_lessons, HUB),
    "see_lesson": Policy(can_see_lesson, LESSON),
    "edit_lesson": Policy(can_edit_lesson, LESSON),
    "review_lesson": Policy(can_review_lesson, LESSON),
    # victims and their SPoCs
    "spoc": Policy(lambda user: bool(spoc_hubs(user))),
    "spoc_work": Policy(lambda user, hub: can_keep_victims(user, hub), HUB),
    "write_victims": Policy(lambda user, case: can_read_victims(user, case, Action.WRITE), CASE),
    "keep_case_review": Policy(
        lambda user, review: can_keep_case_reviews(user, review.hub), CASE_REVIEW
    ),
}


def requires(name: str, *, polled: bool = False):
    """Declare and enforce who may reach a view. Every endpoint must declare one: a test walks
    the URL map and fails for any view without it, and the authorisation matrix checks it.

    A policy that finds the route's object loads it (hub_or_deny / record_or_deny) and hands
    it to the view in place of the URL variable: `def show(case)`, not `def show(case_id)`.
    A `polled` fragment (htmx polls it every few seconds) answers a refusal with 286, which
    tells htmx to stop polling, after refusing and auditing it once."""
    if name not in POLICIES:
        raise ValueError(f"unknown policy {name!r}")
    policy = POLICIES[name]
    what = f"policy:{name}"

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if name != "public" and not current_user.is_authenticated:
                return login_manager.unauthorized()
            finds = policy.finds
            if finds is None:
                if not policy.check(current_user):
                    deny(what)
                return view(*args, **kwargs)
            key = kwargs.pop(finds.arg)
            try:
                if finds.model is Hub:
                    found = hub_or_deny(key, policy.check, what)
                else:
                    found = record_or_deny(
                        finds.model, key, policy.check, what, target_type=finds.target_type
                    )
            except NotFound:
                if polled and htmx:
                    response = current_app.response_class(status=286)
                    response.headers["Vary"] = "HX-Request"
                    return response
                raise
            return view(*args, **{finds.name: found}, **kwargs)

        wrapped.hub_policy = name
        return wrapped

    return decorate


def policy_of(endpoint: str) -> str | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "hub_policy", None)
