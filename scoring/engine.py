"""Score a referral: points, band, case conference deadline, review cadence, case review.

Pure and deterministic: everything depends on the input and the ruleset, and
the engine never reads the clock, so a stored score can be reproduced from its
input and ``ruleset_version``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .calendar import UTC, ConferenceSlot, end_of_working_day, next_conference
from .rules import (
    BANDS,
    DEFAULT_RULESET,
    Contribution,
    RepeatRule,
    Ruleset,
    RulesetError,
    band_rank,
)

__all__ = [
    "BANDS",
    "ConferenceSlot",
    "Contribution",
    "RepeatCounts",
    "ScoreInput",
    "ScoreResult",
    "WindowCounts",
    "band_rank",
    "deadline_for",
    "score_referral",
]

_BAND_INDEX = {band: i for i, band in enumerate(BANDS)}
_WINDOW_ALIASES = {
    30: "last_30",
    "30": "last_30",
    "last_30": "last_30",
    90: "last_90",
    "90": "last_90",
    "last_90": "last_90",
    180: "last_180",
    "180": "last_180",
    "last_180": "last_180",
}


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return value


# --------------------------------------------------------------------------- input


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Earlier incidents in the last 30, 90 and 180 days.

    The windows are nested: ``last_90`` includes the incidents in ``last_30``,
    so ``last_30 <= last_90 <= last_180``.
    """

    last_30: int = 0
    last_90: int = 0
    last_180: int = 0

    def __post_init__(self) -> None:
        for name in ("last_30", "last_90", "last_180"):
            _count(getattr(self, name), name)
        if not self.last_30 <= self.last_90 <= self.last_180:
            raise ValueError(
                "repeat counts are nested windows, so last_30 <= last_90 <= last_180 "
                f"(got {self.last_30}, {self.last_90}, {self.last_180})"
            )

    @classmethod
    def coerce(cls, value: WindowCounts | Mapping[Any, int]) -> WindowCounts:
        """Accept a WindowCounts or a mapping keyed 30/90/180 (ints or strings) or last_30..."""
        if isinstance(value, WindowCounts):
            return value
        if not isinstance(value, Mapping):
            raise ValueError(f"expected WindowCounts or a mapping, got {type(value).__name__}")
        kwargs = {}
        for key, count in value.items():
            try:
                kwargs[_WINDOW_ALIASES[key]] = count
            except (KeyError, TypeError):
                raise ValueError(f"unknown repeat window {key!r}; expected 30, 90 or 180") from None
        return cls(**kwargs)


@dataclass(frozen=True, slots=True)
class RepeatCounts:
    """Earlier incidents for the same victim, place and subject (mappings are accepted)."""

    victim: WindowCounts = WindowCounts()
    place: WindowCounts = WindowCounts()
    subject: WindowCounts = WindowCounts()

    def __post_init__(self) -> None:
        for name in ("victim", "place", "subject"):
            object.__setattr__(self, name, WindowCounts.coerce(getattr(self, name)))

    @classmethod
    def none(cls) -> RepeatCounts:
        """No earlier incidents."""
        return _NO_REPEATS


_NO_REPEATS = RepeatCounts()


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreInput:
    """Everything the engine needs about one referral (keyword arguments only).

    ``risk``: questionnaire answers; missing answers are False, unknown ones are
    rejected by :func:`score_referral`. ``submitted_at`` must be timezone-aware
    and is normalised to UTC. ``conference``: the hub's weekly case conference,
    or None if it has none (medium then falls back to the ruleset's working days,
    5 by default). ``complaints_in_window`` counts qualifying complaints in the
    case review window including this referral; ``hate_incidents_in_window``
    likewise (a hate-motivated referral always counts itself).
    """

    risk: Mapping[str, bool]
    category: str
    submitted_at: dt.datetime
    repeat: RepeatCounts = _NO_REPEATS
    conference: ConferenceSlot | None = None
    complaints_in_window: int = 1
    hate_incidents_in_window: int = 0
    #: Vulnerabilities recorded on the victims ("age", "disability"...): they count as the
    #: "vulnerable" answer, once, whether or not the referrer ticked it.
    vulnerabilities: tuple[str, ...] = ()
    #: How many incidents the referral reports, and when the first was (its persistence).
    incident_count: int = 1
    first_incident_on: dt.date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.risk, Mapping):
            raise ValueError(f"risk must be a mapping of answer -> bool, got {self.risk!r}")
        for key, answer in self.risk.items():
            if not isinstance(answer, bool):
                raise ValueError(f"risk[{key!r}] must be True or False, got {answer!r}")
        # A private read-only copy: the caller's dict may change, the input must not.
        object.__setattr__(self, "risk", MappingProxyType(dict(self.risk)))
        if not isinstance(self.submitted_at, dt.datetime):
            raise ValueError(f"submitted_at must be a datetime, got {self.submitted_at!r}")
        if self.submitted_at.tzinfo is None or self.submitted_at.utcoffset() is None:
            raise ValueError("submitted_at must be timezone-aware (UTC), got a naive datetime")
        if self.submitted_at.tzinfo is not UTC:
            object.__setattr__(self, "submitted_at", self.submitted_at.astimezone(UTC))
        if not isinstance(self.repeat, RepeatCounts):
            raise ValueError(f"repeat must be RepeatCounts, got {type(self.repeat).__name__}")
        if self.conference is not None and not isinstance(self.conference, ConferenceSlot):
            raise ValueError("conference must be a ConferenceSlot or None")
        _count(self.complaints_in_window, "complaints_in_window")
        _count(self.hate_incidents_in_window, "hate_incidents_in_window")
        _count(self.incident_count, "incident_count")
        if not all(isinstance(v, str) for v in self.vulnerabilities):
            raise ValueError("vulnerabilities must be strings")
        object.__setattr__(self, "vulnerabilities", tuple(sorted(set(self.vulnerabilities))))
        if self.first_incident_on is not None and (
            isinstance(self.first_incident_on, dt.datetime)
            or not isinstance(self.first_incident_on, dt.date)
        ):
            raise ValueError(f"first_incident_on must be a date, got {self.first_incident_on!r}")


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, slots=True)
class ScoreResult:
    score: int
    band: str
    #: The override answer that requires the band (e.g. "threat_to_life"), else None.
    overridden_by: str | None
    conference_due_by: dt.datetime
    review_every_days: int
    next_review_due: dt.date
    #: Every factor that added points, plus a 0-point line per override answered yes.
    explanation: tuple[Contribution, ...]
    case_review_threshold_met: bool
    case_review_reason: str | None
    ruleset_version: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly: ISO 8601 datetimes with offset (UTC), ISO dates."""
        return {
            "score": self.score,
            "band": self.band,
            "overridden_by": self.overridden_by,
            "conference_due_by": self.conference_due_by.isoformat(),
            "review_every_days": self.review_every_days,
            "next_review_due": self.next_review_due.isoformat(),
            "explanation": [c.to_dict() for c in self.explanation],
            "case_review_threshold_met": self.case_review_threshold_met,
            "case_review_reason": self.case_review_reason,
            "ruleset_version": self.ruleset_version,
        }


# --------------------------------------------------------------------------- engine


def deadline_for(
    band: str,
    submitted_at: dt.datetime,
    conference: ConferenceSlot | None = None,
    ruleset: Ruleset = DEFAULT_RULESET,
) -> dt.datetime:
    """When the case conference for a referral in ``band`` is due (aware UTC).

    The earliest of the band's own rule and the rule of every less urgent band,
    so a more urgent band is never due later (if the weekly conference is
    tomorrow morning, a high referral goes to it rather than waiting 3 working
    days). Also usable when a coordinator re-bands a case by hand.
    """
    try:
        start = _BAND_INDEX[band]
    except KeyError:
        raise ValueError(f"unknown band {band!r}; expected one of {', '.join(BANDS)}") from None
    if submitted_at.tzinfo is None:
        raise ValueError("submitted_at must be timezone-aware (UTC), got a naive datetime")
    local_date = submitted_at.astimezone(ruleset.tzinfo).date()
    return _deadline(start, submitted_at, local_date, conference, ruleset)


def _deadline(
    start: int,
    submitted_at: dt.datetime,
    local_date: dt.date,
    conference: ConferenceSlot | None,
    ruleset: Ruleset,
) -> dt.datetime:
    rules = ruleset.deadline_rules
    due = conference_at = None
    for lower in BANDS[start:]:
        rule = rules[lower]
        if rule.next_conference and conference is not None:
            if conference_at is None:  # the same for every band that uses it
                conference_at = next_conference(
                    submitted_at, conference, ruleset.agenda_cutoff_hours
                )
            candidate = conference_at
        else:
            # No weekly slot: conference bands fall back to their working_days.
            candidate = end_of_working_day(
                local_date, rule.working_days, ruleset.end_of_day, ruleset.tzinfo
            )
        if due is None or candidate < due:
            due = candidate
    return due


def score_referral(inp: ScoreInput, ruleset: Ruleset = DEFAULT_RULESET) -> ScoreResult:
    """Score one referral against ``ruleset``. Never reads the clock."""
    risk = inp.risk
    if not risk.keys() <= ruleset.answer_keys:
        unknown = ", ".join(sorted(repr(k) for k in risk.keys() - ruleset.answer_keys))
        raise RulesetError(
            f"risk: unknown answer {unknown} (ruleset {ruleset.version} knows "
            f"{', '.join(sorted(ruleset.answer_keys))})"
        )
    try:
        category_line = ruleset.category_contributions[inp.category]
    except KeyError:
        raise ValueError(
            f"category: unknown {inp.category!r}; expected one of "
            f"{', '.join(ruleset.category_contributions)}"
        ) from None

    # Points. Each line added to the explanation is exactly what was added to the score.
    explanation: list[Contribution] = []
    score = 0
    repeat = inp.repeat
    history = [
        _repeat_line(rule, counts) if counts.last_180 else None  # nested: 0 means none at all
        for rule, counts in zip(
            ruleset.repeat_rules, (repeat.victim, repeat.place, repeat.subject), strict=True
        )
    ]
    victim_history = history[0]
    recorded = _recorded_answers(inp.vulnerabilities)
    for line in ruleset.factor_contributions:
        if not risk.get(line.factor):
            if line.factor not in recorded:
                continue
            # Recorded on the victim: counted as the answer would be, once.
            line = Contribution(
                line.factor, f"{line.label} (recorded: {recorded[line.factor]})", line.points
            )
        if line.factor == "repeat" and victim_history is not None:
            # The victim's "it has happened before" and the hub's history of the same victim
            # count the same incidents: the larger counts, once (so one more earlier incident
            # never lowers the score).
            if victim_history.points >= line.points:
                continue
            victim_history = None
        score += line.points
        explanation.append(line)
    if category_line is not None:
        score += category_line.points
        explanation.append(category_line)
    history[0] = victim_history
    for line in history:
        if line is not None:
            score += line.points
            explanation.append(line)
    for line in _persistence_lines(inp, ruleset):
        score += line.points
        explanation.append(line)

    # Band from points, then raised (never lowered) by any override answered yes.
    band = _band_for(score, ruleset.band_thresholds)
    # overridden_by names the first override answered yes that on its own requires the
    # final band (so a threat to life is named even if the points already reached critical).
    overridden_by = None
    rank = band_rank(band)
    for override, override_rank, line in ruleset.override_rows:
        if risk.get(override.key):
            explanation.append(line)
            if override_rank > rank or (override_rank == rank and overridden_by is None):
                band, rank, overridden_by = override.band, override_rank, override.key

    submitted_at = inp.submitted_at
    review_every = ruleset.review_days[band]
    local_date = submitted_at.astimezone(ruleset.tzinfo).date()
    met, reason = _case_review(inp, ruleset)
    return ScoreResult(
        score=score,
        band=band,
        overridden_by=overridden_by,
        conference_due_by=_deadline(
            _BAND_INDEX[band], submitted_at, local_date, inp.conference, ruleset
        ),
        review_every_days=review_every,
        next_review_due=local_date + dt.timedelta(days=review_every),
        explanation=tuple(explanation),
        case_review_threshold_met=met,
        case_review_reason=reason,
        ruleset_version=ruleset.version,
    )


def _band_for(score: int, thresholds: tuple[tuple[str, int], ...]) -> str:
    for band, threshold in thresholds:  # most urgent first; standard's threshold is 0
        if score >= threshold:
            return band
    raise AssertionError("unreachable: the standard band's threshold is 0")


def _repeat_line(rule: RepeatRule, counts: WindowCounts) -> Contribution | None:
    # The windows are nested, so split them into age bands (0-30, 31-90, 91-180 days)
    # and count each earlier incident once, at the weight of its own age band.
    recent = counts.last_30
    middle = counts.last_90 - counts.last_30
    older = counts.last_180 - counts.last_90
    raw = recent * rule.points_0_30 + middle * rule.points_31_90 + older * rule.points_91_180
    points = min(raw, rule.cap)
    if not points:
        return None
    label = f"{rule.label}: {recent} in the last 30 days, {middle} in 31-90, {older} in 91-180"
    if raw > rule.cap:
        label += f" ({raw} points capped at {rule.cap})"
    return Contribution(f"repeat_{rule.kind}", label, points)


#: A vulnerability recorded on a victim counts as this risk answer (the rest as "vulnerable").
VULNERABILITY_ANSWERS = {"isolation": "isolated", "children": "children_affected"}


def _recorded_answers(vulnerabilities: tuple[str, ...]) -> dict[str, str]:
    """answer -> the recorded vulnerabilities, in words, that make it yes."""
    found: dict[str, list[str]] = {}
    for v in vulnerabilities:
        found.setdefault(VULNERABILITY_ANSWERS.get(v, "vulnerable"), []).append(v.replace("_", " "))
    return {answer: ", ".join(words) for answer, words in found.items()}


def _persistence_lines(inp: ScoreInput, ruleset: Ruleset) -> list[Contribution]:
    """How often and how long: forty incidents over two years outscore one this week."""
    rules = ruleset.persistence
    if rules is None:
        return []
    lines = []
    points, reached = rules.incidents.points_for(inp.incident_count)
    if points:
        lines.append(
            Contribution(
                "persistence_incidents",
                f"{rules.incidents.label}: {inp.incident_count} reported (at least {reached})",
                points,
            )
        )
    if inp.first_incident_on is not None:
        local = inp.submitted_at.astimezone(ruleset.tzinfo).date()
        days = max((local - inp.first_incident_on).days, 0)
        points, reached = rules.duration.points_for(days)
        if points:
            lines.append(
                Contribution(
                    "persistence_duration",
                    f"{rules.duration.label}: {days} days since the first (at least {reached})",
                    points,
                )
            )
    return lines


def _case_review(inp: ScoreInput, ruleset: Ruleset) -> tuple[bool, str | None]:
    rule = ruleset.case_review
    reasons = []
    hate = inp.hate_incidents_in_window
    if inp.risk.get("hate_motivated") and hate < 1:
        hate = 1  # this referral is itself a hate incident
    if rule.hate_incidents is not None and hate >= rule.hate_incidents:
        reasons.append(
            f"{hate} hate incident{'s' if hate != 1 else ''} within {rule.window_days} days "
            f"(threshold {rule.hate_incidents})"
        )
    complaints = inp.complaints_in_window
    if complaints >= rule.complaints:
        reasons.append(
            f"{complaints} qualifying complaints within {rule.window_days} days "
            f"(threshold {rule.complaints})"
        )
    if not reasons:
        return False, None
    return True, "; ".join(reasons)
