"""Matching keys and repeat matching: near-miss addresses, name variants, nearby coordinates,
the 30/90/180-day windows, and a constant number of SQL statements per intake."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import insert

from hub.extensions import db
from hub.models import Incident
from referrals import intake
from referrals.matching import MatchKeys, find_matches
from referrals.normalise import (
    address_key,
    grid_cell,
    name_key,
    neighbour_cells,
    normalise_postcode,
)
from tests.conftest import count_queries
from tests.support.referral_data import payload, user

NOW = datetime.fromisoformat("2026-11-18T10:00:00+00:00")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("William Hartley", "Bill Hartley"),
        ("Mr. WILLIAM  hartley", "billy hartley"),
        ("William James Hartley", "William Hartley"),
        ("Margaret O'Neill", "Maggie ONeill"),
        ("Katherine Smith-Jones", "Kate Smithjones"),
        ("Stephen Moore", "Steven Moore"),
        ("Brian Tyson", "Bryan Tyson"),
    ],
)
def test_name_variants_share_a_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"), [("William Hartley", "Wilma Hartley"), ("Tom Hart", "Tim Hart")]
)
def test_different_names_do_not(a, b):
    assert name_key(a) != name_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Flat 3, 12 Mill Street, Whitehaven", "flat 3 12 mill st"),
        ("Flat 3, 12 Mill Street, Whitehaven CA28 7XY", "3/12 Mill St., Whitehaven"),
        ("Apartment 3, 12 Mill Street", "Flat 3 12 Mill Street, Cumbria"),
        ("12 Lowther Rd", "12, Lowther Road, Whitehaven, Cumbria"),
        ("7 Jacktrees Ave.", "7 JACKTREES AVENUE"),
    ],
)
def test_near_miss_addresses_share_a_key(a, b):
    assert address_key(a) == address_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Flat 3, 12 Mill Street", "Flat 4, 12 Mill Street"), ("12 Mill Street", "14 Mill Street")],
)
def test_different_addresses_do_not(a, b):
    assert address_key(a) != address_key(b)


def test_postcodes_are_validated_and_normalised():
    assert normalise_postcode("ca287xy") == "CA28 7XY"
    assert normalise_postcode(" sw1a  1aa ") == "SW1A 1AA"
    assert normalise_postcode("CA28") is None
    assert normalise_postcode("12345") is None


def test_coordinates_within_a_small_radius_share_a_neighbourhood():
    here = (54.54900, -3.58700)
    near = (54.54930, -3.58760)  # about 50 m away
    far = (54.55500, -3.58700)  # about 670 m away
    assert grid_cell(*near) in neighbour_cells(*here)
    assert grid_cell(*far) not in neighbour_cells(*here)


def _submit(app, email="referrer@council.example", by=None, **changes):
    return intake.submit_referral(payload(**changes), user=by or user(email))[0]


@time_machine.travel(NOW, tick=False)
def test_a_second_referral_matches_victim_place_and_subject_despite_variants(ctx, world):
    first = _submit(None)
    assert first.repeat["victim"] == {"30": 0, "90": 0, "180": 0}
    second = _submit(
        None,
        location={"address": "3/12 Mill St., Whitehaven", "postcode": "CA28 7XY"},
        people=[
            {"role": "victim", "name": "Bill Hartley", "date_of_birth": "1958-03-02"},
            {"role": "subject", "name": "jordan  PIKE"},
        ],
    )
    assert second.repeat["victim"] == {"30": 1, "90": 1, "180": 1}
    assert second.repeat["place"] == {"30": 1, "90": 1, "180": 1}
    # The subject has no date of birth or address of their own: matched by name at no
    # address, which never matches (a bare name is too weak to link people).
    assert second.repeat["subject"]["180"] == 0
    factors = {line["factor"] for line in second.explanation}
    assert "repeat_place" in factors
    # The victim's "it has happened before" (4 points) and the one earlier incident the hub
    # holds for them (3) are the same history: counted once, the larger.
    assert "repeat" in factors and "repeat_victim" not in factors
    (place,) = [line for line in second.explanation if line["factor"] == "repeat_place"]
    assert place["points"] > 0 and sum(line["points"] for line in second.explanation) == (
        second.score
    )


@time_machine.travel(NOW, tick=False)
def test_a_victim_at_another_address_matches_by_date_of_birth_and_coordinates_match(ctx, world):
    _submit(None)
    moved = _submit(
        None,
        location={"address": "Somewhere else entirely", "lat": 54.5492, "lon": -3.5874},
        people=[{"role": "victim", "name": "William Hartley", "date_of_birth": "1958-03-02"}],
    )
    assert moved.repeat["victim"]["30"] == 1
    assert moved.repeat["place"]["30"] == 1  # within ~50 m of the first


@time_machine.travel(NOW, tick=False)
def test_windows_count_by_age_and_ignore_other_hubs(ctx, world):
    keys = MatchKeys.from_referral(
        {
            "location": {"address": "12 Mill Street", "postcode": None, "lat": None, "lon": None},
            "people": [{"role": "victim", "name": "Ann Lee", "date_of_birth": date(1970, 1, 1)}],
        }
    )
    today = date(2026, 11, 18)
    rows = []
    for days_ago in (1, 29, 45, 100, 179, 200):
        for hub_id in (world.hub_id, world.other_hub_id):
            rows += keys.incident_rows(
                hub_id=hub_id,
                occurred_on=today - timedelta(days=days_ago),
                hate=False,
                referral_id=None,
            )
    db.session.execute(insert(Incident), rows)
    result = find_matches(world.hub_id, keys, today)
    assert result.repeat["victim"] == {"30": 2, "90": 3, "180": 5}
    assert result.repeat["place"] == {"30": 2, "90": 3, "180": 5}
    assert result.victim_in_review_window == 5


@time_machine.travel(NOW, tick=False)
def test_three_complaints_in_six_months_meet_the_case_review_threshold(ctx, world):
    assert not _submit(None).case_review_threshold_met
    assert not _submit(None).case_review_threshold_met
    third = _submit(None)
    assert third.case_review_threshold_met
    assert "3 qualifying complaints" in third.case_review_reason


@time_machine.travel(NOW, tick=False)
def test_statements_per_intake_do_not_grow_with_history(app, ctx, world, _transaction):
    referrer = user(world.email["referrer"])
    _submit(None, by=referrer)  # warm the per-request caches the same way for both
    with count_queries(_transaction) as small:
        _submit(None, by=referrer)
    keys = MatchKeys.from_referral(
        {"location": {"address": "12 Mill Street"}, "people": []}
        | {"location": payload()["location"]}
    )
    rows = keys.incident_rows(
        hub_id=world.hub_id, occurred_on=date(2026, 11, 1), hate=False, referral_id=None
    )
    db.session.execute(insert(Incident), rows * 300)
    with count_queries(_transaction) as large:
        _submit(None, by=referrer)
    assert len(large) == len(small)
    assert len(small) <= 11, "\n".join(s[:80] for s in small)


@time_machine.travel(NOW, tick=False)
def test_a_retry_racing_the_first_request_returns_the_first_referral(ctx, world, monkeypatch):
    referrer = user(world.email["referrer"])
    first, created = intake.submit_referral(payload(), user=referrer, idempotency_key="k-1")
    db.session.commit()
    real = intake._existing
    calls = []

    def not_yet(*args):  # the retry checked before the first request had committed
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(intake, "_existing", not_yet)
    again, created_again = intake.submit_referral(
        payload(), user=user(world.email["referrer"]), idempotency_key="k-1"
    )
    assert created and not created_again and again.id == first.id
