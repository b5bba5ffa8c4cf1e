"""The hub's most repeated victims, places and subjects over 30, 90 and 180 days.

Counted from the incident history repeat matching keeps (keys, never names). A name or an
address is shown only where the s115 rule lets this user see a record that carries it
(hub.permissions.visible_records), and that read is audited per case; everyone else gets
counts and case references only (which the board already shows every member of the hub).
A fixed number of statements per list, bounded by its length, never by the history's size.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, select

from hub import permissions as perm
from hub.extensions import db
from hub.models import Case, Hub, Incident, Referral, ReferralPerson
from referrals.matching import WINDOWS
from referrals.normalise import address_key

KINDS = {"victim": "Victims", "place": "Places", "subject": "Subjects"}
LIMIT = 10


def _key(kind: str):
    if kind == "victim":
        return func.coalesce(Incident.victim_key, Incident.victim_addr_key)
    if kind == "subject":
        return func.coalesce(Incident.subject_key, Incident.subject_addr_key)
    return Incident.place_key


@dataclass
class Repeat:
    rank: int
    key: str  # never shown: it holds a name or an address
    counts: dict[int, int]  # window in days -> incidents
    cases: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # only what the user may see


def top(user, hub: Hub, kind: str, days: int, today: date, limit: int = LIMIT) -> list[Repeat]:
    """The `limit` keys with most incidents in the last `days` (two or more), each with its
    counts in every window, its cases' references, and the names the user may see."""
    key = _key(kind).label("key")
    earliest = today - timedelta(days=max(WINDOWS))
    counts = [
        func.sum(case((Incident.occurred_on >= today - timedelta(days=w), 1), else_=0)).label(
            f"w{w}"
        )
        for w in WINDOWS
    ]
    window = func.sum(case((Incident.occurred_on >= today - timedelta(days=days), 1), else_=0))
    rows = db.session.execute(
        select(key, *counts)
        .where(
            Incident.hub_id == hub.id,
            Incident.occurred_on >= earliest,
            Incident.occurred_on <= today,
            key.is_not(None),
        )
        .group_by(key)
        .having(window >= 2)
        .order_by(window.desc(), key)
        .limit(limit)
    ).all()
    found = [
        Repeat(i + 1, r.key, {w: int(getattr(r, f"w{w}")) for w in WINDOWS})
        for i, r in enumerate(rows)
    ]
    if not found:
        return []
    by_key = {r.key: r for r in found}
    links = db.session.execute(
        select(key, Incident.referral_id, Case.id, Case.reference)
        .outerjoin(Case, Case.id == Incident.case_id)
        .where(
            Incident.hub_id == hub.id,
            Incident.occurred_on >= earliest,
            _key(kind).in_(list(by_key)),
        )
        .distinct()
    ).all()
    referral_keys: dict[int, set[str]] = {}
    for k, referral_id, _case_id, reference in links:
        if reference and reference not in by_key[k].cases:
            by_key[k].cases.append(reference)
        if referral_id:
            referral_keys.setdefault(referral_id, set()).add(k)
    for r in found:
        r.cases.sort()
    if user is not None:  # None: counts and references only (a download, the report)
        _add_names(user, hub, kind, by_key, referral_keys)
    return found


def _add_names(user, hub: Hub, kind: str, by_key: dict, referral_keys: dict) -> None:
    """Names (or addresses) from the records this user may see, audited per case."""
    if not referral_keys:
        return
    if kind == "place":
        model, extra = Referral, Referral.id.in_(list(referral_keys))
    else:
        model = ReferralPerson
        extra = ReferralPerson.referral_id.in_(list(referral_keys)) & (ReferralPerson.role == kind)
    query = perm.visible_records(user, model, hub).where(extra).add_columns(Case)
    shown: dict[int, tuple[Case, list]] = {}
    for record, case_ in db.session.execute(query).all():
        referral_id = record.id if kind == "place" else record.referral_id
        for k in referral_keys.get(referral_id, ()):
            label = _label(kind, record, k)
            if label is None:
                continue
            if label not in by_key[k].names:
                by_key[k].names.append(label)
            shown.setdefault(case_.id, (case_, []))[1].append(record)
    for case_, records in shown.values():
        perm.record_read(user, case_, records, what=f"repeat {kind}s")


def _label(kind: str, record, key: str) -> str | None:
    """The record's name or address when it is the one behind `key` (a referral may name
    several victims; only the matching one is shown)."""
    if kind == "place":
        if address_key(record.address, record.postcode) != key:
            return None
        return record.address + (f" {record.postcode}" if record.postcode else "")
    name_part = key.split("|", 1)[0].removeprefix("n:")
    return record.name if record.name_key == name_part else None


def csv_rows(lists: dict[str, list[Repeat]]) -> tuple[list[str], list[list]]:
    """Counts and case references only: a download never carries names."""
    header = ["Kind", "Rank", *(f"Last {w} days" for w in WINDOWS), "Cases"]
    rows = [
        [KINDS[kind], r.rank, *(r.counts[w] for w in WINDOWS), " ".join(r.cases)]
        for kind, found in lists.items()
        for r in found
    ]
    return header, rows
