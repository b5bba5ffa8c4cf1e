"""The hub's dashboard: every figure is one GROUP BY in SQL over the period, never a loop over
rows in Python, so the page costs the same number of statements however large the hub.

Nothing personal is read: counts by month, band, category, agency, intervention type, hour
and weekday. Names appear only on the repeats page, through the s115 rule.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, literal, select, union_all

from hub.analytics.charts import BAND_COLOURS, Chart, Series
from hub.analytics.periods import (
    CATEGORIES,
    Filters,
    local_hour_and_weekday,
    month_index,
)
from hub.conferences.timeliness import needs_conference
from hub.extensions import db
from hub.models import (
    Agency,
    AgendaItem,
    Case,
    CaseAction,
    CaseReview,
    Conference,
    ConferenceStatus,
    ContextMonthCount,
    Evaluation,
    Hub,
    Intervention,
    Referral,
    Stage,
    Victim,
)
from hub.models.casework import EVALUATION_OUTCOMES, INTERVENTION_TYPES
from hub.models.conference import CaseReviewStatus
from hub.models.referral import ReferralStatus
from hub.models.victims import SATISFACTION
from scoring import BANDS

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
HOURS = [f"{h:02d}" for h in range(24)]
OUTCOMES = ("met", "missed", "overdue", "pending")
OUTCOME_LABELS = {
    "met": "Met",
    "missed": "Missed",
    "overdue": "Overdue",
    "pending": "Not yet due",
}


def _month_labels(filters: Filters) -> list[str]:
    return [f"{m:%b %Y}" for m in filters.months]


def _received(hub: Hub, filters: Filters):
    """SQL conditions: the hub's submitted referrals received in the period."""
    conditions = [
        Referral.hub_id == hub.id,
        Referral.status != ReferralStatus.DRAFT.value,
        Referral.submitted_at >= filters.since,
        Referral.submitted_at < filters.until,
    ]
    if filters.category:
        conditions.append(Referral.asb_category == filters.category)
    return conditions


def referrals_over_time(hub: Hub, filters: Filters) -> tuple[Chart, Chart]:
    """Referrals received each month, by band and by ASB category (one statement)."""
    month = month_index(Referral.submitted_at, filters).label("m")
    rows = db.session.execute(
        select(month, Referral.band, Referral.asb_category, func.count())
        .where(*_received(hub, filters))
        .group_by(month, Referral.band, Referral.asb_category)
    ).all()
    n = len(filters.months)
    by_band = {b: [0] * n for b in BANDS}
    by_category = {c: [0] * n for c in CATEGORIES}
    for m, band, category, count in rows:
        by_band.setdefault(band or "standard", [0] * n)[m] += count
        by_category.setdefault(category or "nuisance", [0] * n)[m] += count
    labels = _month_labels(filters)
    bands = Chart(
        "referrals-by-band",
        "Referrals received, by band",
        labels,
        [Series(b, b.capitalize(), v, BAND_COLOURS.get(b, "")) for b, v in by_band.items()],
        description="Each month's referrals, stacked by the urgency band they were scored in.",
        axis="Month",
    )
    categories = Chart(
        "referrals-by-category",
        "Referrals received, by ASB category",
        labels,
        [Series(c, CATEGORIES.get(c, c), v) for c, v in by_category.items()],
        description="Each month's referrals, stacked by personal, nuisance and environmental ASB.",
        axis="Month",
    )
    return bands, categories


# -- conference deadlines, as hub.conferences.timeliness decides them, counted in SQL ----------


def deadline_counts(hub: Hub, filters: Filters, now: datetime) -> dict[str, dict[str, int]]:
    """band -> outcome -> referrals, for referrals received in the period that need a
    conference. The same rule as the timeliness page (the first held conference whose agenda
    held the referral or its case, preferring one that discussed it, no earlier than the
    referral), joined as sets rather than asked per referral. One statement; its two common
    table expressions are each read once (PostgreSQL materialises a CTE used more than once)."""
    held = case(
        (
            and_(Conference.started_at.is_not(None), Conference.started_at < Conference.starts_at),
            Conference.started_at,
        ),
        else_=Conference.starts_at,
    )
    items = (
        select(
            AgendaItem.referral_id,
            AgendaItem.case_id,
            held.label("held_at"),
            AgendaItem.discussed_at.is_not(None).label("discussed"),
        )
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(
            Conference.hub_id == hub.id,
            Conference.status == ConferenceStatus.HELD.value,
            AgendaItem.removed.is_(False),
            held >= filters.since,  # no earlier than a referral of the period
        )
        .cte("items")
    )
    referrals = (
        select(
            Referral.id,
            Referral.band,
            Referral.case_id,
            Referral.submitted_at,
            Referral.conference_due_by,
        )
        .where(*_received(hub, filters), Referral.conference_due_by.is_not(None))
        .where(needs_conference())
        .cte("r")
    )

    def held_for(link):
        return (
            select(referrals.c.id.label("rid"), items.c.held_at, items.c.discussed)
            .join(items, link)
            .where(items.c.held_at >= referrals.c.submitted_at)
        )

    # Every held item that counts for a referral (its own, or its case's), in one aggregate.
    links = union_all(
        held_for(items.c.referral_id == referrals.c.id),
        held_for(and_(referrals.c.case_id.is_not(None), items.c.case_id == referrals.c.case_id)),
    ).subquery("links")
    first = (
        select(
            links.c.rid,
            func.min(case((links.c.discussed, links.c.held_at))).label("discussed"),
            func.min(links.c.held_at).label("any"),
        )
        .group_by(links.c.rid)
        .subquery("first")
    )
    held_at = func.coalesce(first.c.discussed, first.c.any)
    due = referrals.c.conference_due_by
    outcome = case(
        (and_(held_at.is_not(None), held_at <= due), literal("met")),
        (held_at.is_not(None), literal("missed")),
        (due < now, literal("overdue")),
        else_=literal("pending"),
    ).label("outcome")
    rows = db.session.execute(
        select(referrals.c.band, outcome, func.count())
        .select_from(referrals)
        .outerjoin(first, first.c.rid == referrals.c.id)
        .group_by(referrals.c.band, outcome)
    ).all()
    counts = {b: dict.fromkeys(OUTCOMES, 0) for b in BANDS}
    for band, result, count in rows:
        counts.setdefault(band or "standard", dict.fromkeys(OUTCOMES, 0))[result] += count
    return counts


def deadlines_chart(counts: dict[str, dict[str, int]]) -> Chart:
    colours = {"met": "#00703c", "missed": "#d4351c", "overdue": "#912b88", "pending": "#b1b4b6"}
    bands = list(counts)
    return Chart(
        "conference-deadlines",
        "Conference deadlines met and missed, by band",
        [b.capitalize() for b in bands],
        [Series(o, OUTCOME_LABELS[o], [counts[b][o] for b in bands], colours[o]) for o in OUTCOMES],
        description="For referrals received in the period that need a conference: whether "
        "it was held by the band's deadline.",
        axis="Band",
    )


# -- actions, outcomes, times, case reviews, police.uk ------------------------------------------


def actions_by_agency(hub: Hub, today: date) -> Chart:
    """Open actions on the hub's open cases now, and how many are overdue, by owning agency.
    Read from the open cases (a small part of all, indexed) to their actions."""
    overdue = func.count().filter(CaseAction.due_on < today)
    rows = db.session.execute(
        select(Agency.name, func.count(), overdue)
        .select_from(Case)
        .join(CaseAction, CaseAction.case_id == Case.id)
        .join(Agency, Agency.id == CaseAction.agency_id)
        .where(
            Case.hub_id == hub.id,
            Case.stage != Stage.CLOSED.value,
            CaseAction.status == "open",
        )
        .group_by(Agency.id, Agency.name)
        .order_by(func.count().desc(), Agency.name)
    ).all()
    names = [r[0] for r in rows]
    return Chart(
        "actions-by-agency",
        "Open actions on open cases, by agency, today",
        names,
        [
            Series("overdue", "Overdue", [r[2] for r in rows], "#d4351c"),
            Series("in_time", "Not yet due", [r[1] - r[2] for r in rows], "#1d70b8"),
        ],
        unit="actions",
        description="Actions still open on the hub's cases, by the agency that owns each.",
        axis="Agency",
    )


def outcomes_by_intervention(hub: Hub, filters: Filters) -> Chart:
    """Cases evaluated in the period: each intervention type used on them, by the evaluated
    outcome (a case counts once under each type it used)."""
    rows = db.session.execute(
        select(Intervention.type, Evaluation.outcome, func.count(func.distinct(Evaluation.case_id)))
        .select_from(Evaluation)
        .join(Case, Case.id == Evaluation.case_id)
        .join(Intervention, Intervention.case_id == Evaluation.case_id)
        .where(
            Case.hub_id == hub.id,
            Evaluation.recorded_at >= filters.since,
            Evaluation.recorded_at < filters.until,
            Evaluation.signed_at.is_not(None),  # a draft is not yet the partners' judgement
        )
        .group_by(Intervention.type, Evaluation.outcome)
    ).all()
    used = [t for t in INTERVENTION_TYPES if any(r[0] == t for r in rows)]
    values = {(t, o): c for t, o, c in rows}
    colours = {
        "ceased": "#00703c",
        "reduced": "#85994b",
        "harm_reduced": "#1d70b8",
        "response_improved": "#5694ca",
        "displaced": "#f47738",
        "not_achieved": "#b1b4b6",
    }
    return Chart(
        "outcomes-by-intervention",
        "Evaluated outcomes, by intervention used",
        [INTERVENTION_TYPES[t][0] for t in used],
        [
            Series(o, label, [values.get((t, o), 0) for t in used], colours.get(o, "#d4351c"))
            for o, label in EVALUATION_OUTCOMES.items()
        ],
        unit="cases",
        description="Cases evaluated in the period, under each intervention or power they used.",
        axis="Intervention or power",
    )


# The five points of the closing question; "declined" (asked, did not want to say) is counted
# as asked but is not a point on the scale.
SCALE = [k for k in SATISFACTION if k != "declined"]


@dataclass
class Satisfaction:
    chart: Chart
    asked: int
    declined: int
    not_asked: int


def victim_satisfaction(hub: Hub, filters: Filters) -> Satisfaction:
    """The closing question's answers, from the victims of the hub's cases closed in the
    period: how many gave each point of the five-point scale, how many were asked, and how
    many never were. One GROUP BY; counts only, never a victim."""
    rows = db.session.execute(
        select(Victim.satisfaction, func.count())
        .join(Case, Case.id == Victim.case_id)
        .where(
            Case.hub_id == hub.id,
            Case.closed_at >= filters.since,
            Case.closed_at < filters.until,
        )
        .group_by(Victim.satisfaction)
    ).all()
    counts = dict(rows)
    chart = Chart(
        "victim-satisfaction",
        "Victims' satisfaction at closure",
        [SATISFACTION[k] for k in SCALE],
        [Series("victims", "Victims", [counts.get(k, 0) for k in SCALE], "#1d70b8")],
        unit="victims",
        description="The answer each victim gave their SPoC to the closing question (how "
        "satisfied they are with how the partners dealt with the problem), for cases closed "
        "in the period.",
        axis="Answer",
    )
    not_asked = counts.get(None, 0)
    return Satisfaction(
        chart=chart,
        asked=sum(counts.values()) - not_asked,
        declined=counts.get("declined", 0),
        not_asked=not_asked,
    )


def referral_times(hub: Hub, filters: Filters) -> Chart:
    """Referrals by the weekday and hour (London) they were made."""
    dialect = db.session.get_bind().dialect.name
    hour, weekday = local_hour_and_weekday(Referral.submitted_at, dialect, filters)
    rows = db.session.execute(
        select(weekday.label("d"), hour.label("h"), func.count())
        .where(*_received(hub, filters))
        .group_by(weekday, hour)
    ).all()
    grid = [[0] * 24 for _ in WEEKDAYS]
    for day, h, count in rows:
        grid[day][h] += count
    return Chart(
        "incidents-by-time",
        "When incidents are reported: weekday and hour",
        HOURS,
        [Series(d.lower(), d, grid[i]) for i, d in enumerate(WEEKDAYS)],
        description="Referrals by the weekday and hour (UK time) they were made. The referral "
        "form records the day an incident began, not its time, and police.uk publishes months "
        "only, so the time a referral was made stands in for the time of the incident.",
        heat=True,
        axis="Weekday",
    )


@dataclass
class ReviewFigures:
    received: int = 0
    applications: int = 0
    from_conference: int = 0
    awaiting_decision: int = 0
    threshold_met: int = 0
    threshold_not_met: int = 0
    completed: int = 0


def case_review_figures(hub: Hub, filters: Filters) -> ReviewFigures:
    """ASB case reviews received in the period, by source and where they stand now."""
    rows = db.session.execute(
        select(CaseReview.source, CaseReview.status, func.count())
        .where(
            CaseReview.hub_id == hub.id,
            CaseReview.received_on >= filters.start,
            CaseReview.received_on < filters.after,
        )
        .group_by(CaseReview.source, CaseReview.status)
    ).all()
    figures = ReviewFigures()
    for source, status, count in rows:
        figures.received += count
        if source == "application":
            figures.applications += count
        else:
            figures.from_conference += count
        if status == CaseReviewStatus.RECEIVED.value:
            figures.awaiting_decision += count
        elif status == CaseReviewStatus.THRESHOLD_NOT_MET.value:
            figures.threshold_not_met += count
        else:
            figures.threshold_met += count
            figures.completed += count if status == CaseReviewStatus.COMPLETED.value else 0
    return figures


def context_by_month(hub: Hub, filters: Filters) -> Chart:
    """police.uk incidents in the hub's area each month: ASB, and other crime if imported."""
    rows = db.session.execute(
        select(
            ContextMonthCount.month, ContextMonthCount.is_asb, ContextMonthCount.incidents
        ).where(
            ContextMonthCount.hub_id == hub.id,
            ContextMonthCount.month >= filters.start,
            ContextMonthCount.month <= filters.end,
        )
    ).all()
    index = {m: i for i, m in enumerate(filters.months)}
    asb, other = [0] * len(index), [0] * len(index)
    for month, is_asb, count in rows:
        (asb if is_asb else other)[index[month]] += count
    return Chart(
        "police-uk-by-month",
        "police.uk incidents in the hub's area",
        _month_labels(filters),
        [Series("asb", "Antisocial behaviour", asb), Series("other", "Other crime", other)],
        unit="incidents",
        description="Street-level records published by police.uk (Open Government Licence), "
        "imported into the hub. police.uk publishes each month about two months later.",
        axis="Month",
    )


@dataclass
class Headline:
    referrals: int
    open_cases: int
    context_incidents: int
    latest_context_month: date | None


def headline(hub: Hub, referrals: int, context_asb: int) -> Headline:
    """The figures above the charts. Referrals and police.uk ASB are the charts' totals; the
    open cases (an index of the open ones) and the latest police.uk month are one statement.
    The powers used are on the powers return and in the monthly report."""
    open_cases, latest = db.session.execute(
        select(
            select(func.count())
            .select_from(Case)
            .where(Case.hub_id == hub.id, Case.stage != Stage.CLOSED.value)
            .scalar_subquery(),
            select(func.max(ContextMonthCount.month))
            .where(ContextMonthCount.hub_id == hub.id)
            .scalar_subquery(),
        )
    ).one()
    return Headline(referrals, open_cases, context_asb, latest)


@dataclass
class Dashboard:
    filters: Filters
    headline: Headline
    charts: dict[str, Chart]
    deadlines: dict[str, dict[str, int]]
    reviews: ReviewFigures
    satisfaction: Satisfaction


def build(hub: Hub, filters: Filters, now: datetime, today: date) -> Dashboard:
    """Every figure on the dashboard: nine statements, whatever the size of the hub."""
    by_band, by_category = referrals_over_time(hub, filters)
    deadlines = deadline_counts(hub, filters, now)
    satisfaction = victim_satisfaction(hub, filters)
    charts = [
        by_band,
        by_category,
        deadlines_chart(deadlines),
        actions_by_agency(hub, today),
        outcomes_by_intervention(hub, filters),
        satisfaction.chart,
        referral_times(hub, filters),
        context_by_month(hub, filters),
    ]
    context = charts[-1]
    return Dashboard(
        filters=filters,
        headline=headline(hub, by_band.grand_total, sum(context.series[0].values)),
        charts={c.id: c for c in charts},
        deadlines=deadlines,
        reviews=case_review_figures(hub, filters),
        satisfaction=satisfaction,
    )


CHART_IDS = (
    "referrals-by-band",
    "referrals-by-category",
    "conference-deadlines",
    "actions-by-agency",
    "outcomes-by-intervention",
    "victim-satisfaction",
    "incidents-by-time",
    "police-uk-by-month",
)
