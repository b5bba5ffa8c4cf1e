"""Triage decisions, the queue's order, scoring with a hub's own rules and conference slot,
and the referral's personal records passing the section 115 rule once on a case."""

from datetime import datetime

import pytest
import time_machine
from marshmallow import ValidationError
from sqlalchemy import select

from hub import permissions as perm
from hub.casework import cases
from hub.extensions import db
from hub.models import Agency, CaseMembership, HubScoringSettings, Referral, ReferralPerson
from referrals import intake, triage
from scoring import DEFAULT_RULESET
from tests.support.factories import make_case, make_isa
from tests.support.referral_data import hub, payload, user

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")  # Wednesday


def submit(email="referrer@council.example", **changes) -> Referral:
    return intake.submit_referral(payload(**changes), user=user(email))[0]


@time_machine.travel(NOW, tick=False)
def test_the_queue_is_ordered_by_band_then_deadline(ctx, world):
    standard = submit(risk={}, category="environmental")
    critical = submit(risk={"threat_to_life": True})
    high = submit()
    queue = db.session.execute(triage.triage_queue(user(world.email["coordinator"]))).scalars()
    assert [r.id for r in queue] == [critical.id, high.id, standard.id]
    assert critical.band == "critical" and critical.overridden_by == "threat_to_life"
    assert list(db.session.execute(triage.triage_queue(user(world.email["referrer"])))) == []


@time_machine.travel(NOW, tick=False)
def test_add_to_an_existing_case_raises_its_band_and_adds_the_referrer(ctx, world):
    coordinator = user(world.email["coordinator"])
    police = db.session.get(Agency, world.agency_ids["police"])
    case = make_case(hub(), "CPL-2026-0042", police, band="medium", stage="active")
    referral = submit()
    triage.decide(referral, {"decision": "added_to_case", "case_id": case.id}, user=coordinator)
    assert referral.case_id == case.id and case.band == "high"
    routes = {m.agency_id: m.route for m in db.session.execute(select(CaseMembership)).scalars()}
    assert routes[world.agency_ids["council"]] == "referral"
    people = db.session.execute(select(ReferralPerson)).scalars().all()
    assert {p.case_id for p in people} == {case.id}


@time_machine.travel(NOW, tick=False)
def test_decline_and_signpost_need_a_reason_and_the_referrer_sees_it(ctx, world):
    coordinator = user(world.email["coordinator"])
    referral = submit()
    with pytest.raises(ValidationError) as exc:
        triage.decide(referral, {"decision": "declined"}, user=coordinator)
    assert "reason" in exc.value.messages
    with pytest.raises(ValidationError) as exc:
        triage.decide(
            referral,
            {"decision": "signposted", "agency_id": world.agency_ids["outsider"], "reason": "x"},
            user=coordinator,
        )
    assert exc.value.messages == {"agency_id": ["Choose a partner agency of this hub"]}
    triage.decide(
        referral,
        {
            "decision": "signposted",
            "agency_id": world.agency_ids["housing"],
            "reason": "A tenancy matter for the landlord",
        },
        user=coordinator,
    )
    assert referral.status == "triaged" and referral.decided_by_id == coordinator.id
    from referrals.present import outcome_dict

    seen = outcome_dict(referral, user(world.email["referrer"]))
    assert seen["decision"] == "signposted"
    assert seen["decision_reason"] == "A tenancy matter for the landlord"
    assert seen["signposted_to"] == "Home Group"
    with pytest.raises(ValidationError) as exc:
        triage.decide(referral, {"decision": "declined", "reason": "x"}, user=coordinator)
    assert "Another coordinator has already triaged" in exc.value.messages["decision"][0]


@time_machine.travel(NOW, tick=False)
def test_a_stale_version_is_refused(ctx, world):
    referral = submit()
    with pytest.raises(ValidationError):
        triage.decide(
            referral,
            {"decision": "declined", "reason": "dup", "version": referral.version + 1},
            user=user(world.email["coordinator"]),
        )
    assert referral.status == "submitted"


@time_machine.travel(NOW, tick=False)
def test_case_references_count_up_per_hub_and_year(ctx, world):
    coordinator = user(world.email["coordinator"])
    refs = []
    for _ in range(2):
        r = submit()
        triage.decide(r, {"decision": "new_case", "title": "Personal ASB, CA28"}, user=coordinator)
        refs.append(r.case.reference)
    assert refs == ["CPL-2026-0001", "CPL-2026-0002"]
    assert cases.hub_prefix("allerdale") == "ALL"


@time_machine.travel(NOW, tick=False)
def test_people_and_description_pass_the_section_115_rule_on_the_case(ctx, world):
    coordinator = user(world.email["coordinator"])
    copeland = hub()
    council, police, housing = (
        db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
    )
    make_isa(copeland, [council, police, housing], ["incident"], reference="ISA-INC")
    referral = submit()
    triage.decide(referral, {"decision": "new_case", "title": "Personal ASB"}, user=coordinator)
    # Police (member) sees the incident-category description but not identity (no ISA for it).
    assert db.session.execute(perm.visible_records(coordinator, Referral, copeland)).all()
    assert not db.session.execute(perm.visible_records(coordinator, ReferralPerson, copeland)).all()
    make_isa(copeland, [council, police], ["identity"], reference="ISA-ID")
    db.session.expunge_all()
    from flask import g

    g.pop("_s115_cache", None)
    coordinator = user(world.email["coordinator"])
    assert (
        len(db.session.execute(perm.visible_records(coordinator, ReferralPerson, copeland)).all())
        == 2
    )
    # Housing signed both categories' first agreement only, and is not a member of the case.
    worker = user(world.email["case_worker"])
    assert not db.session.execute(perm.visible_records(worker, Referral, copeland)).all()


@time_machine.travel(NOW, tick=False)
def test_a_hubs_own_rules_and_weekly_conference_set_the_score_and_deadline(ctx, world):
    rules = DEFAULT_RULESET.to_dict()
    rules["version"] = "copeland-2026.2"
    rules["factors"]["targeted"]["points"] = 20
    db.session.add(
        HubScoringSettings(
            hub_id=world.hub_id,
            ruleset=rules,
            ruleset_version="copeland-2026.2",
            conference_weekday=4,  # Friday
            conference_time="09:30",
        )
    )
    db.session.flush()
    # A victim with no recorded vulnerabilities, one incident today: 8 + 6 = 14, medium.
    plain = {
        "people": [{"role": "victim", "name": "William Hartley"}],
        "incident_count": 1,
        "first_incident_on": "2026-11-18",
    }
    medium = submit(risk={"fear_for_safety": True}, **plain)
    assert medium.band == "medium" and medium.ruleset_version == "copeland-2026.2"
    # The next Friday conference at least 24 hours away: Friday 20 November, 09:30 GMT.
    assert medium.conference_due_by.isoformat() == "2026-11-20T09:30:00+00:00"
    targeted = submit(risk={"targeted": True}, **plain)  # 20 + 6 = 26: high under the hub's
    assert targeted.band == "high"
    assert sum(line["points"] for line in targeted.explanation) == targeted.score


@time_machine.travel(NOW, tick=False)
def test_one_hate_incident_meets_the_case_review_threshold(ctx, world):
    referral = submit(risk={"hate_motivated": True})
    assert referral.case_review_threshold_met and "hate incident" in referral.case_review_reason
