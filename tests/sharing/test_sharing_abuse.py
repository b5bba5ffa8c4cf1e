"""Abuse: guessed ids, tampered form fields and replayed htmx requests are refused, look the
same as "not found", write nothing, and are on record."""

from sqlalchemy import func, select

from hub.extensions import db
from hub.models import (
    Agency,
    AuditEntry,
    CaseMembership,
    Hub,
    InformationSharingAgreement,
    IsaCategory,
)
from tests.conftest import page_text
from tests.support.factories import make_case, make_isa


def _cases(app, world):
    """A case in Copeland and one in Allerdale."""
    with app.app_context():
        copeland = db.session.get(Hub, world.hub_id)
        allerdale = db.session.get(Hub, world.other_hub_id)
        council, police, outsider = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "outsider")
        )
        mine = make_case(copeland, "CPL-X1", council, police)
        theirs = make_case(allerdale, "ALL-X1", outsider, police)
        isa = make_isa(allerdale, [outsider], ["identity"], reference="ALL-ISA")
        db.session.commit()
        return mine.id, theirs.id, isa.id


def denials(app):
    with app.app_context():
        return (
            db.session.execute(
                select(AuditEntry).where(AuditEntry.outcome == "denied").order_by(AuditEntry.id)
            )
            .scalars()
            .all()
        )


def test_guessed_ids_look_exactly_like_missing_ones_and_are_audited(app, client, world):
    mine, theirs, other_isa = _cases(app, world)
    client.sign_in(world.email["hub_manager"])  # Copeland's manager
    before = len(denials(app))
    guesses = [
        (f"/cases/{theirs}/members", "/cases/987654/members"),
        (f"/cases/{theirs}/disclosures", "/cases/987654/disclosures"),
        (f"/hubs/allerdale/isas/{other_isa}", "/hubs/allerdale/isas/987654"),
        (f"/hubs/copeland/isas/{other_isa}", "/hubs/copeland/isas/987654"),
        ("/hubs/allerdale/audit", "/hubs/nowhere/audit"),
    ]
    for existing, missing in guesses:
        a, b = client.get(existing), client.get(missing)
        assert a.status_code == b.status_code == 404, existing
        assert page_text(a) == page_text(b), existing
    entries = denials(app)[before:]
    assert len(entries) == 2 * len(guesses)
    assert {e.details["path"] for e in entries} >= {g for pair in guesses for g in pair}
    assert all(e.user_id == world.user_id["hub_manager"] for e in entries)


def test_tampered_agency_category_and_case_are_refused(app, client, world):
    mine, theirs, other_isa = _cases(app, world)
    client.sign_in(world.email["hub_manager"])
    before = len(denials(app))
    # Agency: another hub's agency added to a case.
    response = client.submit(
        f"/cases/{mine}/members",
        {"agency_id": world.agency_ids["outsider"], "route": "triage", "reason": "Tampered"},
    )
    assert response.status_code == 400
    # Category: one that does not exist, on an agreement.
    response = client.submit(
        "/hubs/copeland/isas/new",
        {
            "reference": "T-1",
            "title": "Tampered",
            "purpose": "Tampered",
            "legal_basis": "s115",
            "status": "in_force",
            "starts_on-day": "1",
            "starts_on-month": "1",
            "starts_on-year": "2026",
            "categories": ["identity", "everything"],
        },
    )
    assert response.status_code == 400
    # Case: a membership of another hub's case, removed through one's own case.
    with app.app_context():
        their_membership = db.session.execute(
            select(CaseMembership.id).where(
                CaseMembership.case_id == theirs, CaseMembership.route == "triage"
            )
        ).scalar_one()
    response = client.submit(f"/cases/{mine}/members/{their_membership}/remove", {"reason": "x y"})
    assert response.status_code == 404
    # And the other hub's case straight.
    response = client.submit(
        f"/cases/{theirs}/members",
        {"agency_id": world.agency_ids["council"], "route": "triage", "reason": "Tampered"},
    )
    assert response.status_code == 404
    actions = [e.action for e in denials(app)[before:]]
    assert actions == [
        "case_member_refused",
        "isa_change_refused",
        "access_denied",
        "access_denied",
    ]
    with app.app_context():
        assert (
            db.session.execute(
                select(func.count()).select_from(InformationSharingAgreement)
            ).scalar()
            == 1
        )  # Allerdale's only
        assert (
            db.session.execute(
                select(func.count())
                .select_from(IsaCategory)
                .where(IsaCategory.category == "everything")
            ).scalar()
            == 0
        )
        active = db.session.execute(
            select(func.count())
            .select_from(CaseMembership)
            .where(CaseMembership.removed_at.is_(None))
        ).scalar()
        assert active == 4


def test_replaying_another_users_htmx_request_is_refused(app, world):
    mine, theirs, other_isa = _cases(app, world)
    from tests.conftest import HubClient

    app.test_client_class = HubClient
    owner, intruder = app.test_client(), app.test_client()
    owner.sign_in(world.email["hub_manager"])
    intruder.sign_in(world.email["case_worker"])
    owner_token = owner.csrf_token("/account/")
    request = {
        "path": f"/cases/{mine}/members",
        "data": {
            "agency_id": world.agency_ids["housing"],
            "route": "hub_manager",
            "reason": "Replayed",
            "csrf_token": owner_token,
        },
        "headers": {"HX-Request": "true", "X-CSRFToken": owner_token},
    }
    before = len(denials(app))
    # The captured request, as is, from another session: its token is not theirs.
    replay = intruder.post(**request)
    assert replay.status_code == 400
    # Re-signed with the intruder's own token: the intruder may not manage membership.
    own = intruder.csrf_token("/account/")
    request["data"]["csrf_token"] = own
    request["headers"]["X-CSRFToken"] = own
    assert intruder.post(**request).status_code == 404
    # Without any session at all.
    anonymous = app.test_client()
    assert anonymous.post(**request).status_code == 400
    actions = [e.action for e in denials(app)[before:]]
    assert actions == ["csrf_refused", "access_denied", "csrf_refused"]
    with app.app_context():
        housing = db.session.execute(
            select(CaseMembership.id).where(
                CaseMembership.case_id == mine,
                CaseMembership.agency_id == world.agency_ids["housing"],
            )
        ).first()
        assert housing is None
