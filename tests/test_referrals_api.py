"""POST/GET /api/v1/referrals: scored on arrival, idempotent, JSON errors, permissions."""

from datetime import datetime

import time_machine
from sqlalchemy import func, select

from hub.extensions import db
from hub.models import Incident, Referral
from tests.referral_data import auth, issue_token, payload

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
    assert body["repeat"] == {"victim": zero, "place": zero, "subject": zero}
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
    other = client.post("/api/v1/referrals", json=payload(), headers=auth(token))
    assert other.status_code == 201 and other.get_json()["id"] != first.get_json()["id"]
    with app.app_context():
        assert _count(Referral) == 2
