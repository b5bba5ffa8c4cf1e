"""Rules are data: the default ruleset, validation messages and the dict round trip."""

from __future__ import annotations

import copy
import dataclasses
import json
from importlib import resources

import pytest

from scoring import BANDS, DEFAULT_RULESET, Ruleset, RulesetError
from scoring.rules import OVERRIDE_ANSWERS, RISK_FACTORS


def default_dict() -> dict:
    return copy.deepcopy(DEFAULT_RULESET.to_dict())


# --------------------------------------------------------------------------- default


def test_default_ruleset_loads_with_a_version():
    assert isinstance(DEFAULT_RULESET, Ruleset)
    assert DEFAULT_RULESET.version == "default-2026.2"
    assert [f.key for f in DEFAULT_RULESET.factors] == list(RISK_FACTORS)
    assert [o.key for o in DEFAULT_RULESET.overrides] == list(OVERRIDE_ANSWERS)


def test_default_ruleset_contents_are_sensible():
    r = DEFAULT_RULESET
    assert all(f.points > 0 for f in r.factors)
    assert all(f.label for f in r.factors)
    assert {o.band for o in r.overrides} == {"critical"}
    assert "critical whatever else is scored" in r.overrides[0].label
    cats = r.category_points
    assert cats["personal"] > cats["nuisance"] > cats["environmental"]
    assert r.band_thresholds == (("critical", 44), ("high", 25), ("medium", 12), ("standard", 0))
    assert {b: (d.working_days, d.next_conference) for b, d in r.deadline_rules.items()} == {
        "critical": (1, False),
        "high": (3, False),
        "medium": (5, True),
        "standard": (10, False),
    }
    assert r.timezone == "Europe/London"
    assert r.end_of_day.strftime("%H:%M") == "17:00"
    assert r.agenda_cutoff_hours == 24
    assert dict(r.review_days) == {"critical": 7, "high": 14, "medium": 28, "standard": 56}
    assert (r.case_review.complaints, r.case_review.window_days) == (3, 183)
    assert r.case_review.hate_incidents == 1


def test_repeat_history_alone_cannot_make_a_referral_critical():
    # The caps keep repeat history from dominating: all caps plus the highest category
    # stay below the critical threshold.
    r = DEFAULT_RULESET
    most = sum(rule.cap for rule in r.repeat_rules) + max(r.category_points.values())
    assert most < dict(r.band_thresholds)["critical"]


def test_default_json_file_is_the_canonical_dict():
    text = resources.files("scoring").joinpath("default_ruleset.json").read_text("utf-8")
    assert DEFAULT_RULESET.to_dict() == json.loads(text)


# --------------------------------------------------------------------------- round trip


def test_round_trip_dict_and_json():
    d = DEFAULT_RULESET.to_dict()
    again = Ruleset.from_dict(d)
    assert again == DEFAULT_RULESET
    assert again.to_dict() == d
    assert Ruleset.from_json(DEFAULT_RULESET.to_json()) == DEFAULT_RULESET
    json.dumps(d)  # JSON-able


def test_changed_ruleset_round_trips_and_differs():
    d = default_dict()
    d["version"] = "hub-7-2026.2"
    d["factors"]["isolated"]["points"] = 0
    d["case_review"]["hate_incidents"] = None
    d["deadlines"]["agenda_cutoff_hours"] = 36.5
    r = Ruleset.from_dict(d)
    assert r != DEFAULT_RULESET
    assert r.to_dict() == d
    assert r.version == "hub-7-2026.2"


def test_description_is_optional():
    d = default_dict()
    del d["description"]
    assert Ruleset.from_dict(d).description == ""


def test_ruleset_is_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RULESET.version = "x"
    with pytest.raises(TypeError):
        DEFAULT_RULESET.category_points["personal"] = 99


# --------------------------------------------------------------------------- validation


def _set(path: str, value):
    def change(d):
        *parents, last = path.split(".")
        for p in parents:
            d = d[p]
        d[last] = value

    return change


def _delete(path: str):
    def change(d):
        *parents, last = path.split(".")
        for p in parents:
            d = d[p]
        del d[last]

    return change


BAD_RULESETS = [
    # negative points
    (_set("factors.targeted.points", -1), "factors.targeted.points: must be at least 0"),
    (_set("category_points.nuisance", -2), "category_points.nuisance: must be at least 0"),
    (
        _set("repeat_points.victim.per_incident.0-30", -3),
        "repeat_points.victim.per_incident.0-30: must be at least 0",
    ),
    (_set("repeat_points.place.cap", -1), "repeat_points.place.cap: must be at least 0"),
    # unknown band
    (_set("bands.severe", 99), "bands: unknown key 'severe'"),
    (
        _set("overrides.threat_to_life.band", "severe"),
        "overrides.threat_to_life.band: unknown band",
    ),
    (_set("review_days.urgent", 3), "review_days: unknown key 'urgent'"),
    (_set("deadlines.bands.urgent", {"working_days": 1}), "deadlines.bands: unknown key 'urgent'"),
    # missing keys
    (_delete("bands"), "ruleset: missing key 'bands'"),
    (_delete("version"), "ruleset: missing key 'version'"),
    (_delete("factors.isolated"), "factors: missing key 'isolated'"),
    (_delete("factors.targeted.label"), "factors.targeted: missing key 'label'"),
    (_delete("bands.medium"), "bands: missing key 'medium'"),
    (_delete("overrides.self_harm_risk"), "overrides: missing key 'self_harm_risk'"),
    (_delete("deadlines.end_of_day"), "deadlines: missing key 'end_of_day'"),
    (_delete("deadlines.bands.high.working_days"), "deadlines.bands.high: missing key"),
    (_delete("case_review.window_days"), "case_review: missing key 'window_days'"),
    # typos and wrong types
    (_set("factors.targetted", {"label": "x", "points": 1}), "factors: unknown key 'targetted'"),
    (_set("colour", "red"), "ruleset: unknown key 'colour'"),
    (_set("factors.targeted.points", True), "factors.targeted.points: expected a whole number"),
    (_set("factors.targeted.points", 2.5), "factors.targeted.points: expected a whole number"),
    (_set("factors.targeted.label", ""), "factors.targeted.label: expected a non-empty string"),
    (_set("factors", []), "factors: expected an object"),
    (_set("version", 3), "version: expected a non-empty string"),
    # relationships between keys
    (_set("bands.standard", 5), "bands.standard: must be 0"),
    (_set("bands.high", 44), "bands.critical: threshold 44 must be above bands.high (44)"),
    (
        _set("repeat_points.subject.per_incident.91-180", 5),
        "repeat_points.subject.per_incident: points must not increase with age",
    ),
    (_set("review_days.critical", 60), "review_days: a more urgent band"),
    (_set("category_points.environmental", 50), "category_points: expected personal >="),
    # deadlines
    (_set("deadlines.timezone", "Mars/Olympus"), "deadlines.timezone: unknown time zone"),
    (_set("deadlines.end_of_day", "5pm"), "deadlines.end_of_day: expected a time as 'HH:MM'"),
    (_set("deadlines.agenda_cutoff_hours", -1), "deadlines.agenda_cutoff_hours: must not be"),
    (_set("deadlines.agenda_cutoff_hours", "24"), "deadlines.agenda_cutoff_hours: expected a"),
    (_set("deadlines.bands.critical.working_days", 0), "critical.working_days: must be at least 1"),
    (_set("deadlines.bands.medium.next_conference", "yes"), "medium.next_conference: expected"),
    # case review
    (_set("case_review.complaints", 0), "case_review.complaints: must be at least 1"),
    (_set("case_review.hate_incidents", 0), "case_review.hate_incidents: must be at least 1"),
]


@pytest.mark.parametrize(("change", "message"), BAD_RULESETS)
def test_validation_names_the_bad_key(change, message):
    d = default_dict()
    change(d)
    with pytest.raises(RulesetError) as exc:
        Ruleset.from_dict(d)
    assert message in str(exc.value)


def test_ruleset_error_is_a_value_error():
    assert issubclass(RulesetError, ValueError)


def test_not_a_mapping_and_bad_json():
    with pytest.raises(RulesetError, match="ruleset: expected an object"):
        Ruleset.from_dict([1, 2])
    with pytest.raises(RulesetError, match="not valid JSON"):
        Ruleset.from_json("{nope")


def test_bands_constant_order():
    assert BANDS == ("critical", "high", "medium", "standard")
