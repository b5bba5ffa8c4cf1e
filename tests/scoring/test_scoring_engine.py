"""Worked examples of score_referral with exact figures (default ruleset unless stated)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest

from scoring import (
    BANDS,
    DEFAULT_RULESET,
    ConferenceSlot,
    Contribution,
    RepeatCounts,
    Ruleset,
    RulesetError,
    ScoreInput,
    WindowCounts,
    band_rank,
    deadline_for,
    score_referral,
)

UTC = dt.UTC
LONDON = ZoneInfo("Europe/London")
MON, TUE, WED, THU, FRI = range(5)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def london(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def make(risk=(), category="personal", at=None, **kwargs) -> ScoreInput:
    return ScoreInput(
        risk={k: True for k in risk},
        category=category,
        submitted_at=at or utc(2026, 6, 1, 10),
        **kwargs,
    )


def ruleset_with(**changes) -> Ruleset:
    d = copy.deepcopy(DEFAULT_RULESET.to_dict())
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = d
        for p in parents:
            node = node[p]
        node[last] = value
    return Ruleset.from_dict(d)


# --------------------------------------------------------------------------- worked examples

FRIDAY_BEFORE_BANK_HOLIDAY = london(2026, 8, 28, 16)  # Friday 16:00 BST, Monday 31st is a holiday


def test_high_referral_friday_before_bank_holiday():
    result = score_referral(
        make(
            ("targeted", "vulnerable", "fear_for_safety"),
            at=FRIDAY_BEFORE_BANK_HOLIDAY,
            repeat=RepeatCounts(victim=WindowCounts(1, 2, 2)),
        )
    )
    assert result.explanation == (
        Contribution("targeted", "Targeted at the victim personally", 6),
        Contribution(
            "vulnerable", "Victim is vulnerable (age, disability, health or circumstances)", 8
        ),
        Contribution("fear_for_safety", "Victim fears for their safety", 8),
        Contribution("category_personal", "Personal ASB (targeted at a person or household)", 6),
        Contribution(
            "repeat_victim",
            "Earlier incidents against the same victim: 1 in the last 30 days, 1 in 31-90, "
            "0 in 91-180",
            3 + 2,
        ),
    )
    assert result.score == 33
    assert result.band == "high"
    assert result.overridden_by is None
    # 3 working days: Tue 1, Wed 2, Thu 3 September; 17:00 BST is 16:00 UTC.
    assert result.conference_due_by == utc(2026, 9, 3, 16)
    assert result.review_every_days == 14
    assert result.next_review_due == dt.date(2026, 9, 11)
    assert result.ruleset_version == "default-2026.2"


def test_critical_referral_friday_before_bank_holiday_is_due_tuesday():
    result = score_referral(
        make(
            ("targeted", "vulnerable", "fear_for_safety", "hate_motivated", "health_affected"),
            at=FRIDAY_BEFORE_BANK_HOLIDAY,
            repeat=RepeatCounts(victim=WindowCounts(1, 2, 2)),
        )
    )
    assert (result.score, result.band) == (49, "critical")
    assert result.conference_due_by == london(2026, 9, 1, 17) == utc(2026, 9, 1, 16)
    assert result.review_every_days == 7


def test_high_referral_goes_to_an_earlier_weekly_conference():
    # Weekly conference on Wednesdays 10:00: Wednesday 2 September is sooner than 3 working
    # days (Thursday 17:00), so a high referral is due there; critical stays on Tuesday.
    wednesday = ConferenceSlot(WED, dt.time(10))
    at = FRIDAY_BEFORE_BANK_HOLIDAY
    assert deadline_for("critical", at, wednesday) == utc(2026, 9, 1, 16)
    assert deadline_for("high", at, wednesday) == utc(2026, 9, 2, 9)
    assert deadline_for("medium", at, wednesday) == utc(2026, 9, 2, 9)
    assert deadline_for("standard", at, wednesday) == london(2026, 9, 14, 17)
    assert deadline_for("high", at, None) == utc(2026, 9, 3, 16)


def test_conference_tomorrow_morning_beats_critical_end_of_day():
    tuesday = ConferenceSlot(TUE, dt.time(10))
    at = utc(2026, 6, 1, 8)  # Monday 09:00 BST; Tuesday 10:00 BST is 25 hours away
    assert deadline_for("critical", at, tuesday) == utc(2026, 6, 2, 9)
    assert deadline_for("high", at, tuesday) == utc(2026, 6, 2, 9)
    assert deadline_for("critical", at, None) == utc(2026, 6, 2, 16)


def test_medium_uses_the_weekly_conference_with_agenda_cutoff():
    inp = dict(risk=("routine_affected", "community_impact", "escalating"), category="nuisance")
    at = utc(2026, 6, 1, 10)  # Monday 11:00 BST
    with_slot = score_referral(make(**inp, at=at, conference=ConferenceSlot(TUE, dt.time(10))))
    assert (with_slot.score, with_slot.band) == (15, "medium")
    # Tuesday 2 June 10:00 BST is under 24 hours away, so Tuesday 9 June.
    assert with_slot.conference_due_by == utc(2026, 6, 9, 9)
    assert with_slot.review_every_days == 28
    # No weekly slot: 5 working days, Monday 8 June 17:00 BST.
    without = score_referral(make(**inp, at=at))
    assert without.conference_due_by == utc(2026, 6, 8, 16)


def test_standard_referral_ten_working_days():
    result = score_referral(make(category="environmental", at=utc(2026, 6, 1, 10)))
    assert (result.score, result.band) == (1, "standard")
    assert result.explanation == (
        Contribution("category_environmental", "Environmental ASB (affecting surroundings)", 1),
    )
    assert result.conference_due_by == utc(2026, 6, 15, 16)  # Monday 15 June 17:00 BST
    assert (result.review_every_days, result.next_review_due) == (56, dt.date(2026, 7, 27))


@pytest.mark.parametrize(
    ("band", "at", "expected"),
    [
        # Christmas Eve 2026 (Thursday): 25th, weekend, 28th substitute Boxing Day. GMT.
        ("critical", utc(2026, 12, 24, 12), utc(2026, 12, 29, 17)),
        ("high", utc(2026, 12, 24, 12), utc(2026, 12, 31, 17)),
        ("medium", utc(2026, 12, 24, 12), utc(2027, 1, 5, 17)),
        ("standard", utc(2026, 12, 24, 12), utc(2027, 1, 12, 17)),
        # New Year: 30 Dec + 3 working days skips Friday 1 January 2027.
        ("critical", utc(2026, 12, 30, 12), utc(2026, 12, 31, 17)),
        ("high", utc(2026, 12, 30, 12), utc(2027, 1, 5, 17)),
        # Clocks go back Sunday 25 October 2026: Friday is BST, Monday's 17:00 is GMT.
        ("critical", london(2026, 10, 23, 15), utc(2026, 10, 26, 17)),
        # Clocks go forward Sunday 29 March 2026: Monday's 17:00 is BST.
        ("critical", london(2026, 3, 27, 15), utc(2026, 3, 30, 16)),
        ("high", london(2026, 3, 27, 15), utc(2026, 4, 1, 16)),
        # Easter 2026: Good Friday 3 April and Easter Monday 6 April.
        ("critical", london(2026, 4, 2, 12), utc(2026, 4, 7, 16)),
        # 23:30 UTC on 30 June is 00:30 BST on 1 July: the local date is what counts.
        ("critical", utc(2026, 6, 30, 23, 30), utc(2026, 7, 2, 16)),
        ("critical", utc(2026, 1, 5, 23, 30), utc(2026, 1, 6, 17)),
    ],
)
def test_deadlines_over_holidays_and_clock_changes(band, at, expected):
    assert deadline_for(band, at) == expected


def test_score_result_deadline_matches_deadline_for():
    inp = make(("threats_or_violence",), at=utc(2026, 12, 24, 12))
    result = score_referral(inp)
    assert result.conference_due_by == deadline_for(result.band, inp.submitted_at)


# --------------------------------------------------------------------------- overrides


def test_threat_to_life_forces_critical_and_is_explained():
    result = score_referral(make(("threat_to_life",), category="nuisance"))
    assert result.score == 3
    assert result.band == "critical"
    assert result.overridden_by == "threat_to_life"
    assert result.explanation == (
        Contribution("category_nuisance", "Nuisance ASB (affecting a local community)", 3),
        Contribution("threat_to_life", "Threat to life \u2014 critical whatever else is scored", 0),
    )
    assert sum(c.points for c in result.explanation) == result.score
    assert result.review_every_days == 7


def test_both_overrides_are_explained_and_the_first_is_named():
    result = score_referral(make(("self_harm_risk", "threat_to_life"), category="environmental"))
    assert result.band == "critical"
    assert result.overridden_by == "threat_to_life"
    assert [c.factor for c in result.explanation if c.points == 0] == [
        "threat_to_life",
        "self_harm_risk",
    ]


def test_override_answered_no_changes_nothing():
    inp = ScoreInput(
        risk={"threat_to_life": False, "self_harm_risk": False},
        category="nuisance",
        submitted_at=utc(2026, 6, 1, 10),
    )
    result = score_referral(inp)
    assert (result.band, result.overridden_by, len(result.explanation)) == ("standard", None, 1)


def test_override_never_lowers_a_band():
    rules = ruleset_with(overrides__self_harm_risk__band="medium")
    everything = (
        "targeted",
        "vulnerable",
        "hate_motivated",
        "threats_or_violence",
        "fear_for_safety",
    )
    result = score_referral(make((*everything, "self_harm_risk")), rules)
    assert result.band == "critical"
    assert result.overridden_by is None
    assert Contribution("self_harm_risk", rules.overrides[1].label, 0) in result.explanation
    low = score_referral(make(("self_harm_risk",), category="environmental"), rules)
    assert (low.band, low.overridden_by) == ("medium", "self_harm_risk")


# --------------------------------------------------------------------------- repeat counts


@pytest.mark.parametrize(
    ("victim", "points"),
    [
        (WindowCounts(0, 0, 0), 0),
        (WindowCounts(1, 1, 1), 3),  # one incident, counted once at the 0-30 weight
        (WindowCounts(0, 1, 1), 2),
        (WindowCounts(0, 0, 1), 1),
        (WindowCounts(2, 2, 2), 6),
        (WindowCounts(1, 3, 6), 1 * 3 + 2 * 2 + 3 * 1),
        (WindowCounts(5, 5, 5), 12),  # 15, capped at 12
        (WindowCounts(0, 0, 40), 12),
    ],
)
def test_repeat_victim_window_weighting(victim, points):
    result = score_referral(make(category="environmental", repeat=RepeatCounts(victim=victim)))
    assert result.score == 1 + points
    lines = [c for c in result.explanation if c.factor == "repeat_victim"]
    assert [c.points for c in lines] == ([points] if points else [])


def test_repeat_place_and_subject_and_cap_label():
    repeat = RepeatCounts(
        victim={30: 5, 90: 5, 180: 5},
        place={"30": 1, "90": 2, "180": 4},
        subject={"last_30": 0, "last_90": 0, "last_180": 3},
    )
    result = score_referral(make(category="environmental", repeat=repeat))
    by_factor = {c.factor: c for c in result.explanation}
    assert by_factor["repeat_victim"].points == 12
    assert by_factor["repeat_victim"].label.endswith("(15 points capped at 12)")
    assert by_factor["repeat_place"].points == 2 + 1 + 2
    assert by_factor["repeat_subject"].points == 3
    assert result.score == 1 + 12 + 5 + 3


def test_repeat_history_alone_stays_below_critical():
    most = RepeatCounts(*(WindowCounts(50, 50, 50),) * 3)
    assert score_referral(make(category="personal", repeat=most)).band == "high"


def test_repeat_counts_validation():
    assert RepeatCounts.none() == RepeatCounts()
    with pytest.raises(ValueError, match="last_30 <= last_90 <= last_180"):
        WindowCounts(3, 2, 5)
    with pytest.raises(ValueError, match=">= 0"):
        WindowCounts(-1, 0, 0)
    with pytest.raises(ValueError, match="unknown repeat window 60"):
        RepeatCounts(victim={60: 1})


# --------------------------------------------------------------------------- case review


def test_case_review_three_complaints_in_six_months():
    assert not score_referral(make(complaints_in_window=2)).case_review_threshold_met
    result = score_referral(make(complaints_in_window=3))
    assert result.case_review_threshold_met
    assert result.case_review_reason == "3 qualifying complaints within 183 days (threshold 3)"


def test_case_review_one_hate_incident():
    result = score_referral(make(hate_incidents_in_window=1))
    assert result.case_review_threshold_met
    assert result.case_review_reason == "1 hate incident within 183 days (threshold 1)"
    # A hate-motivated referral counts itself even if the caller passed 0.
    assert score_referral(make(("hate_motivated",))).case_review_threshold_met
    assert not score_referral(make()).case_review_threshold_met


def test_case_review_both_reasons():
    result = score_referral(make(complaints_in_window=4, hate_incidents_in_window=2))
    assert result.case_review_reason == (
        "2 hate incidents within 183 days (threshold 1); "
        "4 qualifying complaints within 183 days (threshold 3)"
    )


def test_case_review_thresholds_are_configurable():
    rules = ruleset_with(case_review={"complaints": 5, "window_days": 365, "hate_incidents": None})
    assert not score_referral(
        make(("hate_motivated",), complaints_in_window=4), rules
    ).case_review_threshold_met
    result = score_referral(make(complaints_in_window=5), rules)
    assert result.case_review_reason == "5 qualifying complaints within 365 days (threshold 5)"
    rules = ruleset_with(case_review={"complaints": 3, "window_days": 183, "hate_incidents": 2})
    assert not score_referral(make(hate_incidents_in_window=1), rules).case_review_threshold_met
    assert score_referral(make(hate_incidents_in_window=2), rules).case_review_threshold_met


# --------------------------------------------------------------------------- input handling


def test_missing_answers_are_false_and_explanation_sums():
    result = score_referral(make(("escalating",), category="nuisance"))
    assert result.score == 6 + 3 == sum(c.points for c in result.explanation)


def test_unknown_answer_is_rejected_with_a_clear_message():
    with pytest.raises(RulesetError, match="risk: unknown answer 'knife'"):
        score_referral(make(("knife",)))
    with pytest.raises(ValueError):  # RulesetError is a ValueError
        score_referral(make(("knife",)))


def test_bad_inputs():
    with pytest.raises(ValueError, match="timezone-aware"):
        make(at=dt.datetime(2026, 6, 1, 10))
    with pytest.raises(ValueError, match="category: unknown 'loud'"):
        score_referral(make(category="loud"))
    with pytest.raises(ValueError, match="must be True or False"):
        ScoreInput(risk={"targeted": 1}, category="personal", submitted_at=utc(2026, 6, 1))
    with pytest.raises(ValueError, match="complaints_in_window"):
        make(complaints_in_window=-1)
    with pytest.raises(ValueError, match="unknown band 'urgent'"):
        deadline_for("urgent", utc(2026, 6, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        deadline_for("high", dt.datetime(2026, 6, 1))


def test_input_is_normalised_to_utc_and_copied():
    risk = {"targeted": True}
    inp = ScoreInput(risk=risk, category="personal", submitted_at=london(2026, 7, 1, 9))
    risk["vulnerable"] = True  # the caller's dict changing later must not change the input
    assert inp.submitted_at == utc(2026, 7, 1, 8)
    assert inp.submitted_at.tzinfo is UTC
    assert dict(inp.risk) == {"targeted": True}


def test_to_dict_is_json_friendly():
    result = score_referral(make(("threat_to_life",), at=utc(2026, 8, 28, 15)))
    d = result.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["conference_due_by"] == "2026-09-01T16:00:00+00:00"
    assert d["next_review_due"] == "2026-09-04"
    assert d["explanation"][-1] == {
        "factor": "threat_to_life",
        "label": "Threat to life \u2014 critical whatever else is scored",
        "points": 0,
    }
    assert d["ruleset_version"] == "default-2026.2"


def test_band_rank():
    assert [band_rank(b) for b in BANDS] == [3, 2, 1, 0]
    with pytest.raises(ValueError):
        band_rank("urgent")


def test_the_engine_never_reads_the_clock():
    time_machine = pytest.importorskip("time_machine")
    inp = make(("targeted",), at=utc(2026, 8, 28, 15), conference=ConferenceSlot(WED, "10:00"))
    expected = score_referral(inp)
    for when in (dt.datetime(1999, 1, 1, tzinfo=UTC), dt.datetime(2041, 6, 1, tzinfo=UTC)):
        with time_machine.travel(when, tick=False):
            assert score_referral(inp) == expected


def test_scoring_imports_nothing_of_the_web_app():
    code = (
        "import sys, scoring; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'sqlalchemy', 'flask_sqlalchemy', 'hub')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)  # noqa: S603
    assert run.returncode == 0, run.stdout + run.stderr
