"""Builders for test data. They write through the models and flush; callers commit."""

from types import SimpleNamespace

from hub.core.security import hash_password
from hub.extensions import db
from hub.models import Agency, Hub, HubAgency, User, UserRole

PASSWORD = "correct horse battery staple"
_HASH = None


def _password_hash() -> str:
    global _HASH  # argon2 is deliberately slow: hash the shared test password once
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def make_hub(slug: str, name: str | None = None, *, two_factor_required: bool = False) -> Hub:
    # Two-factor sign-in is tested in tests/accounts/; elsewhere a password alone signs in.
    hub = Hub(
        slug=slug,
        name=name or slug.replace("-", " ").title() + " Hub",
        area="",
        two_factor_required=two_factor_required,
    )
    db.session.add(hub)
    db.session.flush()
    return hub


def make_agency(name: str, kind: str, *hubs: Hub) -> Agency:
    agency = Agency(name=name, kind=kind)
    db.session.add(agency)
    db.session.flush()
    for hub in hubs:
        db.session.add(HubAgency(hub_id=hub.id, agency_id=agency.id))
    db.session.flush()
    return agency


def make_user(email: str, agency: Agency, *roles: tuple[str, Hub | None], **values) -> User:
    user = User(
        email=email,
        name=values.pop("name", email.split("@")[0].replace(".", " ").title()),
        agency_id=agency.id,
        password_hash=values.pop("password_hash", _password_hash()),
        **values,
    )
    db.session.add(user)
    db.session.flush()
    for role, hub in roles:
        db.session.add(UserRole(user_id=user.id, role=role, hub_id=hub.id if hub else None))
    db.session.flush()
    return user


def build_world() -> SimpleNamespace:
    copeland = make_hub("copeland", "Copeland Focus Hub")
    allerdale = make_hub("allerdale", "Allerdale Focus Hub")
    council = make_agency("Copeland Borough Council", "council", copeland)
    police = make_agency("Cumbria Constabulary", "police", copeland, allerdale)
    housing = make_agency("Home Group", "housing", copeland)
    outsider = make_agency("Allerdale Council", "council", allerdale)
    people = {
        "referrer": make_user("referrer@council.example", council, ("referrer", copeland)),
        "case_worker": make_user("worker@housing.example", housing, ("case_worker", copeland)),
        "coordinator": make_user("coord@police.example", police, ("coordinator", copeland)),
        "spoc": make_user("spoc@council.example", council, ("spoc", copeland)),
        "hub_manager": make_user("manager@council.example", council, ("hub_manager", copeland)),
        "analyst": make_user("analyst@police.example", police, ("analyst", copeland)),
        "agency_manager": make_user("am@housing.example", housing, ("agency_manager", None)),
        "sysadmin": make_user("admin@hub.example", council, ("sysadmin", None)),
        "other_hub": make_user("other@allerdale.example", outsider, ("hub_manager", allerdale)),
    }
    return SimpleNamespace(
        hub_id=copeland.id,
        hub_slug=copeland.slug,
        other_hub_id=allerdale.id,
        other_hub_slug=allerdale.slug,
        agency_ids={
            "council": council.id,
            "police": police.id,
            "housing": housing.id,
            "outsider": outsider.id,
        },
        email={k: u.email for k, u in people.items()},
        user_id={k: u.id for k, u in people.items()},
        password=PASSWORD,
    )


def make_isa(
    hub: Hub,
    agencies,
    categories,
    *,
    starts_on=None,
    expires_on=None,
    status="in_force",
    reference=None,
):
    from datetime import date, timedelta

    from hub.models import InformationSharingAgreement, IsaCategory, IsaSignatory

    starts_on = starts_on or date(2026, 1, 1)
    isa = InformationSharingAgreement(
        hub_id=hub.id,
        reference=reference or f"ISA-{hub.slug}-{len(list(agencies))}-{id(categories) % 10000}",
        title=f"{hub.name} information-sharing agreement",
        purpose="Reducing antisocial behaviour and protecting victims",
        legal_basis="s115 Crime and Disorder Act 1998; DPA 2018 s8 (public task)",
        status=status,
        starts_on=starts_on,
        review_on=starts_on + timedelta(days=365),
        expires_on=expires_on,
    )
    isa.signatories = [
        IsaSignatory(agency_id=a.id, signed_by="Signing Officer", signed_on=starts_on)
        for a in agencies
    ]
    isa.categories = [IsaCategory(category=str(c)) for c in categories]
    db.session.add(isa)
    db.session.flush()
    return isa


def make_case(
    hub: Hub,
    reference: str,
    *members: Agency,
    band="high",
    stage="active",
    title="Noise and intimidation, Mill Street flats",
):
    from hub.models import Case, CaseMembership

    case = Case(hub_id=hub.id, reference=reference, title=title, band=band, stage=stage)
    db.session.add(case)
    db.session.flush()
    for i, agency in enumerate(members):
        route = "referral" if i == 0 else "triage"
        db.session.add(
            CaseMembership(case_id=case.id, agency_id=agency.id, route=route, reason="test")
        )
    db.session.flush()
    return case


def make_note(
    case, agency: Agency, author: User, category="incident", body="A note", restricted_to=()
):
    from hub.models import CaseNote, RecordRestriction

    note = CaseNote(
        case_id=case.id,
        origin_agency_id=agency.id,
        author_id=author.id,
        category=category,
        body=body,
        restricted=bool(restricted_to),
    )
    db.session.add(note)
    db.session.flush()
    for other in restricted_to:
        db.session.add(
            RecordRestriction(record_type=note.record_type, record_id=note.id, agency_id=other.id)
        )
    db.session.flush()
    return note
