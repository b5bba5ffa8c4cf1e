"""A hub's ASB case review figures for one financial year (1 April to 31 March, as councils
publish them under the Anti-social Behaviour, Crime and Policing Act 2014): applications
received, applications whose threshold was not met, reviews held, reviews that made
recommendations, and appeals lodged and upheld. Each figure counts the step in the year it
happened (an application by its day of receipt, a decision by its day, a review by its
meeting, an appeal by its lodging and its decision). Counts only: nothing personal. One
statement; the CSV goes through hub.core.spreadsheet and is audited."""

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, exists, func, select
from sqlalchemy import case as when

from hub import audit
from hub.core.spreadsheet import to_csv
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import CaseReview, CaseReviewRecommendation, Hub

MEASURES = (
    ("applications", "Applications received"),
    ("referred", "Reviews asked for by the partners (not applications)"),
    ("not_met", "Applications where the threshold was not met"),
    ("held", "Reviews held"),
    ("recommendations", "Reviews that made recommendations"),
    ("appeals", "Appeals lodged"),
    ("upheld", "Appeals upheld"),
)


def financial_year(day: date) -> int:
    """The year whose 1 April starts the financial year `day` falls in."""
    return day.year if day.month >= 4 else day.year - 1


def year_label(year: int) -> str:
    return f"April {year} to March {year + 1}"


@dataclass(frozen=True)
class Figures:
    year: int
    starts_on: date
    ends_on: date
    counts: dict[str, int]

    @property
    def label(self) -> str:
        return year_label(self.year)

    @property
    def rows(self) -> list[tuple[str, str, int]]:
        return [(key, label, self.counts[key]) for key, label in MEASURES]


def years_of(hub: Hub, today: date) -> list[int]:
    """The financial years the hub has reviews in, to this one, newest first."""
    first = db.session.execute(
        select(func.min(CaseReview.received_on)).where(CaseReview.hub_id == hub.id)
    ).scalar()
    start = financial_year(first) if first else financial_year(today)
    return list(range(financial_year(today), start - 1, -1))


def annual_figures(hub: Hub, year: int) -> Figures:
    starts_on, ends_on = date(year, 4, 1), date(year + 1, 3, 31)
    # A decision's moment is stored in UTC: the year's bounds are London's midnights.
    decided_from = datetime.combine(starts_on, time(0), tzinfo=LONDON)
    decided_to = datetime.combine(date(year + 1, 4, 1), time(0), tzinfo=LONDON)

    def total(*conditions):
        return func.coalesce(func.sum(when((and_(*conditions), 1), else_=0)), 0)

    def within(column):
        return column.between(starts_on, ends_on)

    recommended = exists().where(CaseReviewRecommendation.case_review_id == CaseReview.id)
    row = (
        db.session.execute(
            select(
                total(CaseReview.source == "application", within(CaseReview.received_on)).label(
                    "applications"
                ),
                total(CaseReview.source == "conference", within(CaseReview.received_on)).label(
                    "referred"
                ),
                total(
                    CaseReview.source == "application",
                    CaseReview.threshold_met.is_(False),
                    CaseReview.decided_at >= decided_from,
                    CaseReview.decided_at < decided_to,
                ).label("not_met"),
                total(within(CaseReview.held_on)).label("held"),
                total(within(CaseReview.held_on), recommended).label("recommendations"),
                total(within(CaseReview.appeal_lodged_on)).label("appeals"),
                total(
                    within(CaseReview.appeal_decided_on), CaseReview.appeal_upheld.is_(True)
                ).label("upheld"),
            ).where(CaseReview.hub_id == hub.id)
        )
        .mappings()
        .one()
    )
    return Figures(year, starts_on, ends_on, {k: int(row[k]) for k, _ in MEASURES})


def figures_csv(hub: Hub, figures: Figures, actor) -> str:
    """The year's figures as CSV, formula-safe; the export is audited."""
    audit.record(
        "case_review_figures_exported",
        user=actor,
        hub=hub,
        target_type="hub",
        target_id=hub.slug,
        details={"format": "csv", "starts_on": figures.starts_on.isoformat()},
    )
    return to_csv(
        ["Hub", "Financial year", "Measure", "Number"],
        [[hub.name, figures.label, label, n] for _, label, n in figures.rows],
    )
