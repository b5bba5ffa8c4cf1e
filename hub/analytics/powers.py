"""The statutory powers return: every intervention and power recorded on the hub's cases in a
period, counted by issuing agency, power, the subject's age group, breaches and outcome. One
GROUP BY; the CSV and the printable page show the same rows."""

from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select

from hub.analytics.periods import Filters
from hub.extensions import db
from hub.models import Agency, Case, Evaluation, Hub, Intervention, PowerBreach
from hub.models.casework import EVALUATION_OUTCOMES, INTERVENTION_TYPES, SUBJECT_AGE_GROUPS

AGE_GROUPS = {**SUBJECT_AGE_GROUPS, "unknown": "Not recorded"}
OUTCOME_COLUMNS = {**EVALUATION_OUTCOMES, "open": "Not yet evaluated"}


@dataclass
class ReturnRow:
    agency: str
    power: str
    statutory: bool
    age_group: str
    used: int
    breached: int
    outcomes: dict[str, int]

    @property
    def power_label(self) -> str:
        return INTERVENTION_TYPES.get(self.power, (self.power, False))[0]

    @property
    def age_label(self) -> str:
        return AGE_GROUPS[self.age_group]


def powers_return(hub: Hub, filters: Filters) -> list[ReturnRow]:
    """Interventions served in the period (or recorded in it, when no date served is given).
    Breached: a breach is logged (or, on records made before the breach log, written down).
    Outcome: the case's latest evaluation, if any."""
    latest = (
        select(Evaluation.case_id, func.max(Evaluation.id).label("id"))
        .where(Evaluation.signed_at.is_not(None))  # a draft is not yet the judgement
        .group_by(Evaluation.case_id)
        .subquery()
    )
    outcome = func.coalesce(Evaluation.outcome, "open")
    age = func.coalesce(Intervention.subject_age_group, "unknown")
    rows = db.session.execute(
        select(
            Agency.name,
            Intervention.type,
            age.label("age"),
            outcome.label("outcome"),
            func.count(),
            func.count().filter(
                or_(
                    func.length(func.trim(Intervention.breaches)) > 0,
                    exists().where(PowerBreach.intervention_id == Intervention.id),
                )
            ),
        )
        .select_from(Intervention)
        .join(Case, Case.id == Intervention.case_id)
        .join(Agency, Agency.id == Intervention.origin_agency_id)
        .outerjoin(latest, latest.c.case_id == Intervention.case_id)
        .outerjoin(Evaluation, Evaluation.id == latest.c.id)
        .where(
            Case.hub_id == hub.id,
            or_(
                and_(
                    Intervention.served_on >= filters.start, Intervention.served_on < filters.after
                ),
                and_(
                    Intervention.served_on.is_(None),
                    Intervention.recorded_at >= filters.since,
                    Intervention.recorded_at < filters.until,
                ),
            ),
        )
        .group_by(Agency.name, Intervention.type, age, outcome)
    ).all()
    grouped: dict[tuple, ReturnRow] = {}
    for agency, power, age_group, result, used, breached in rows:
        key = (agency, power, age_group)
        row = grouped.setdefault(
            key,
            ReturnRow(
                agency,
                power,
                INTERVENTION_TYPES.get(power, ("", False))[1],
                age_group,
                0,
                0,
                dict.fromkeys(OUTCOME_COLUMNS, 0),
            ),
        )
        row.used += used
        row.breached += breached
        row.outcomes[result] = row.outcomes.get(result, 0) + used
    order = list(INTERVENTION_TYPES)
    return sorted(
        grouped.values(),
        key=lambda r: (
            not r.statutory,
            order.index(r.power) if r.power in order else 99,
            r.agency,
            list(AGE_GROUPS).index(r.age_group),
        ),
    )


def header() -> list[str]:
    return [
        "Issuing agency",
        "Intervention or power",
        "Statutory power",
        "Subject's age group",
        "Used",
        "Breached",
        *OUTCOME_COLUMNS.values(),
    ]


def table(rows: list[ReturnRow]) -> list[list]:
    return [
        [
            r.agency,
            r.power_label,
            "Yes" if r.statutory else "No",
            r.age_label,
            r.used,
            r.breached,
            *(r.outcomes[k] for k in OUTCOME_COLUMNS),
        ]
        for r in rows
    ]


def totals(rows: list[ReturnRow]) -> dict:
    return {
        "used": sum(r.used for r in rows),
        "statutory": sum(r.used for r in rows if r.statutory),
        "breached": sum(r.breached for r in rows),
        "under_18": sum(r.used for r in rows if r.statutory and r.age_group == "under_18"),
    }
