"""Repeat matching: earlier incidents for the same victim, place and subject, in SQL.

Two statements, whatever the size of the history: one counts matches in each window (every
key has an index on (hub_id, key, occurred_on), so each is a range scan), and one lists
open cases whose incidents match. Neither ever loads history into Python.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import zip_longest

from sqlalchemy import and_, case, false, func, or_, select

from hub.extensions import db
from hub.models import Case, Incident, Stage
from referrals.normalise import address_key, grid_cell, neighbour_cells, person_keys

WINDOWS = (30, 90, 180)


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

    def victim_clause(self):
        return _person_clause(
            Incident.victim_key,
            Incident.victim_addr_key,
            self._values(self.victims, 0),
            self._values(self.victims, 1),
        )

    def subject_clause(self):
        return _person_clause(
            Incident.subject_key,
            Incident.subject_addr_key,
            self._values(self.subjects, 0),
            self._values(self.subjects, 1),
        )

    def place_clause(self):
        parts = []
        if self.place_key:
            parts.append(Incident.place_key == self.place_key)
        if self.cells:
            parts.append(Incident.cell.in_(self.cells))
        return or_(*parts) if parts else false()

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


def _person_clause(dob_column, addr_column, dob_keys, addr_keys):
    parts = []
    if dob_keys:
        parts.append(dob_column.in_(dob_keys))
    if addr_keys:
        parts.append(addr_column.in_(addr_keys))
    return or_(*parts) if parts else false()


@dataclass
class MatchResult:
    repeat: dict  # {"victim": {"30": n, "90": n, "180": n}, "place": ..., "subject": ...}
    victim_in_review_window: int
    victim_hate_in_review_window: int
    open_case_ids: list[int]


def counts_query(hub_id: int, keys: MatchKeys, today: date, review_window_days: int = 183):
    """The one statement that counts earlier matches in every window (see find_matches)."""
    clauses = {
        "victim": keys.victim_clause(),
        "place": keys.place_clause(),
        "subject": keys.subject_clause(),
    }
    since = {days: today - timedelta(days=days) for days in WINDOWS}
    review_since = today - timedelta(days=review_window_days)
    earliest = min([*since.values(), review_since])
    columns = []
    for kind, clause in clauses.items():
        for days in WINDOWS:
            columns.append(
                func.coalesce(
                    func.sum(case((and_(clause, Incident.occurred_on >= since[days]), 1), else_=0)),
                    0,
                ).label(f"{kind}_{days}")
            )
    victim = clauses["victim"]
    columns.append(
        func.coalesce(
            func.sum(case((and_(victim, Incident.occurred_on >= review_since), 1), else_=0)), 0
        ).label("victim_review")
    )
    columns.append(
        func.coalesce(
            func.sum(
                case(
                    (
                        and_(victim, Incident.hate.is_(True), Incident.occurred_on >= review_since),
                        1,
                    ),
                    else_=0,
                )
            ),
            0,
        ).label("victim_hate")
    )
    return select(*columns).where(
        Incident.hub_id == hub_id,
        Incident.occurred_on >= earliest,
        Incident.occurred_on <= today,
        or_(*clauses.values()),
    )


def find_matches(hub_id: int, keys: MatchKeys, today: date, review_window_days: int = 183):
    """Count earlier incidents in each window and find open cases that match (2 queries)."""
    row = db.session.execute(counts_query(hub_id, keys, today, review_window_days)).mappings().one()
    any_match = or_(keys.victim_clause(), keys.place_clause(), keys.subject_clause())
    clauses = ("victim", "place", "subject")
    repeat = {kind: {str(days): int(row[f"{kind}_{days}"]) for days in WINDOWS} for kind in clauses}
    cases = db.session.execute(
        select(Case.id)
        .join(Incident, Incident.case_id == Case.id)
        .where(Incident.hub_id == hub_id, Case.stage != Stage.CLOSED.value, any_match)
        .group_by(Case.id)
        .order_by(func.max(Incident.occurred_on).desc(), Case.id)
        .limit(5)
    ).scalars()
    return MatchResult(
        repeat=repeat,
        victim_in_review_window=int(row["victim_review"]),
        victim_hate_in_review_window=int(row["victim_hate"]),
        open_case_ids=list(cases),
    )
