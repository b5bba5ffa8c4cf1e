"""Scoring a practitioner trusts (issue 12, section 4): recorded vulnerabilities count, how long
and how often count, and the victim's "it has happened before" is not counted on top of the
hub's history of the same incidents."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from scoring import DEFAULT_RULESET, RepeatCounts, Ruleset, RulesetError, ScoreInput, score_referral

AT = dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC)


def score(risk=(), category="personal", ruleset=DEFAULT_RULESET, **kw):
    inp = ScoreInput(risk={k: True for k in risk}, category=category, submitted_at=AT, **kw)
    return score_referral(inp, ruleset)


def lines(result) -> dict[str, int]:
    return {c.factor: c.points for c in result.explanation}


def test_a_vulnerability_recorded_on_the_victim_counts_as_the_answer_once():
    ticked = score(("targeted", "vulnerable"))
    recorded = score(("targeted",), vulnerabilities=("disability",))
    both = score(("targeted", "vulnerable"), vulnerabilities=("disability", "age"))
    assert recorded.score == ticked.score == both.score
    (line,) = [c for c in recorded.explanation if c.factor == "vulnerable"]
    assert "recorded: disability" in line.label
    # Isolation and children in the household are answers of their own.
    isolated = score(("targeted",), vulnerabilities=("isolation", "children"))
    assert lines(isolated).keys() >= {"isolated", "children_affected"}
    assert "vulnerable" not in lines(isolated)


def test_forty_incidents_over_two_years_score_above_one_incident_this_week():
    week = score(("targeted",), incident_count=1, first_incident_on=dt.date(2026, 11, 12))
    years = score(("targeted",), incident_count=40, first_incident_on=dt.date(2024, 11, 10))
    assert years.score > week.score
    assert lines(years)["persistence_incidents"] > 0 and lines(years)["persistence_duration"] > 0
    assert "persistence_incidents" not in lines(week)
    # Never fewer points for more incidents or a longer time.
    previous = -1
    for count, days in ((1, 0), (5, 30), (10, 90), (20, 180), (40, 365), (400, 3650)):
        s = score(
            (), incident_count=count, first_incident_on=AT.date() - dt.timedelta(days=days)
        ).score
        assert s >= previous
        previous = s


def test_the_victims_repeat_answer_and_the_hubs_history_count_once():
    answer = score(("repeat",))
    one_old = score(("repeat",), repeat=RepeatCounts(victim={30: 0, 90: 0, 180: 1}))
    many = score(("repeat",), repeat=RepeatCounts(victim={30: 3, 90: 3, 180: 3}))
    history_only = score((), repeat=RepeatCounts(victim={30: 3, 90: 3, 180: 3}))
    # One old incident (1 point) is what the victim meant: the answer's 4 points, not 5.
    assert one_old.score == answer.score and "repeat_victim" not in lines(one_old)
    # Three recent incidents (9 points) outweigh the answer: counted instead of it, not beside.
    assert many.score == history_only.score and "repeat" not in lines(many)


def test_a_ruleset_without_persistence_scores_as_before_and_bad_steps_are_refused():
    rules = copy.deepcopy(DEFAULT_RULESET.to_dict())
    del rules["persistence"]
    old = Ruleset.from_dict(rules)
    assert old.to_dict() == rules
    result = score((), ruleset=old, incident_count=40, first_incident_on=dt.date(2024, 1, 1))
    assert not {"persistence_incidents", "persistence_duration"} & lines(result).keys()
    rules["persistence"] = {
        "incidents": {"label": "Incidents", "points": [[10, 2], [5, 3]]},
        "duration": {"label": "Days", "points": [[90, 1]]},
    }
    with pytest.raises(RulesetError, match="persistence.incidents.points: thresholds must rise"):
        Ruleset.from_dict(rules)
    assert Ruleset.from_dict(DEFAULT_RULESET.to_dict()) == DEFAULT_RULESET


def test_bad_new_inputs_are_refused():
    with pytest.raises(ValueError, match="incident_count"):
        score((), incident_count=-1)
    with pytest.raises(ValueError, match="first_incident_on"):
        score((), first_incident_on="2026-01-01")
