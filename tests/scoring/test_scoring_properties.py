"""Invariants of the scoring engine, checked with hypothesis over inputs and rulesets."""

from __future__ import annotations

import copy
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import (
    BANDS,
    DEFAULT_RULESET,
    ConferenceSlot,
    RepeatCounts,
    Ruleset,
    ScoreInput,
    WindowCounts,
    band_rank,
    deadline_for,
    is_working_day,
    score_referral,
)
from scoring.rules import CATEGORIES, REPEAT_AGE_BANDS, REPEAT_KINDS

LONDON = ZoneInfo("Europe/London")
ANSWERS = sorted(DEFAULT_RULESET.answer_keys)

# No example database: keeps runs free of stray files in the repository.
PROPERTY = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --------------------------------------------------------------------------- strategies

submitted_ats = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2045, 12, 31),
    timezones=st.just(dt.UTC),
)
slots = st.none() | st.builds(
    ConferenceSlot,
    weekday=st.integers(0, 6),
    time=st.times(min_value=dt.time(7), max_value=dt.time(20)),
)


@st.composite
def window_counts(draw) -> WindowCounts:
    a, b, c = (draw(st.integers(0, 8)) for _ in range(3))
    return WindowCounts(a, a + b, a + b + c)


repeat_counts = st.builds(RepeatCounts, window_counts(), window_counts(), window_counts())


@st.composite
def rulesets(draw) -> Ruleset:
    """Any valid ruleset: the invariants must follow from validation, not from the default."""
    d = copy.deepcopy(DEFAULT_RULESET.to_dict())
    d["version"] = "random"
    for item in d["factors"].values():
        item["points"] = draw(st.integers(0, 20))
    for item in d["overrides"].values():
        item["band"] = draw(st.sampled_from(BANDS))
    points = sorted(draw(st.lists(st.integers(0, 15), min_size=3, max_size=3)), reverse=True)
    d["category_points"] = dict(zip(CATEGORIES, points, strict=True))
    for kind in REPEAT_KINDS:
        per = sorted(draw(st.lists(st.integers(0, 6), min_size=3, max_size=3)), reverse=True)
        d["repeat_points"][kind]["per_incident"] = dict(zip(REPEAT_AGE_BANDS, per, strict=True))
        d["repeat_points"][kind]["cap"] = draw(st.integers(0, 40))
    thresholds = sorted(draw(st.sets(st.integers(1, 150), min_size=3, max_size=3)), reverse=True)
    d["bands"] = dict(zip(BANDS, [*thresholds, 0], strict=True))
    deadlines = d["deadlines"]
    deadlines["end_of_day"] = draw(st.sampled_from(["00:00", "09:00", "16:30", "17:00", "23:59"]))
    deadlines["agenda_cutoff_hours"] = draw(st.sampled_from([0, 1, 24, 48, 72.5, 200]))
    for band in BANDS:
        deadlines["bands"][band] = {
            "working_days": draw(st.integers(1, 15)),
            "next_conference": draw(st.booleans()),
        }
    cadence = sorted(draw(st.lists(st.integers(1, 90), min_size=4, max_size=4)))
    d["review_days"] = dict(zip(BANDS, cadence, strict=True))
    ruleset = Ruleset.from_dict(d)
    assert Ruleset.from_dict(ruleset.to_dict()) == ruleset  # round trip, for any ruleset
    return ruleset


any_ruleset = st.one_of(st.just(DEFAULT_RULESET), rulesets())


@st.composite
def score_inputs(draw) -> ScoreInput:
    # Some answers left out entirely: missing means False.
    risk = draw(st.dictionaries(st.sampled_from(ANSWERS), st.booleans()))
    return ScoreInput(
        risk=risk,
        category=draw(st.sampled_from(CATEGORIES)),
        submitted_at=draw(submitted_ats),
        repeat=draw(repeat_counts),
        conference=draw(slots),
        complaints_in_window=draw(st.integers(0, 6)),
        hate_incidents_in_window=draw(st.integers(0, 3)),
    )


def with_changes(inp: ScoreInput, **changes) -> ScoreInput:
    fields = {name: getattr(inp, name) for name in ScoreInput.__dataclass_fields__}
    fields.update(changes)
    return ScoreInput(**fields)


# --------------------------------------------------------------------------- properties


@PROPERTY
@given(inp=score_inputs(), ruleset=any_ruleset, data=st.data())
def test_answering_yes_never_lowers_score_band_or_urgency(inp, ruleset, data):
    no_answers = [k for k in ANSWERS if not inp.risk.get(k)]
    if not no_answers:
        return
    answer = data.draw(st.sampled_from(no_answers), label="answer")
    before = score_referral(inp, ruleset)
    after = score_referral(with_changes(inp, risk={**inp.risk, answer: True}), ruleset)
    assert after.score >= before.score
    assert band_rank(after.band) >= band_rank(before.band)
    assert after.conference_due_by <= before.conference_due_by


@PROPERTY
@given(inp=score_inputs(), ruleset=any_ruleset, data=st.data())
def test_more_repeat_incidents_never_lower_score_or_band(inp, ruleset, data):
    kind = data.draw(st.sampled_from(REPEAT_KINDS), label="kind")
    window = data.draw(st.integers(0, 2), label="window")  # 30, 90 or 180 days
    extra = data.draw(st.integers(1, 5), label="extra")
    counts = getattr(inp.repeat, kind)
    new = [counts.last_30, counts.last_90, counts.last_180]
    new[window] += extra
    for wider in range(window + 1, 3):  # keep the windows nested
        new[wider] = max(new[wider], new[window])
    repeat = RepeatCounts(**{**_as_dict(inp.repeat), kind: WindowCounts(*new)})
    before = score_referral(inp, ruleset)
    after = score_referral(with_changes(inp, repeat=repeat), ruleset)
    assert after.score >= before.score
    assert band_rank(after.band) >= band_rank(before.band)


def _as_dict(repeat: RepeatCounts) -> dict[str, WindowCounts]:
    return {kind: getattr(repeat, kind) for kind in REPEAT_KINDS}


@PROPERTY
@given(submitted_at=submitted_ats, slot=slots, ruleset=any_ruleset)
def test_deadline_never_later_for_a_higher_band(submitted_at, slot, ruleset):
    deadlines = [deadline_for(band, submitted_at, slot, ruleset) for band in BANDS]
    assert deadlines == sorted(deadlines)  # critical <= high <= medium <= standard


@PROPERTY
@given(submitted_at=submitted_ats, slot=slots, ruleset=any_ruleset)
def test_deadline_is_on_a_working_day_and_after_submission(submitted_at, slot, ruleset):
    for band in BANDS:
        due = deadline_for(band, submitted_at, slot, ruleset)
        assert due.utcoffset() == dt.timedelta(0)
        assert due > submitted_at
        assert is_working_day(due.astimezone(LONDON).date())


@PROPERTY
@given(inp=score_inputs(), ruleset=any_ruleset)
def test_explanation_sums_to_score_and_result_is_consistent(inp, ruleset):
    result = score_referral(inp, ruleset)
    assert sum(c.points for c in result.explanation) == result.score
    assert all(
        c.points > 0 or c.factor in {o.key for o in ruleset.overrides} for c in result.explanation
    )
    assert result.band in BANDS
    points_band = next(b for b, t in ruleset.band_thresholds if result.score >= t)
    if result.overridden_by is None:
        assert result.band == points_band
    else:
        assert inp.risk.get(result.overridden_by)
        assert band_rank(result.band) >= band_rank(points_band)
    assert result.conference_due_by > inp.submitted_at
    assert result.conference_due_by == deadline_for(
        result.band, inp.submitted_at, inp.conference, ruleset
    )
    assert result.review_every_days == ruleset.review_days[result.band]
    assert result.ruleset_version == ruleset.version
    assert result.to_dict()["score"] == result.score


@PROPERTY
@given(inp=score_inputs())
def test_scoring_is_deterministic(inp):
    assert score_referral(inp) == score_referral(inp)
