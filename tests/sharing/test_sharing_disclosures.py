"""The disclosure register: the hub manager sees every row; an originating agency its own."""

from sqlalchemy import select

from hub import permissions as perm
from hub.extensions import db
from hub.models import Agency, AuditEntry, Hub, User
from tests.support.factories import make_case, make_isa, make_note


def _register(app, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council, police, housing = (
            db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
        )
        user = {k: db.session.get(User, world.user_id[k]) for k in world.user_id}
        make_isa(hub, [council, police, housing], ["incident", "housing"], reference="REG-ISA")
        case = make_case(hub, "CPL-D1", council, police, housing)
        council_note = make_note(case, council, user["referrer"], category="incident")
        housing_note = make_note(case, housing, user["case_worker"], category="housing")
        perm.record_read(user["coordinator"], case, [council_note, housing_note], what="notes")
        db.session.commit()
        return case.id


def test_hub_manager_sees_every_row(app, client, world):
    case_id = _register(app, world)
    client.sign_in(world.email["hub_manager"])
    page = client.get(f"/cases/{case_id}/disclosures")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert body.count("REG-ISA") == 2
    assert "Copeland Borough Council" in body and "Home Group" in body
    assert "Housing and tenancy" in body and "Incident" in body


def test_originating_agency_sees_only_its_own_rows(app, client, world):
    case_id = _register(app, world)
    client.sign_in(world.email["case_worker"])  # Home Group
    body = client.get(f"/cases/{case_id}/disclosures").get_data(as_text=True)
    assert body.count("REG-ISA") == 1 and "Housing and tenancy" in body
    assert "Copeland Borough Council</td>" not in body.split("<tbody")[1].split("Cumbria")[0]
    with app.app_context():
        viewed = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "disclosure_register_viewed")
        ).scalar_one()
        assert viewed.details == {"scope": "own", "rows": 1}


def test_others_get_not_found(app, client, world):
    case_id = _register(app, world)
    for who in ("analyst", "referrer", "other_hub"):
        client.sign_in(world.email[who])
        assert client.get(f"/cases/{case_id}/disclosures").status_code == 404, who
        client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    client.sign_in(world.email["hub_manager"])
    assert client.get("/cases/999999/disclosures").status_code == 404
