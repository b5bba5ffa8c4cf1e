"""A case's repeat history, for scoring a risk reassessment as intake scores a referral: the
hub's incidents for the case's victims, places and subjects (the keys its own incidents carry)
in the last 30, 90 and 180 days, and the victims' complaints and hate incidents in the ASB case
review window; and what its referrals report (the victims' recorded vulnerabilities, how many
incidents since when). Four statements, whatever the size of the history; nothing personal
leaves this module but the vulnerabilities' codes."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, false, func, or_, select

from hub.extensions import db
from hub.models import Incident, Referral, ReferralPerson
from referrals.normalise import neighbours
from scoring import RepeatCounts

WINDOWS = (30, 90, 180)


@dataclass(frozen=True)
class CaseHistory:
    repeat: RepeatCounts
    complaints_in_window: int
    hate_incidents_in_window: int
    # What the case's referrals report: the victims' recorded vulnerabilities, the incidents
    # and when the first was.
    vulnerabilities: tuple[str, ...] = ()
    incident_count: int = 1
    first_incident_on: date | None = None


def _reported(case_id: int) -> dict:
    row = db.session.execute(
        select(func.sum(Referral.incident_count), func.min(Referral.first_incident_on)).where(
            Referral.case_id == case_id
        )
    ).one()
    vulnerable = db.session.execute(
        select(ReferralPerson.vulnerabilities).where(
            ReferralPerson.case_id == case_id, ReferralPerson.role == "victim"
        )
    ).scalars()
    return {
        "vulnerabilities": tuple(sorted({v for found in vulnerable for v in found or ()})),
        "incident_count": max(int(row[0] or 0), 1),
        "first_incident_on": row[1],
    }


def _in(column, values):
    return column.in_(sorted(values)) if values else false()


def case_history(case_id: int, hub_id: int, today: date, review_window_days: int) -> CaseHistory:
    keys = db.session.execute(
        select(
            Incident.victim_key,
            Incident.victim_addr_key,
            Incident.subject_key,
            Incident.subject_addr_key,
            Incident.place_key,
            Incident.cell,
        ).where(Incident.case_id == case_id)
    ).all()
    reported = _reported(case_id)
    if not keys:
        return CaseHistory(RepeatCounts.none(), 0, 0, **reported)

    def values(i):
        return {row[i] for row in keys if row[i]}

    cells = {n for c in values(5) for n in neighbours(c)}
    kinds = {
        "victim": or_(
            _in(Incident.victim_key, values(0)), _in(Incident.victim_addr_key, values(1))
        ),
        "subject": or_(
            _in(Incident.subject_key, values(2)), _in(Incident.subject_addr_key, values(3))
        ),
        "place": or_(_in(Incident.place_key, values(4)), _in(Incident.cell, cells)),
    }
    since = {days: today - timedelta(days=days) for days in WINDOWS}
    review_since = today - timedelta(days=review_window_days)

    def total(*conditions):
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    columns = [
        total(clause, Incident.occurred_on >= since[days]).label(f"{kind}_{days}")
        for kind, clause in kinds.items()
        for days in WINDOWS
    ]
    columns += [
        total(kinds["victim"], Incident.occurred_on >= review_since).label("review"),
        total(kinds["victim"], Incident.hate.is_(True), Incident.occurred_on >= review_since).label(
            "hate"
        ),
    ]
    row = (
        db.session.execute(
            select(*columns).where(
                Incident.hub_id == hub_id,
                Incident.occurred_on >= min(since[180], review_since),
                Incident.occurred_on <= today,
                or_(*kinds.values()),
            )
        )
        .mappings()
        .one()
    )
    repeat = RepeatCounts(
        **{kind: {days: int(row[f"{kind}_{days}"]) for days in WINDOWS} for kind in kinds}
    )
    return CaseHistory(repeat, int(row["review"]), int(row["hate"]), **reported)
