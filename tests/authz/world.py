"""The matrix world: one hub with a case and a note, another hub, and a user per persona."""

from datetime import date
from types import SimpleNamespace

from hub.accounts import tokens as api_tokens
from hub.extensions import db
from hub.models import CaseMembership, DataCategory
from tests.support.factories import make_agency, make_case, make_hub, make_isa, make_note, make_user

ALL_CATEGORIES = [c.value for c in DataCategory]


def build_matrix_world() -> SimpleNamespace:
    hub = make_hub("matrix", "Matrix Focus Hub")
    other_hub = make_hub("elsewhere", "Elsewhere Focus Hub")
    agencies = {
        "council": make_agency("Matrix Council", "council", hub),  # refers; originates the note
        "police": make_agency("Matrix Police", "police", hub),
        "housing": make_agency("Matrix Housing", "housing", hub),
        "partner": make_agency("Matrix Fire", "fire", hub),  # in the hub, not on the case
        "expired": make_agency("Matrix Health", "health", hub),
        "lacking": make_agency("Matrix Probation", "probation", hub),
        "spare": make_agency("Matrix Voluntary", "voluntary", hub),
        "elsewhere": make_agency("Elsewhere Council", "council", other_hub),
    }
    a = agencies
    make_isa(
        hub,
        [a["council"], a["police"], a["housing"], a["partner"]],
        ALL_CATEGORIES,
        reference="MATRIX-ISA",
    )
    make_isa(
        hub,
        [a["expired"]],
        ALL_CATEGORIES,
        starts_on=date(2020, 1, 1),
        expires_on=date(2021, 1, 1),
        reference="MATRIX-OLD",
    )
    make_isa(hub, [a["lacking"]], ["identity"], reference="MATRIX-IDENTITY")
    make_isa(other_hub, [a["elsewhere"]], ALL_CATEGORIES, reference="ELSEWHERE-ISA")
    users = {
        "member": make_user("member@matrix.example", a["housing"], ("case_worker", hub)),
        "non_member": make_user("nonmember@matrix.example", a["partner"], ("case_worker", hub)),
        "expired_isa": make_user("expired@matrix.example", a["expired"], ("case_worker", hub)),
        "lacks_category": make_user("lacks@matrix.example", a["lacking"], ("case_worker", hub)),
        "referrer": make_user("referrer@matrix.example", a["council"], ("referrer", hub)),
        "analyst": make_user("analyst@matrix.example", a["police"], ("analyst", hub)),
        "coordinator": make_user("coord@matrix.example", a["police"], ("coordinator", hub)),
        "hub_manager": make_user("manager@matrix.example", a["council"], ("hub_manager", hub)),
        "other_hub": make_user(
            "manager@elsewhere.example", a["elsewhere"], ("hub_manager", other_hub)
        ),
        "sysadmin": make_user("sysadmin@matrix.example", a["council"], ("sysadmin", None)),
    }
    case = make_case(
        hub, "MTX-1", a["council"], a["police"], a["housing"], a["expired"], a["lacking"]
    )
    note = make_note(case, a["council"], users["referrer"], category="incident")
    removable = (
        db.session.query(CaseMembership).filter_by(case_id=case.id, agency_id=a["lacking"].id).one()
    )
    tokens = {p: api_tokens.issue_token(u, "matrix")[0] for p, u in users.items()}
    member = users["member"]
    params = {
        "hub_slug": hub.slug,
        "other_hub_slug": other_hub.slug,
        "hub_id": hub.id,
        "case_id": case.id,
        "note_id": note.id,
        "isa_id": _isa_id(hub, "MATRIX-ISA"),
        "membership_id": removable.id,
        "agency_id": a["partner"].id,
        "spare_agency_id": a["spare"].id,
        "elsewhere_agency_id": a["elsewhere"].id,
        "user_id": member.id,
        "role_id": member.roles[0].id,
    }
    db.session.flush()
    return SimpleNamespace(
        hub=hub,
        other_hub=other_hub,
        agencies=agencies,
        users=users,
        case=case,
        note=note,
        tokens=tokens,
        params=params,
    )


def _isa_id(hub, reference: str) -> int:
    from sqlalchemy import select

    from hub.models import InformationSharingAgreement as Isa

    query = select(Isa.id).where(Isa.hub_id == hub.id, Isa.reference == reference)
    return db.session.execute(query).scalar_one()
