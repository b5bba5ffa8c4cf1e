"""The audit viewer: a hub manager sees their hub's entries (and their people's sign-ins),
filters them, pages through them and exports them; the export is audited."""

import csv
import io

from sqlalchemy import select

from hub import audit
from hub.extensions import db
from hub.models import AuditEntry, Hub, User
from tests.support.factories import make_case


def _entries(app, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        other = db.session.get(Hub, world.other_hub_id)
        worker = db.session.get(User, world.user_id["case_worker"])
        outsider = db.session.get(User, world.user_id["other_hub"])
        case = make_case(hub, "CPL-A1")
        other_case = make_case(hub, "CPL-A2")
        audit.record("personal_data_read", user=worker, hub=hub, target=case)
        audit.record("personal_data_read", user=worker, hub=hub, target=other_case)
        audit.record("case_member_added", user=worker, hub=hub, target=case)
        audit.record("sign_in", user=worker)
        audit.record("sign_in", user=outsider)
        audit.record("secret_other_hub_event", user=outsider, hub=other)
        db.session.commit()
        return case.id


def test_manager_sees_own_hub_and_own_peoples_sign_ins_only(app, client, world):
    _entries(app, world)
    client.sign_in(world.email["hub_manager"])
    page = client.get("/hubs/copeland/audit")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "personal data read" in body and "case member added" in body
    assert "secret other hub event" not in body
    export = client.get("/hubs/copeland/audit.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    outsider = str(world.user_id["other_hub"])
    assert all(r["user_id"] != outsider for r in rows)
    assert {r["action"] for r in rows} >= {"personal_data_read", "sign_in", "case_member_added"}
    with app.app_context():
        exported = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "audit_log_exported")
        ).scalar_one()
        assert exported.hub_id == world.hub_id and exported.details["rows"] == len(rows)


def test_filters(app, client, world):
    case_id = _entries(app, world)
    client.sign_in(world.email["hub_manager"])

    def actions(**query):
        out = client.get("/hubs/copeland/audit.csv", query_string=query).get_data(as_text=True)
        return [(r["action"], r["target_id"]) for r in csv.DictReader(io.StringIO(out))]

    assert sorted(actions(case="CPL-A1")) == [
        ("case_member_added", str(case_id)),
        ("personal_data_read", str(case_id)),
    ]
    assert actions(case="NOPE-1") == []
    assert {a for a, _ in actions(action="sign_in")} == {"sign_in"}
    worker = world.user_id["case_worker"]
    assert len(actions(user_id=worker)) == 4
    assert len(actions(agency_id=world.agency_ids["housing"])) == 4
    assert actions(agency_id=world.agency_ids["police"]) == []
    assert actions(date_from="2000-01-01", date_to="2000-01-02") == []
    assert len(actions(date_from="2000-01-01")) >= 4
    bad = client.get("/hubs/copeland/audit", query_string={"date_from": "2026-13-01"})
    assert bad.status_code == 400 and "real date" in bad.get_data(as_text=True)
    backwards = client.get(
        "/hubs/copeland/audit", query_string={"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert backwards.status_code == 400


def test_pages(app, client, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        for i in range(120):
            audit.record("bulk_event", hub=hub, details={"n": i})
        db.session.commit()
    client.sign_in(world.email["hub_manager"])
    first = client.get("/hubs/copeland/audit", query_string={"action": "bulk_event"})
    body = first.get_data(as_text=True)
    assert "120 entries; page 1 of 3" in body and 'rel="next"' in body
    last = client.get("/hubs/copeland/audit", query_string={"action": "bulk_event", "page": 9})
    assert "page 3 of 3" in last.get_data(as_text=True)


def test_csv_cells_cannot_become_formulas(app, client, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        audit.record("=cmd|' /C calc'!A0", hub=hub)
        db.session.commit()
    client.sign_in(world.email["hub_manager"])
    out = client.get("/hubs/copeland/audit.csv").get_data(as_text=True)
    assert "'=cmd" in out


def test_only_the_hubs_managers_see_its_log(app, client, world):
    for who in ("coordinator", "case_worker", "analyst", "other_hub"):
        client.sign_in(world.email[who])
        assert client.get("/hubs/copeland/audit").status_code == 404
        assert client.get("/hubs/copeland/audit.csv").status_code == 404
        client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
