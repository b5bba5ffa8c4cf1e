"""Milestones are read from the case as it moves (never copied), so a new step appears for the
victim without anyone recording it; telling the victim is recorded once. A second report within
the hub's case review window prompts the SPoC to tell the victim about the ASB case review."""

from datetime import date, timedelta

import time_machine
from marshmallow import ValidationError

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import CaseReview, Intervention, Referral
from hub.victims import milestones
from tests.victims.conftest import at


def keys(v, victim):
    return [
        (m.key.split(":")[0], m.told is not None)
        for m in milestones.for_victims(v.people["spoc"], v.case, [victim])[victim.id]
    ]


def referral(v, submitted_at):
    row = Referral(
        hub_id=v.hub.id,
        agency_id=v.council.id,
        user_id=v.people["referrer"].id,
        status="on_case",
        category="incident",
        origin_agency_id=v.council.id,
        case_id=v.case.id,
        submitted_at=submitted_at,
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_milestones_follow_the_case_and_telling_is_recorded_once(v, victim):
    spoc = v.people["spoc"]
    assert keys(v, victim) == [("case_opened", False)]
    v.case.lead_agency_id = v.police.id
    v.case.lead_agreed_at = utcnow()
    db.session.add(
        Intervention(
            case_id=v.case.id,
            type="community_protection_warning",
            issuing_officer="Officer",
            subject="Number 12",
            category="incident",
            origin_agency_id=v.council.id,
            recorded_by_id=spoc.id,
            recorded_at=utcnow() + timedelta(seconds=1),
        )
    )
    db.session.flush()
    assert keys(v, victim) == [
        ("case_opened", False),
        ("lead_agreed", False),
        ("intervention", False),
    ]
    labels = [m.label for m in milestones.case_milestones(spoc, v.case)]
    assert "Cumbria Constabulary agreed to lead the case" in labels
    assert "Community protection warning used" in labels
    milestones.mark_told(
        v.case, victim, {"milestone": f"lead_agreed:{v.police.id}", "channel": "letter"}, actor=spoc
    )
    again = milestones.mark_told(
        v.case, victim, {"milestone": f"lead_agreed:{v.police.id}", "channel": "phone"}, actor=spoc
    )
    assert again.channel == "letter"
    assert ("lead_agreed", True) in keys(v, victim)
    try:
        milestones.mark_told(
            v.case, victim, {"milestone": "case_closed", "channel": "phone"}, actor=spoc
        )
    except ValidationError as refused:
        assert refused.messages == {"milestone": ["Choose an update from the list"]}
    else:
        raise AssertionError("a milestone that has not happened was marked told")


def test_a_second_report_in_the_window_prompts_the_case_review_offer(v, victim):
    with time_machine.travel(at("2026-11-24T09:00"), tick=False):
        referral(v, at("2026-03-02T10:00"))  # outside the default 180 days
        referral(v, at("2026-10-01T10:00"))
        assert "case_review_offer" not in [k for k, _ in keys(v, victim)]
        referral(v, at("2026-11-20T10:00"))
        offer = [
            m
            for m in milestones.case_milestones(v.people["spoc"], v.case)
            if m.key == "case_review_offer"
        ]
        assert [m.at for m in offer] == [at("2026-11-20T10:00")]
        assert "case review" in offer[0].label
        assert "case_review_offer" not in [
            m.key for m in milestones.case_milestones(v.people["spoc"], v.case, for_letter=True)
        ]
        milestones.mark_told(
            v.case,
            victim,
            {"milestone": "case_review_offer", "channel": "phone"},
            actor=v.people["spoc"],
        )
        assert ("case_review_offer", True) in keys(v, victim)
        db.session.add(
            CaseReview(
                hub_id=v.hub.id,
                reference="CR-1",
                case_id=v.case.id,
                source="application",
                received_on=date(2026, 11, 24),
            )
        )
        db.session.flush()
        assert "case_review_offer" not in [k for k, _ in keys(v, victim)]
