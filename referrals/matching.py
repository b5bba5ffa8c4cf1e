"""Repeat matching: earlier incidents for the same victim, place and subject, in SQL.

Two statements, whatever the size of the history: one counts matches in each window (every
key has an index on (hub_id, key, occurred_on), so each is a range scan), and one lists
open cases whose incidents match. Neither ever loads history into Python.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import zip_longest

from sqlalchemy import and_, bindparam, case, func, or_, select

from hub.core.database import read_values
from hub.extensions import db
from hub.models import Case, ContextIncident, Incident, Stage
from referrals.normalise import address_key, grid_cell, neighbour_cells, neighbours, person_keys

WINDOWS = (30, 90, 180)
# police.uk publishes each month some two months late, so its context is counted over the
# latest 1, 3 and 6 months the hub holds rather than the last 30, 90 and 180 days.
CONTEXT_MONTHS = (1, 3, 6)


@dataclass
class MatchKeys:
    """The normalised keys of one referral: what it is matched on and what it adds."""

    victims: list[tuple[str | None, str | None]] = field(default_factory=list)
    subjects: list[tuple[str | None, str | None]] = field(default_factory=list)
    place_key: str | None = None
    cell: str | None = None
    cells: list[str] = field(default_factory=list)

    @classmethod
    def from_referral(cls, data: dict) -> "MatchKeys":
        """data: a loaded ReferralSchema dict. A victim without an address of their own is
        taken to live at the referral's location (the usual case for a neighbour dispute)."""
        location = data["location"]
        keys = cls(
            place_key=address_key(location["address"], location.get("postcode")),
            cell=grid_cell(location.get("lat"), location.get("lon")),
            cells=neighbour_cells(location.get("lat"), location.get("lon")),
        )
        for person in data.get("people", []):
            address = person.get("address")
            if person["role"] == "victim":
                address = address or location["address"]
                keys.victims.append(person_keys(person["name"], person["date_of_birth"], address))
            elif person["role"] == "subject":
                keys.subjects.append(person_keys(person["name"], person["date_of_birth"], address))
        return keys

    def _values(self, people, i):
        return sorted({p[i] for p in people if p[i]})

    def params(self) -> dict:
        """Bound values for the matching statements. A list never empty and a place key never
        NULL (NONE stands in: no key can equal it), so the statement keeps one shape and
        SQLAlchemy and PostgreSQL reuse one compiled statement and plan."""
        return {
            "v_dob": self._values(self.victims, 0) or [NONE],
            "v_addr": self._values(self.victims, 1) or [NONE],
            "s_dob": self._values(self.subjects, 0) or [NONE],
            "s_addr": self._values(self.subjects, 1) or [NONE],
            "place_key": self.place_key or NONE,
            "cells": self.cells or [NONE],
        }

    def incident_rows(self, *, hub_id: int, occurred_on: date, hate: bool, referral_id: int):
        """Rows this referral adds to the history: one per victim/subject pair, the place on
        the first only, so each incident counts once per kind."""
        rows = []
        pairs = list(zip_longest(self.victims, self.subjects)) or [(None, None)]
        for i, (victim, subject) in enumerate(pairs):
            victim = victim or (None, None)
            subject = subject or (None, None)
            rows.append(
                {
                    "hub_id": hub_id,
                    "occurred_on": occurred_on,
                    "victim_key": victim[0],
                    "victim_addr_key": victim[1],
                    "subject_key": subject[0],
                    "subject_addr_key": subject[1],
                    "place_key": self.place_key if i == 0 else None,
                    "cell": self.cell if i == 0 else None,
                    "hate": hate,
                    "referral_id": referral_id,
                }
            )
        return rows


@dataclass
class MatchResult:
    repeat: dict  # {"victim": {"30": n, "90": n, "180": n}, "place": ..., "subject": ...}
    victim_in_review_window: int
    victim_hate_in_review_window: int
    open_case_ids: list[int]
    # police.uk ASB within about 50-150 m (the place's cell and its neighbours), from the
    # hub's context incidents: {"1": n, "3": n, "6": n, "latest": "2017-09" or None}. Shown
    # beside the place's history; not a repeat factor in the score (see hub.analytics).
    context: dict = field(default_factory=dict)


NONE = "-"  # matches no key: keys start with "n:" or a word; cells are "y:x"

_VICTIM = or_(
    Incident.victim_key.in_(bindparam("v_dob", expanding=True)),
    Incident.victim_addr_key.in_(bindparam("v_addr", expanding=True)),
)
_SUBJECT = or_(
    Incident.subject_key.in_(bindparam("s_dob", expanding=True)),
    Incident.subject_addr_key.in_(bindparam("s_addr", expanding=True)),
)
_PLACE = or_(
    Incident.place_key == bindparam("place_key"),
    Incident.cell.in_(bindparam("cells", expanding=True)),
)
_KINDS = {"victim": _VICTIM, "place": _PLACE, "subject": _SUBJECT}
_ANY = or_(_VICTIM, _PLACE, _SUBJECT)


def _sum_where(*conditions):
    return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)


def _context_columns(hub_id, cells):
    """Scalar subqueries: police.uk ASB in `cells` over the hub's latest 1, 3 and 6 months,
    and the latest month (as year * 12 + month - 1)."""
    latest = (
        select(func.max(ContextIncident.month_index))
        .where(ContextIncident.hub_id == hub_id)
        .scalar_subquery()
    )
    counts = [
        select(func.count())
        .where(
            ContextIncident.hub_id == hub_id,
            ContextIncident.cell.in_(cells),
            ContextIncident.is_asb.is_(True),
            ContextIncident.month_index > latest - months,
        )
        .scalar_subquery()
        .label(f"context_{months}")
        for months in CONTEXT_MONTHS
    ]
    return [*counts, latest.label("context_latest")]


def context_dict(row) -> dict:
    latest = row["context_latest"]
    return {
        **{str(m): int(row[f"context_{m}"] or 0) for m in CONTEXT_MONTHS},
        "latest": f"{latest // 12}-{latest % 12 + 1:02d}" if latest is not None else None,
    }


# Built once at import: each intake only binds values (no expression building per call).
COUNTS = select(
    *[
        _sum_where(clause, Incident.occurred_on >= bindparam(f"since_{days}")).label(
            f"{kind}_{days}"
        )
        for kind, clause in _KINDS.items()
        for days in WINDOWS
    ],
    _sum_where(_VICTIM, Incident.occurred_on >= bindparam("review_since")).label("victim_review"),
    _sum_where(
        _VICTIM, Incident.hate.is_(True), Incident.occurred_on >= bindparam("review_since")
    ).label("victim_hate"),
    *_context_columns(bindparam("hub_id"), bindparam("cells", expanding=True)),
).where(
    Incident.hub_id == bindparam("hub_id"),
    Incident.occurred_on >= bindparam("earliest"),
    Incident.occurred_on <= bindparam("today"),
    _ANY,
)
OPEN_CASES = (
    select(Case.id)
    .join(Incident, Incident.case_id == Case.id)
    .where(Incident.hub_id == bindparam("hub_id"), Case.stage != Stage.CLOSED.value, _ANY)
    .group_by(Case.id)
    .order_by(func.max(Incident.occurred_on).desc(), Case.id)
    .limit(5)
)

CASE_PLACES = select(Incident.place_key, Incident.cell).where(
    Incident.case_id == bindparam("case_id"),
    (Incident.place_key.is_not(None)) | (Incident.cell.is_not(None)),
)
_AT_PLACES = or_(
    Incident.place_key.in_(bindparam("keys", expanding=True)),
    Incident.cell.in_(bindparam("cells", expanding=True)),
)
PLACE_COUNTS = select(
    *[
        select(func.count())
        .where(
            Incident.hub_id == bindparam("hub_id"),
            _AT_PLACES,
            Incident.occurred_on >= bindparam(f"since_{days}"),
            Incident.occurred_on <= bindparam("today"),
        )
        .scalar_subquery()
        .label(f"place_{days}")
        for days in WINDOWS
    ],
    *_context_columns(bindparam("hub_id"), bindparam("cells", expanding=True)),
)


def counts_params(hub_id: int, keys: MatchKeys, today: date, review_window_days: int = 183):
    since = {f"since_{days}": today - timedelta(days=days) for days in WINDOWS}
    review_since = today - timedelta(days=review_window_days)
    return (
        keys.params()
        | since
        | {
            "hub_id": hub_id,
            "today": today,
            "review_since": review_since,
            "earliest": min([*since.values(), review_since]),
        }
    )


def find_matches(hub_id: int, keys: MatchKeys, today: date, review_window_days: int = 183):
    """Count earlier incidents in each window and find open cases that match (2 queries)."""
    params = counts_params(hub_id, keys, today, review_window_days)
    row = db.session.execute(COUNTS, params).mappings().one()
    repeat = {kind: {str(days): int(row[f"{kind}_{days}"]) for days in WINDOWS} for kind in _KINDS}
    cases = db.session.execute(OPEN_CASES, keys.params() | {"hub_id": hub_id}).scalars()
    return MatchResult(
        repeat=repeat,
        victim_in_review_window=int(row["victim_review"]),
        victim_hate_in_review_window=int(row["victim_hate"]),
        open_case_ids=list(cases),
        context=context_dict(row),
    )


def place_history(hub_id: int, case_id: int, today: date) -> dict:
    """The place history of a case: the hub's incidents at its places (the same address, or
    the same ~50 m cell or one beside it) in each window, and police.uk ASB around them. Two
    statements, whatever the history's size."""
    places = read_values(CASE_PLACES, {"case_id": case_id}).all()
    keys = sorted({k for k, _ in places if k}) or [NONE]
    cells = sorted({n for _, c in places if c for n in neighbours(c)}) or [NONE]
    since = {f"since_{days}": today - timedelta(days=days) for days in WINDOWS}
    params = {"hub_id": hub_id, "keys": keys, "cells": cells, "today": today, **since}
    row = read_values(PLACE_COUNTS, params).mappings().one()
    return {
        "place": {str(days): int(row[f"place_{days}"]) for days in WINDOWS},
        "police_uk": context_dict(row),
        "located": places != [],
    }
