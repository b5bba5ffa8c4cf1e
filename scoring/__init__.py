"""Referral risk scoring for Focus Hub.

Pure Python: depends only on the standard library and ``holidays``, never on
Flask, SQLAlchemy or ``hub``, so it can be tested, benchmarked and reasoned
about on its own. See ``scoring/README.md`` for the rules and the default.
"""

from .calendar import (
    ConferenceSlot,
    add_working_days,
    bank_holidays,
    is_working_day,
    next_conference,
    next_working_day,
)
from .engine import (
    RepeatCounts,
    ScoreInput,
    ScoreResult,
    WindowCounts,
    deadline_for,
    score_referral,
)
from .rules import (
    BANDS,
    DEFAULT_RULESET,
    Contribution,
    Ruleset,
    RulesetError,
    band_rank,
)

__all__ = [
    "BANDS",
    "DEFAULT_RULESET",
    "ConferenceSlot",
    "Contribution",
    "RepeatCounts",
    "Ruleset",
    "RulesetError",
    "ScoreInput",
    "ScoreResult",
    "WindowCounts",
    "add_working_days",
    "band_rank",
    "bank_holidays",
    "deadline_for",
    "is_working_day",
    "next_conference",
    "next_working_day",
    "score_referral",
]
