"""A hub manager edits the hub's scoring ruleset: a preview of how the last 100 referrals
would band, then a new version saved and used for the next referral; every version kept."""

import json

import time_machine
from sqlalchemy import select

from hub.extensions import db
from hub.models import AuditEntry, HubRulesetVersion, HubScoringSettings, Referral
from referrals import intake
from scoring import DEFAULT_RULESET
from tests.conferences.test_conference_urgent import at, refer
from tests.conftest import page_text
from tests.support.referral_data import payload, user


def _rules(**bands) -> str:
    rules = DEFAULT_RULESET.to_dict()
    rules["version"] = "copeland-2027.1"
    rules["bands"].update(bands)
    return json.dumps(rules)


def test_a_hub_manager_previews_and_saves_a_new_version(app, client, world):
    with app.app_context():
        for when, risk in (
            ("2026-12-01T10:00", {"risk": {"fear_for_safety": True}}),  # medium
            ("2026-12-02T10:00", {"risk": {}, "category": "environmental"}),  # standard
        ):
            refer(when, risk)
        db.session.commit()
    client.sign_in("manager@council.example")
    page = client.get("/admin/hubs/copeland/scoring")
    assert page.status_code == 200 and "default-2026.2" in page_text(page)

    # Medium from 20 points: the medium referral (fear 8, personal 6, persistence 3 = 17)
    # would be standard.
    r = client.submit(
        "/admin/hubs/copeland/scoring", {"action": "preview", "ruleset": _rules(medium=20)}
    )
    text = page_text(r)
    assert r.status_code == 200 and "1 referral would change band" in text
    with app.app_context():
        assert db.session.execute(select(HubScoringSettings)).first() is None  # nothing saved

    # A mistake is named by its key, and nothing is saved.
    bad = json.loads(_rules())
    bad["factors"]["targeted"]["points"] = -1
    r = client.submit(
        "/admin/hubs/copeland/scoring", {"action": "save", "ruleset": json.dumps(bad)}
    )
    assert r.status_code == 400 and "factors.targeted.points" in page_text(r)

    r = client.submit(
        "/admin/hubs/copeland/scoring", {"action": "save", "ruleset": _rules(medium=20)}
    )
    assert r.status_code == 302
    with app.app_context():
        settings = db.session.execute(select(HubScoringSettings)).scalar_one()
        assert settings.ruleset_version == "copeland-2027.1"
        (version,) = db.session.execute(select(HubRulesetVersion)).scalars()
        assert version.ruleset["bands"]["medium"] == 20
        entry = db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "scoring_ruleset_saved")
        ).scalar_one()
        assert entry.details["after"] == {"version": "copeland-2027.1"}
        # The next referral is scored with it.
        with time_machine.travel(at("2026-12-03T10:00"), tick=False):
            referral, _ = intake.submit_referral(
                payload(risk={"fear_for_safety": True}), user=user("referrer@council.example")
            )
        assert referral.ruleset_version == "copeland-2027.1"
        db.session.rollback()

    # The same version again is refused: a stored score's version always names its rules.
    r = client.submit(
        "/admin/hubs/copeland/scoring", {"action": "save", "ruleset": _rules(medium=15)}
    )
    assert r.status_code == 400 and "already used" in page_text(r)
    with app.app_context():
        assert len(db.session.execute(select(Referral.id)).all()) == 2
