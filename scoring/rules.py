"""Scoring rules as data.

A :class:`Ruleset` is built from a plain, JSON-able dict (hubs store theirs in
the database) by :meth:`Ruleset.from_dict`, which validates every key and
raises :class:`RulesetError` naming the offending key path (for example
``factors.targeted.points``). :meth:`Ruleset.to_dict` gives the same dict back,
so a ruleset can be edited, stored and reloaded without loss.

Shape of the dict (see ``default_ruleset.json`` for the shipped default)::

    version          str, stored with every score so old scores stay explainable
    description      str, optional
    factors          {answer: {"label": str, "points": int >= 0}} for every RISK_FACTORS answer
    overrides        {answer: {"label": str, "band": band}} for every OVERRIDE_ANSWERS answer
    category_points  {"personal": int, "nuisance": int, "environmental": int}
    repeat_points    {"victim"|"place"|"subject": {"label": str,
                         "per_incident": {"0-30": int, "31-90": int, "91-180": int},
                         "cap": int}}
    bands            {"critical": int, "high": int, "medium": int, "standard": 0}
    deadlines        {"timezone": str, "end_of_day": "HH:MM", "agenda_cutoff_hours": number,
                      "bands": {band: {"working_days": int >= 1, "next_conference": bool}}}
    review_days      {band: int >= 1}
    case_review      {"complaints": int >= 1, "window_days": int >= 1,
                      "hate_incidents": int >= 1 | null}
    persistence      optional {"incidents": {"label": str, "points": [[at_least, points], ...]},
                               "duration":  {"label": str, "points": [[days, points], ...]}}:
                     points for how many incidents the referral reports and how long it has
                     gone on (thresholds rising, points not falling); absent, none

Points must be non-negative and repeat points may not grow with an incident's
age: together these guarantee that answering "yes" to one more question, or
reporting one more earlier incident, can never lower a score or a band.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Bands from most to least urgent. ``standard`` is the floor.
BANDS: tuple[str, ...] = ("critical", "high", "medium", "standard")
_BAND_RANK = {band: rank for rank, band in enumerate(reversed(BANDS))}

#: The risk questionnaire answers that carry weighted points.
RISK_FACTORS: tuple[str, ...] = (
    "targeted",
    "repeat",
    "vulnerable",
    "hate_motivated",
    "fear_for_safety",
    "threats_or_violence",
    "health_affected",
    "routine_affected",
    "considering_moving",
    "children_affected",
    "escalating",
    "isolated",
    "community_impact",
)

#: Answers that force a band whatever the total.
OVERRIDE_ANSWERS: tuple[str, ...] = ("threat_to_life", "self_harm_risk")

CATEGORIES: tuple[str, ...] = ("personal", "nuisance", "environmental")
_CATEGORY_LABELS = {
    "personal": "Personal ASB (targeted at a person or household)",
    "nuisance": "Nuisance ASB (affecting a local community)",
    "environmental": "Environmental ASB (affecting surroundings)",
}

#: Whose earlier incidents are counted, in the order they are explained.
REPEAT_KINDS: tuple[str, ...] = ("victim", "place", "subject")

#: Age bands (days) of earlier incidents; counts arrive as nested 30/90/180-day windows.
REPEAT_AGE_BANDS: tuple[str, ...] = ("0-30", "31-90", "91-180")


class RulesetError(ValueError):
    """A ruleset (or an input checked against one) is invalid; the message names the key."""


def band_rank(band: str) -> int:
    """Rank of a band: standard 0, medium 1, high 2, critical 3 (higher is more urgent)."""
    try:
        return _BAND_RANK[band]
    except KeyError:
        raise ValueError(f"unknown band {band!r}; expected one of {', '.join(BANDS)}") from None


# --------------------------------------------------------------------------- parts


@dataclass(frozen=True, slots=True)
class Contribution:
    """One line of a score's explanation: ``points`` from ``factor`` (0 for an override)."""

    factor: str
    label: str
    points: int

    def to_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "label": self.label, "points": self.points}


@dataclass(frozen=True, slots=True)
class Factor:
    key: str
    label: str
    points: int


@dataclass(frozen=True, slots=True)
class Override:
    key: str
    label: str
    band: str


@dataclass(frozen=True, slots=True)
class RepeatRule:
    """Points per earlier incident, by age band, capped per kind (victim/place/subject)."""

    kind: str
    label: str
    points_0_30: int
    points_31_90: int
    points_91_180: int
    cap: int


@dataclass(frozen=True, slots=True)
class DeadlineRule:
    """When a band's case conference is due.

    ``next_conference`` true: at the hub's next weekly conference, with
    ``working_days`` as the fallback for a hub that has no weekly slot.
    Otherwise by end of day ``working_days`` working days after the referral.
    """

    working_days: int
    next_conference: bool = False


@dataclass(frozen=True, slots=True)
class Steps:
    """Points for reaching a threshold: the last step reached counts (thresholds rising,
    points never falling, so a higher count never scores less)."""

    label: str
    steps: tuple[tuple[int, int], ...]

    def points_for(self, value: int) -> tuple[int, int]:
        """(points, threshold reached) for `value`; (0, 0) below the first step."""
        found = (0, 0)
        for threshold, points in self.steps:
            if value >= threshold:
                found = (points, threshold)
        return found

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "points": [list(step) for step in self.steps]}


@dataclass(frozen=True, slots=True)
class Persistence:
    """How long and how often: points for the incidents a referral reports and for how many
    days since the first."""

    incidents: Steps
    duration: Steps


@dataclass(frozen=True, slots=True)
class CaseReviewRule:
    """ASB case review (community trigger) threshold; ``hate_incidents`` None disables it."""

    complaints: int
    window_days: int
    hate_incidents: int | None


# --------------------------------------------------------------------------- ruleset


@dataclass(frozen=True, slots=True, repr=False)
class Ruleset:
    """A validated, immutable set of scoring rules. Build it with :meth:`from_dict`."""

    version: str
    description: str
    factors: tuple[Factor, ...]
    overrides: tuple[Override, ...]
    category_points: Mapping[str, int]
    repeat_rules: tuple[RepeatRule, ...]
    #: (band, minimum score), most urgent first; the last is ("standard", 0).
    band_thresholds: tuple[tuple[str, int], ...]
    deadline_rules: Mapping[str, DeadlineRule]
    timezone: str
    end_of_day: dt.time
    agenda_cutoff_hours: float
    review_days: Mapping[str, int]
    case_review: CaseReviewRule
    persistence: Persistence | None = None
    # Derived once per ruleset so the engine does no parsing or allocation it can avoid
    # per referral (hubs may load their ruleset from the database for every request).
    tzinfo: ZoneInfo = field(init=False, repr=False, compare=False)
    answer_keys: frozenset[str] = field(init=False, repr=False, compare=False)
    #: The explanation line of each factor worth points (0-point factors never appear).
    factor_contributions: tuple[Contribution, ...] = field(init=False, repr=False, compare=False)
    #: category -> explanation line, or None if the category is worth 0 points.
    category_contributions: Mapping[str, Contribution | None] = field(
        init=False, repr=False, compare=False
    )
    #: (override, band rank, explanation line with 0 points).
    override_rows: tuple[tuple[Override, int, Contribution], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        try:
            tz = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise RulesetError(f"deadlines.timezone: unknown time zone {self.timezone!r}") from None
        setattr_ = object.__setattr__  # frozen dataclass: derived fields are set once, here
        setattr_(self, "tzinfo", tz)
        setattr_(
            self,
            "answer_keys",
            frozenset(f.key for f in self.factors) | {o.key for o in self.overrides},
        )
        setattr_(
            self,
            "factor_contributions",
            tuple(Contribution(f.key, f.label, f.points) for f in self.factors if f.points),
        )
        setattr_(
            self,
            "category_contributions",
            MappingProxyType(
                {
                    c: Contribution(f"category_{c}", _CATEGORY_LABELS[c], p) if p else None
                    for c, p in self.category_points.items()
                }
            ),
        )
        setattr_(
            self,
            "override_rows",
            tuple((o, band_rank(o.band), Contribution(o.key, o.label, 0)) for o in self.overrides),
        )

    def __repr__(self) -> str:  # the full rules are long; the version identifies them
        return f"Ruleset(version={self.version!r})"

    # -- loading -------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ruleset:
        """Validate ``data`` and build a ruleset; raises :class:`RulesetError` naming the key."""
        top = _mapping(data, "ruleset")
        _only_keys(
            top,
            "ruleset",
            required=(
                "version",
                "factors",
                "overrides",
                "category_points",
                "repeat_points",
                "bands",
                "deadlines",
                "review_days",
                "case_review",
            ),
            optional=("description", "persistence"),
        )
        version = _string(top["version"], "version")
        description = _string(top.get("description", ""), "description", allow_empty=True)

        factors_in = _mapping(top["factors"], "factors")
        _only_keys(factors_in, "factors", required=RISK_FACTORS)
        factors = []
        for key in RISK_FACTORS:
            path = f"factors.{key}"
            item = _mapping(factors_in[key], path)
            _only_keys(item, path, required=("label", "points"))
            factors.append(
                Factor(
                    key,
                    _string(item["label"], f"{path}.label"),
                    _int(item["points"], f"{path}.points", minimum=0),
                )
            )

        overrides_in = _mapping(top["overrides"], "overrides")
        _only_keys(overrides_in, "overrides", required=OVERRIDE_ANSWERS)
        overrides = []
        for key in OVERRIDE_ANSWERS:
            path = f"overrides.{key}"
            item = _mapping(overrides_in[key], path)
            _only_keys(item, path, required=("label", "band"))
            overrides.append(
                Override(
                    key,
                    _string(item["label"], f"{path}.label"),
                    _band(item["band"], f"{path}.band"),
                )
            )

        categories_in = _mapping(top["category_points"], "category_points")
        _only_keys(categories_in, "category_points", required=CATEGORIES)
        category_points = {
            c: _int(categories_in[c], f"category_points.{c}", minimum=0) for c in CATEGORIES
        }

        repeat_in = _mapping(top["repeat_points"], "repeat_points")
        _only_keys(repeat_in, "repeat_points", required=REPEAT_KINDS)
        repeat_rules = []
        for kind in REPEAT_KINDS:
            path = f"repeat_points.{kind}"
            item = _mapping(repeat_in[kind], path)
            _only_keys(item, path, required=("label", "per_incident", "cap"))
            per = _mapping(item["per_incident"], f"{path}.per_incident")
            _only_keys(per, f"{path}.per_incident", required=REPEAT_AGE_BANDS)
            p30, p90, p180 = (
                _int(per[age], f"{path}.per_incident.{age}", minimum=0) for age in REPEAT_AGE_BANDS
            )
            repeat_rules.append(
                RepeatRule(
                    kind,
                    _string(item["label"], f"{path}.label"),
                    p30,
                    p90,
                    p180,
                    _int(item["cap"], f"{path}.cap", minimum=0),
                )
            )

        bands_in = _mapping(top["bands"], "bands")
        _only_keys(bands_in, "bands", required=BANDS)
        band_thresholds = tuple((b, _int(bands_in[b], f"bands.{b}", minimum=0)) for b in BANDS)

        deadlines_in = _mapping(top["deadlines"], "deadlines")
        _only_keys(
            deadlines_in,
            "deadlines",
            required=("timezone", "end_of_day", "agenda_cutoff_hours", "bands"),
        )
        timezone = _string(deadlines_in["timezone"], "deadlines.timezone")
        end_of_day = _clock(deadlines_in["end_of_day"], "deadlines.end_of_day")
        cutoff = _number(deadlines_in["agenda_cutoff_hours"], "deadlines.agenda_cutoff_hours")
        per_band = _mapping(deadlines_in["bands"], "deadlines.bands")
        _only_keys(per_band, "deadlines.bands", required=BANDS)
        deadline_rules = {}
        for band in BANDS:
            path = f"deadlines.bands.{band}"
            item = _mapping(per_band[band], path)
            _only_keys(item, path, required=("working_days",), optional=("next_conference",))
            next_conf = item.get("next_conference", False)
            if not isinstance(next_conf, bool):
                raise RulesetError(f"{path}.next_conference: expected true or false")
            # At least one working day, so a deadline always falls after the referral.
            days = _int(item["working_days"], f"{path}.working_days", minimum=1)
            deadline_rules[band] = DeadlineRule(days, next_conf)

        review_in = _mapping(top["review_days"], "review_days")
        _only_keys(review_in, "review_days", required=BANDS)
        review_days = {b: _int(review_in[b], f"review_days.{b}", minimum=1) for b in BANDS}

        case_in = _mapping(top["case_review"], "case_review")
        _only_keys(case_in, "case_review", required=("complaints", "window_days", "hate_incidents"))
        hate = case_in["hate_incidents"]
        case_review = CaseReviewRule(
            _int(case_in["complaints"], "case_review.complaints", minimum=1),
            _int(case_in["window_days"], "case_review.window_days", minimum=1),
            None if hate is None else _int(hate, "case_review.hate_incidents", minimum=1),
        )

        persistence = None
        if "persistence" in top:
            persist_in = _mapping(top["persistence"], "persistence")
            _only_keys(persist_in, "persistence", required=("incidents", "duration"))
            persistence = Persistence(
                _steps(persist_in["incidents"], "persistence.incidents"),
                _steps(persist_in["duration"], "persistence.duration"),
            )

        ruleset = cls(
            version=version,
            description=description,
            factors=tuple(factors),
            overrides=tuple(overrides),
            category_points=MappingProxyType(category_points),
            repeat_rules=tuple(repeat_rules),
            band_thresholds=band_thresholds,
            deadline_rules=MappingProxyType(deadline_rules),
            timezone=timezone,
            end_of_day=end_of_day,
            agenda_cutoff_hours=cutoff,
            review_days=MappingProxyType(review_days),
            case_review=case_review,
            persistence=persistence,
        )
        ruleset._check_consistency()
        return ruleset

    @classmethod
    def from_json(cls, text: str) -> Ruleset:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RulesetError(f"ruleset: not valid JSON ({exc})") from None
        return cls.from_dict(data)

    def _check_consistency(self) -> None:
        """Rules that involve more than one key."""
        thresholds = [t for _, t in self.band_thresholds]
        if thresholds[-1] != 0:
            raise RulesetError("bands.standard: must be 0 (standard is the floor)")
        for (band, t), (lower, lt) in zip(
            self.band_thresholds, self.band_thresholds[1:], strict=False
        ):
            if t <= lt:
                raise RulesetError(
                    f"bands.{band}: threshold {t} must be above bands.{lower} ({lt})"
                )
        for rule in self.repeat_rules:
            # Recent incidents must weigh at least as much as older ones, otherwise an
            # incident "ageing into" a nearer window (a higher nested count) could lower
            # the score.
            if not rule.points_0_30 >= rule.points_31_90 >= rule.points_91_180:
                raise RulesetError(
                    f"repeat_points.{rule.kind}.per_incident: points must not increase with "
                    f"age (0-30 >= 31-90 >= 91-180), got {rule.points_0_30}, "
                    f"{rule.points_31_90}, {rule.points_91_180}"
                )
        cadence = [self.review_days[b] for b in BANDS]
        if cadence != sorted(cadence):
            raise RulesetError(
                "review_days: a more urgent band must not be reviewed less often "
                f"(critical <= high <= medium <= standard), got {cadence}"
            )
        cats = self.category_points
        if not cats["personal"] >= cats["nuisance"] >= cats["environmental"]:
            raise RulesetError(
                f"category_points: expected personal >= nuisance >= environmental, got {dict(cats)}"
            )

    # -- saving --------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The plain dict form; ``Ruleset.from_dict(r.to_dict()) == r``."""
        found = self._to_dict()
        if self.persistence is not None:
            found["persistence"] = {
                "incidents": self.persistence.incidents.to_dict(),
                "duration": self.persistence.duration.to_dict(),
            }
        return found

    def _to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "description": self.description,
            "factors": {f.key: {"label": f.label, "points": f.points} for f in self.factors},
            "overrides": {o.key: {"label": o.label, "band": o.band} for o in self.overrides},
            "category_points": dict(self.category_points),
            "repeat_points": {
                r.kind: {
                    "label": r.label,
                    "per_incident": {
                        "0-30": r.points_0_30,
                        "31-90": r.points_31_90,
                        "91-180": r.points_91_180,
                    },
                    "cap": r.cap,
                }
                for r in self.repeat_rules
            },
            "bands": dict(self.band_thresholds),
            "deadlines": {
                "timezone": self.timezone,
                "end_of_day": self.end_of_day.strftime("%H:%M"),
                "agenda_cutoff_hours": self.agenda_cutoff_hours,
                "bands": {
                    band: {
                        "working_days": rule.working_days,
                        "next_conference": rule.next_conference,
                    }
                    for band, rule in self.deadline_rules.items()
                },
            },
            "review_days": dict(self.review_days),
            "case_review": {
                "complaints": self.case_review.complaints,
                "window_days": self.case_review.window_days,
                "hate_incidents": self.case_review.hate_incidents,
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)


def load_default_ruleset() -> Ruleset:
    """The shipped default, ``scoring/default_ruleset.json``."""
    text = resources.files(__package__).joinpath("default_ruleset.json").read_text("utf-8")
    return Ruleset.from_json(text)


# --------------------------------------------------------------------------- validators


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RulesetError(f"{path}: expected an object, got {type(value).__name__}")
    return value


def _only_keys(
    value: Mapping[str, Any],
    path: str,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
) -> None:
    missing = [k for k in required if k not in value]
    if missing:
        raise RulesetError(f"{path}: missing key {', '.join(repr(k) for k in missing)}")
    # Unknown keys are errors too: a typo such as "targetted" must not be silently ignored.
    unknown = [k for k in value if k not in required and k not in optional]
    if unknown:
        allowed = ", ".join(required + optional)
        raise RulesetError(
            f"{path}: unknown key {', '.join(repr(k) for k in unknown)} (expected {allowed})"
        )


def _string(value: Any, path: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise RulesetError(f"{path}: expected a non-empty string, got {value!r}")
    return value


def _int(value: Any, path: str, *, minimum: int) -> int:
    # bool is an int subclass; true/false as points is always a mistake.
    if isinstance(value, bool) or not isinstance(value, int):
        raise RulesetError(f"{path}: expected a whole number, got {value!r}")
    if value < minimum:
        raise RulesetError(f"{path}: must be at least {minimum}, got {value}")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RulesetError(f"{path}: expected a number, got {value!r}")
    if value < 0:
        raise RulesetError(f"{path}: must not be negative, got {value}")
    return value


def _steps(value: Any, path: str) -> Steps:
    item = _mapping(value, path)
    _only_keys(item, path, required=("label", "points"))
    raw = item["points"]
    if not isinstance(raw, list | tuple) or not raw:
        raise RulesetError(f"{path}.points: expected a list of [threshold, points] pairs")
    steps = []
    for i, pair in enumerate(raw):
        here = f"{path}.points[{i}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise RulesetError(f"{here}: expected [threshold, points]")
        steps.append(
            (_int(pair[0], f"{here}[0]", minimum=1), _int(pair[1], f"{here}[1]", minimum=0))
        )
    for (t1, p1), (t2, p2) in zip(steps, steps[1:], strict=False):
        if not (t2 > t1 and p2 >= p1):
            raise RulesetError(
                f"{path}.points: thresholds must rise and points must not fall, got {steps}"
            )
    return Steps(_string(item["label"], f"{path}.label"), tuple(steps))


def _band(value: Any, path: str) -> str:
    if value not in BANDS:
        raise RulesetError(f"{path}: unknown band {value!r} (expected one of {', '.join(BANDS)})")
    return value


def _clock(value: Any, path: str) -> dt.time:
    try:
        parsed = dt.datetime.strptime(value, "%H:%M").time()
    except (TypeError, ValueError):
        raise RulesetError(f"{path}: expected a time as 'HH:MM', got {value!r}") from None
    return parsed


#: The shipped default ruleset (see ``default_ruleset.json`` and ``scoring/README.md``).
DEFAULT_RULESET: Ruleset = load_default_ruleset()
