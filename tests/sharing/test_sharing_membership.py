"""Case membership and record restriction: who decides, with reasons, audited; bad requests
get clear errors and write nothing."""

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from hub.extensions import db
from hub.models import Agency, AuditEntry, CaseMembership, Hub, RecordRestriction, User
from hub.sharing import restrictions as sharing
from tests.support.factories import make_case, make_note


def _setup(app, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, police = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police")
        )
        case = make_case(hub, "CPL-M1", council, police)
        db.session.commit()
        memberships = {
            m.agency_id: m.id
            for m in db.session.execute(
                select(CaseMembership).where(CaseMembership.case_id == case.id)
            ).scalars()
        }
        return case.id, memberships


def audit_actions(app, action):
    with app.app_context():
        return (
            db.session.execute(select(AuditEntry).where(AuditEntry.action == action))
            .scalars()
            .all()
        )


def active_agencies(app, case_id):
    with app.app_context():
        return set(
            db.session.execute(
                select(CaseMembership.agency_id).where(
                    CaseMembership.case_id == case_id, CaseMembership.removed_at.is_(None)
                )
            ).scalars()
        )


@pytest.mark.parametrize("who", ["hub_manager", "coordinator"])
def test_hub_manager_and_coordinator_add_and_remove_members(app, client, world, who):
    case_id, memberships = _setup(app, world)
    housing = world.agency_ids["housing"]
    client.sign_in(world.email[who])
    page = client.get(f"/cases/{case_id}/members").get_data(as_text=True)
    assert "Referring agency" in page and "Home Group" in page  # offered to add
    response = client.submit(
        f"/cases/{case_id}/members",
        {"agency_id": housing, "route": "conference", "reason": "Tenancy enforcement agreed"},
    )
    assert response.status_code == 302
    assert housing in active_agencies(app, case_id)
    [added] = audit_actions(app, "case_member_added")
    # The reason is the membership's own record; the log says who was added, and how.
    assert added.details == {"after": {"agency_id": housing, "route": "conference"}}
    page = client.get(f"/cases/{case_id}/members").get_data(as_text=True)
    assert "Conference decision" in page and "Tenancy enforcement agreed" in page
    police_membership = memberships[world.agency_ids["police"]]
    response = client.submit(
        f"/cases/{case_id}/members/{police_membership}/remove", {"reason": "No longer needed"}
    )
    assert response.status_code == 302
    assert world.agency_ids["police"] not in active_agencies(app, case_id)
    [removed] = audit_actions(app, "case_member_removed")
    assert removed.details["after"] == {"removed": True}
    page = client.get(f"/cases/{case_id}/members").get_data(as_text=True)
    assert "Removed" in page and "No longer needed" in page


def test_bad_membership_requests_get_clear_errors(app, client, world):
    case_id, memberships = _setup(app, world)
    client.sign_in(world.email["coordinator"])
    url = f"/cases/{case_id}/members"
    housing, outsider = world.agency_ids["housing"], world.agency_ids["outsider"]
    checks = [
        ({"agency_id": housing, "route": "triage"}, "Enter why the agency is being added"),
        ({"agency_id": outsider, "route": "triage", "reason": "Because"}, "partner in this hub"),
        (
            {"agency_id": world.agency_ids["police"], "route": "triage", "reason": "Again"},
            "already",
        ),
        ({"agency_id": housing, "route": "hub_manager", "reason": "x y z"}, "Only the hub manager"),
        ({"agency_id": "abc", "route": "triage", "reason": "x y z"}, "Choose an agency"),
    ]
    for data, message in checks:
        response = client.submit(url, data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), (data, message)
    assert active_agencies(app, case_id) == {
        world.agency_ids["council"],
        world.agency_ids["police"],
    }
    # The tampered agency (another hub's) is on record.
    assert any(
        e.details["agency_id"] == str(outsider) for e in audit_actions(app, "case_member_refused")
    )
    referral = memberships[world.agency_ids["council"]]
    response = client.submit(f"{url}/{referral}/remove", {"reason": "Tidy up"})
    assert response.status_code == 400
    assert "referring agency stays a member" in response.get_data(as_text=True)
    police = memberships[world.agency_ids["police"]]
    response = client.submit(f"{url}/{police}/remove", {"reason": ""})
    assert response.status_code == 400
    assert "Enter why the agency is being removed" in response.get_data(as_text=True)
    assert active_agencies(app, case_id) == {
        world.agency_ids["council"],
        world.agency_ids["police"],
    }


def test_others_cannot_manage_membership(app, client, world):
    case_id, memberships = _setup(app, world)
    for who in ("case_worker", "referrer", "analyst", "spoc", "other_hub"):
        client.sign_in(world.email[who])
        assert client.get(f"/cases/{case_id}/members").status_code == 404
        response = client.submit(
            f"/cases/{case_id}/members",
            {"agency_id": world.agency_ids["housing"], "route": "triage", "reason": "Let me in"},
        )
        assert response.status_code == 404
        client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    assert world.agency_ids["housing"] not in active_agencies(app, case_id)
    assert len(audit_actions(app, "access_denied")) >= 10


def test_membership_of_another_case_cannot_be_removed_through_this_one(app, client, world):
    case_id, memberships = _setup(app, world)
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, police = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police")
        )
        other = make_case(hub, "CPL-M2", council, police)
        db.session.commit()
        other_membership = (
            db.session.execute(
                select(CaseMembership.id).where(
                    CaseMembership.case_id == other.id, CaseMembership.route == "triage"
                )
            )
            .scalars()
            .one()
        )
    client.sign_in(world.email["hub_manager"])
    response = client.submit(
        f"/cases/{case_id}/members/{other_membership}/remove", {"reason": "Sneaky"}
    )
    assert response.status_code == 404


def test_restrict_record_by_the_originating_agency(app, ctx, world):
    hub = db.session.get(Hub, world.hub_id)
    council, police, housing = (
        db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
    )
    user = {k: db.session.get(User, world.user_id[k]) for k in world.user_id}
    case = make_case(hub, "CPL-R1", council, police, housing)
    note = make_note(case, council, user["referrer"])
    sharing.restrict_record(note, [police.id], user["spoc"])  # council's SPoC
    assert note.restricted
    rows = db.session.execute(select(RecordRestriction.agency_id)).scalars().all()
    assert rows == [police.id]
    with pytest.raises(sharing.NotAllowed):
        sharing.restrict_record(note, [housing.id], user["coordinator"])  # police: not origin
    with pytest.raises(ValidationError) as empty:
        sharing.restrict_record(note, [], user["spoc"])
    assert "at least one other agency" in str(empty.value.messages)
    with pytest.raises(ValidationError) as only_self:
        sharing.restrict_record(note, [council.id], user["spoc"])
    assert "at least one other agency" in str(only_self.value.messages)
    outsider = world.agency_ids["outsider"]
    with pytest.raises(ValidationError) as foreign:
        sharing.restrict_record(note, [police.id, outsider], user["spoc"])
    assert "partners in this hub" in str(foreign.value.messages)
    assert db.session.execute(select(RecordRestriction.agency_id)).scalars().all() == [police.id]
    sharing.restrict_record(note, [housing.id], user["spoc"])
    assert db.session.execute(select(RecordRestriction.agency_id)).scalars().all() == [housing.id]
    entries = (
        db.session.execute(select(AuditEntry).where(AuditEntry.action == "record_restricted"))
        .scalars()
        .all()
    )
    assert [e.details["after"]["restricted_to"] for e in entries] == [[police.id], [housing.id]]
    assert entries[1].details["before"]["restricted_to"] == [police.id]
