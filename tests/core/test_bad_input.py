"""Issue 21: what an attacker (or a fuzzer) sends gets a clear 400 or 404 and writes nothing,
on both databases: NUL bytes, lone surrogates, ids beyond the database's integers, dates too
far away, JSON nested too deep; and CSV cells a spreadsheet would run are made plain text."""

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from hub.core.spreadsheet import safe_cell
from hub.extensions import db
from hub.models import AuditEntry, Referral
from tests.support.referral_data import auth, issue_token, payload


def _signed_in(client, world, who="hub_manager"):
    client.sign_in(world.email[who])
    return client


def _referrals(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(Referral)).scalar_one()


@pytest.mark.parametrize(
    "path",
    [
        "/cases/2147483648",
        "/cases/9223372036854775808",
        "/referrals/99999999999999999999",
        "/api/v1/referrals/2147483648",
        "/hubs/copeland/conferences/99999999999",
    ],
)
def test_ids_beyond_the_databases_integers_are_pages_that_do_not_exist(client, world, path):
    _signed_in(client, world)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "date_to=9999-12-31",
        "date_from=0001-01-01",
        "date_from=2026-01-01&date_to=99999-01-01",
    ],
)
def test_dates_too_far_away_get_a_field_message(client, world, query):
    _signed_in(client, world)
    for path in (f"/hubs/{world.hub_slug}/audit", f"/hubs/{world.hub_slug}/decisions"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        body = response.get_data(as_text=True)
        assert "There is a problem" in body and (
            "between 1900 and 2199" in body or "real date" in body
        )


def test_timeliness_and_subject_access_refuse_impossible_dates(app, client, world):
    _signed_in(client, world)
    page = client.get(f"/hubs/{world.hub_slug}/conferences/timeliness?from=9999-12-31")
    assert page.status_code == 400 and "between 1900 and 2199" in page.get_data(as_text=True)
    with app.app_context():
        from hub.models import Agency, Hub
        from tests.support.factories import make_user

        council = db.session.get(Agency, world.agency_ids["council"])
        make_user("dpo@council.example", council, ("dpo", db.session.get(Hub, world.hub_id)))
        db.session.commit()
    dpo = app.test_client()
    dpo.sign_in("dpo@council.example")
    for year in ("99999999999999999999", "10000", "1066"):
        page = dpo.get(
            f"/hubs/{world.hub_slug}/subject-access",
            query_string={"name": "Hartley", "dob-day": "1", "dob-month": "1", "dob-year": year},
        )
        assert page.status_code == 400 and "must be a real date" in page.get_data(as_text=True)


def test_nul_bytes_in_a_form_are_refused_and_nothing_is_saved(app, client, world):
    _signed_in(client, world, "referrer")
    before = _referrals(app)
    response = client.submit("/referrals/new", {"hub": "copeland", "summary": "Noise\x00"})
    assert response.status_code == 400
    assert "cannot be stored" in response.get_data(as_text=True)
    assert _referrals(app) == before


def test_nul_bytes_lone_surrogates_and_deep_json_in_the_api_are_400s(app, client, world):
    token = issue_token(app, world.email["referrer"])
    before = _referrals(app)
    headers = auth(token, **{"Content-Type": "application/json"})
    bad_bodies = [
        json.dumps(payload(summary="Noise\x00 at night")),
        json.dumps(payload(summary="Noise")).replace('"Noise"', '"Noise \\ud800"'),
        "[" * 5000 + "]" * 5000,
        '{"hub": ' + "[" * 40 + "1" + "]" * 40 + "}",  # deeper than any form of ours
    ]
    for body in bad_bodies:
        response = client.post("/api/v1/referrals", data=body, headers=headers)
        assert response.status_code == 400, body[:80]
        error = response.get_json()["error"]
        assert error["code"] == "bad_request" and error["message"]
    assert _referrals(app) == before


def test_a_nul_byte_in_a_refused_url_is_audited_as_a_code(app, client, world):
    _signed_in(client, world)
    assert client.get("/hubs/" + "x" * 300 + "/audit").status_code == 404
    with app.app_context():
        entry = db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.action == "access_denied")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).scalar_one()
        assert len(entry.target_id) <= 60 and len(entry.details["path"]) <= 200


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil")',
        " =1+2",
        "\n=1+2",
        "\t=1",
        "\uff1dSUM(A1)",
        "|calc",
        "+1",
        "-1+cmd",
        "@SUM(A1)",
        "%0A=1",
    ],
)
def test_csv_cells_a_spreadsheet_would_run_are_plain_text(text):
    cell = safe_cell(text)
    assert cell == "'" + text


def test_plain_csv_cells_are_left_alone():
    assert safe_cell("Noise at night") == "Noise at night"
    assert safe_cell(42) == 42 and safe_cell(None) == ""


def test_the_audit_export_neutralises_formulas_typed_into_the_log(app, client, world):
    with app.app_context(), app.test_request_context():
        from hub import audit

        audit.record("test_event", hub=world.hub_id, target_type="hub", target_id=" =1+2")
        db.session.commit()
    _signed_in(client, world)
    body = client.get(f"/hubs/{world.hub_slug}/audit.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    row = next(r for r in rows if r["action"] == "test_event")
    assert row["target_id"].startswith("'")
