"""POST/GET /api/v1/referrals: scored on arrival, idempotent, JSON errors, permissions."""

from datetime import datetime

import time_machine
from sqlalchemy import func, select

from hub.extensions import db
from hub.models import AuditEntry, Incident, Referral
from tests.support.referral_data import auth, issue_token, payload, user

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")  # a Wednesday


def _count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


@time_machine.travel(NOW, tick=False)
def test_a_referrer_submits_and_gets_score_band_deadline_and_repeat(app, client, world):
    token = issue_token(app, world.email["referrer"])
    response = client.post("/api/v1/referrals", json=payload(), headers=auth(token))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["reference"].startswith("REF-2026-")
    assert body["band"] == "high"
    assert body["score"] == sum(line["points"] for line in body["explanation"])
    assert body["conference_due_by"] == "2026-11-23T17:00:00+00:00"  # 3 working days
    assert body["case_review_threshold_met"] is False
    zero = {"30": 0, "90": 0, "180": 0}
    no_context = {"1": 0, "3": 0, "6": 0, "latest": None}  # the hub holds no police.uk data
    assert body["repeat"] == {
        "victim": zero,
        "place": zero,
        "subject": zero,
        "police_uk": no_context,
    }
    assert body["matches"] == {"open_case_exists": False, "message": None}
    with app.app_context():
        referral = db.session.get(Referral, body["id"])
        assert referral.postcode == "CA28 7XY"
        assert [p.role for p in referral.people] == ["victim", "subject"]
        assert _count(Incident) == 1


@time_machine.travel(NOW, tick=False)
def test_the_same_idempotency_key_never_makes_two_referrals(app, client, world):
    token = issue_token(app, world.email["referrer"])
    headers = auth(token, **{"Idempotency-Key": "abc-123"})
    first = client.post("/api/v1/referrals", json=payload(), headers=headers)
    second = client.post("/api/v1/referrals", json=payload(), headers=headers)
    assert first.status_code == 201 and second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.get_json()["id"] == second.get_json()["id"]
    reused = client.post("/api/v1/referrals", json=payload(incident_count=13), headers=headers)
    assert reused.status_code == 422
    assert "already used for a different referral" in str(reused.get_json()["error"]["fields"])
    other = client.post("/api/v1/referrals", json=payload(), headers=auth(token))
    assert other.status_code == 201 and other.get_json()["id"] != first.get_json()["id"]
    with app.app_context():
        assert _count(Referral) == 2


BAD_INPUT = [
    ({"hub": "nowhere"}, "hub", "Unknown hub"),
    ({"hub": "allerdale"}, "hub", "Unknown hub"),  # a real hub the referrer's agency is not in
    ({"about": "dog"}, "about", "Choose person, problem or place"),
    ({"category": "loud"}, "category", "Choose personal, nuisance or environmental"),
    ({"summary": ""}, "summary", "between 3 and 200"),
    ({"summary": "x" * 201}, "summary", "between 3 and 200"),
    ({"description": "x" * 10_001}, "description", "10,000"),
    ({"first_incident_on": "2099-01-01"}, "first_incident_on", "today or in the past"),
    ({"first_incident_on": "1 Aug"}, "first_incident_on", "real date"),
    ({"incident_count": 0}, "incident_count", "between 1 and 10,000"),
    ({"incident_count": "12"}, "incident_count", "whole number"),
    ({"location": {"address": "12 Mill St", "postcode": "XX1"}}, "location", "real postcode"),
    ({"location": {"address": "12 Mill St", "lat": 54.5}}, "location", "both latitude"),
    (
        {"location": {"address": "12 Mill St", "lat": 10.0, "lon": -3.5}},
        "location",
        "within the UK",
    ),
    ({"people": [{"role": "victim", "name": "A B"}] * 21}, "people", "up to 20 people"),
    ({"people": [{"role": "boss", "name": "A B"}]}, "people", "Choose a role"),
    (
        {"people": [{"role": "victim", "name": "A B", "date_of_birth": "2090-01-01"}]},
        "people",
        "past",
    ),
    (
        {"people": [{"role": "victim", "name": "A B", "vulnerabilities": ["x"]}]},
        "people",
        "Unknown vulnerability",
    ),
    ({"consent": {"given": False}}, "consent", "reason for referring without consent"),
    ({"risk": {"targeted": "yes"}}, "risk", "Answer yes (true), no (false) or don"),
    ({"risk": {"on_fire": True}}, "risk", "Unknown field"),
    ({"colour": "red"}, "colour", "Unknown field"),
]


@time_machine.travel(NOW, tick=False)
def test_each_bad_field_gets_a_clear_422_and_nothing_is_written(app, client, world):
    token = issue_token(app, world.email["referrer"])
    for changes, field, message in BAD_INPUT:
        response = client.post("/api/v1/referrals", json=payload(**changes), headers=auth(token))
        assert response.status_code == 422, (changes, response.get_json())
        fields = response.get_json()["error"]["fields"]
        assert field in fields and message in str(fields[field]), (changes, fields)
    with app.app_context():
        assert _count(Referral) == 0 and _count(Incident) == 0


def test_malformed_json_is_400_and_oversized_is_413(app, client, world):
    token = issue_token(app, world.email["referrer"])
    bad = client.post(
        "/api/v1/referrals",
        data="{not json",
        headers=auth(token, **{"Content-Type": "application/json"}),
    )
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_request"
    huge = client.post(
        "/api/v1/referrals",
        json=payload(description="x" * (1024 * 1024 + 10)),
        headers=auth(token),
    )
    assert huge.status_code == 413 and huge.get_json()["error"]["code"] == "too_large"


@time_machine.travel(NOW, tick=False)
def test_who_sees_which_referral(app, client, world):
    tokens = {
        k: issue_token(app, world.email[k])
        for k in ("referrer", "spoc", "coordinator", "case_worker", "other_hub", "analyst")
    }
    made = client.post("/api/v1/referrals", json=payload(), headers=auth(tokens["referrer"]))
    rid = made.get_json()["id"]
    seen = {
        k: client.get(f"/api/v1/referrals/{rid}", headers=auth(t)).status_code
        for k, t in tokens.items()
    }
    # The referring agency (council: referrer, SPoC) and the hub's coordinator see it; housing,
    # another hub's manager and the analyst get the same 404 as a missing referral.
    assert seen == {
        "referrer": 200,
        "spoc": 200,
        "coordinator": 200,
        "case_worker": 404,
        "other_hub": 404,
        "analyst": 404,
    }
    missing = client.get("/api/v1/referrals/999999", headers=auth(tokens["case_worker"]))
    assert (
        missing.get_json()
        == client.get(f"/api/v1/referrals/{rid}", headers=auth(tokens["case_worker"])).get_json()
    )
    body = client.get(f"/api/v1/referrals/{rid}", headers=auth(tokens["coordinator"])).get_json()
    assert body["people"][0]["name"] == "William Hartley"
    listed = {
        k: [r["id"] for r in client.get("/api/v1/referrals", headers=auth(t)).get_json()["items"]]
        for k, t in tokens.items()
    }
    assert listed["referrer"] == listed["coordinator"] == [rid]
    assert listed["case_worker"] == listed["other_hub"] == []
    with app.app_context():
        actions = [
            a
            for (a,) in db.session.execute(
                select(AuditEntry.action).where(
                    AuditEntry.action.in_(["referral_read", "access_denied"])
                )
            )
        ]
        assert actions.count("referral_read") == 4 and actions.count("access_denied") >= 3


@time_machine.travel(NOW, tick=False)
def test_matching_never_tells_a_referrer_which_case_or_person_matched(app, client, world):
    from hub.models import Hub
    from referrals import triage
    from tests.support.referral_data import user

    coordinator_token = issue_token(app, world.email["coordinator"])
    police = client.post("/api/v1/referrals", json=payload(), headers=auth(coordinator_token))
    with app.app_context():
        referral = db.session.get(Referral, police.get_json()["id"])
        triage.decide(
            referral,
            {"decision": "new_case", "title": "Personal ASB, CA28"},
            user=user(world.email["coordinator"]),
        )
        db.session.commit()
        assert db.session.execute(select(Hub)).first()
    # The housing officer refers the same victim: their agency is not on that case.
    housing = issue_token(app, world.email["case_worker"])
    body = client.post("/api/v1/referrals", json=payload(), headers=auth(housing)).get_json()
    assert body["repeat"]["victim"]["30"] == 1
    assert body["matches"] == {
        "open_case_exists": True,
        "message": "An open case may concern this; the hub's coordinator has been told.",
    }
    text = str(body)
    assert "CPL-" not in text and "suggested_cases" not in body and "case_reference" not in body
    # The coordinator is told which case.
    coordinator_view = client.get(
        f"/api/v1/referrals/{body['id']}", headers=auth(coordinator_token)
    ).get_json()
    assert [c["reference"] for c in coordinator_view["suggested_cases"]] == ["CPL-2026-0001"]


def test_the_referral_api_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {"post", "get"} <= set(doc["paths"]["/api/v1/referrals"])
    assert "get" in doc["paths"]["/api/v1/referrals/{referral_id}"]
    body = doc["paths"]["/api/v1/referrals"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Referral"
    }
    referral = doc["components"]["schemas"]["Referral"]
    assert {"hub", "about", "category", "location", "people", "consent", "risk"} <= set(
        referral["properties"]
    )


def test_the_openapi_document_describes_the_one_error_shape(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    error = doc["components"]["schemas"]["Error"]
    assert error["properties"]["error"] == {"$ref": "#/components/schemas/ErrorDetail"}
    detail = doc["components"]["schemas"]["ErrorDetail"]
    assert {"code", "message", "fields"} == set(detail["properties"])
    # And what the API answers has that shape.
    refused = client.get("/api/v1/referrals").get_json()
    assert set(refused) == {"error"} and {"code", "message"} <= set(refused["error"])


def test_a_referral_is_classified_by_its_hubs_lists(app, client, world):
    """Incident category, ASB type, hate strands and crime reference: the default lists, or the
    hub's own (referrals.classification), refused with a field message otherwise."""
    from marshmallow import ValidationError

    from hub.models import HubScoringSettings
    from referrals import classification, intake

    with app.app_context():
        referrer = user("referrer@council.example")
        classified = payload(
            incident_category="asb_personal",
            asb_type="intimidation",
            hate_strands=["disability"],
            crime_reference="CR/2026/012345",
            risk={"targeted": True, "hate_motivated": True},
        )
        referral, _ = intake.submit_referral(classified, user=referrer)
        assert (referral.incident_category, referral.asb_type, referral.hate_strands) == (
            "asb_personal",
            "intimidation",
            ["disability"],
        )
        assert referral.crime_reference == "CR/2026/012345"
        for changes, field in (
            ({"asb_type": "parking"}, "asb_type"),
            ({"hate_strands": ["race"], "risk": {"targeted": True}}, "hate_strands"),
            ({"crime_reference": "<script>"}, "crime_reference"),
        ):
            try:
                intake.submit_referral(payload(**changes), user=referrer)
            except ValidationError as refused:
                assert field in refused.messages
            else:
                raise AssertionError(f"{field} should be refused")
        # A force using the personal/community split lists those instead.
        own = classification.default_data()
        own["incident_categories"] = [
            {"code": "asb_personal", "label": "ASB personal"},
            {"code": "asb_community", "label": "ASB community"},
        ]
        db.session.add(HubScoringSettings(hub_id=world.hub_id, classification=own))
        db.session.flush()
        community, _ = intake.submit_referral(
            payload(incident_category="asb_community"), user=referrer
        )
        assert community.incident_category == "asb_community"
        try:
            intake.submit_referral(payload(incident_category="asb_nuisance"), user=referrer)
        except ValidationError as refused:
            assert "incident_category" in refused.messages
        else:
            raise AssertionError("the hub does not record asb_nuisance")


def test_a_method_not_allowed_says_which_are(client):
    response = client.open("/api/v1/me", method="TRACE")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_the_openapi_document_allows_what_the_api_answers_with(client):
    """Fields the API may answer with null are nullable in the document (schemathesis found
    a null summary and null repeat counts), and the consent rule is stated there."""
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert schemas["ReferralOut"]["properties"]["summary"]["nullable"] is True
    repeat = schemas["ReferralOutcomeOut"]["properties"]["repeat"]
    assert repeat["additionalProperties"]["additionalProperties"]["nullable"] is True
    assert len(schemas["Referral"]["properties"]["consent"]["oneOf"]) == 2
