"""Each aggregate against the hand-counted fixture (tests/analytics/fixture.py), on whichever
database the suite runs; the dashboard's statements do not grow with the data."""

from datetime import UTC, date, datetime

from hub.analytics import dashboard, powers
from hub.analytics.periods import Filters
from hub.conferences import timeliness
from hub.extensions import db
from hub.models import Agency, Hub, User, Victim
from tests.analytics import fixture
from tests.conftest import count_queries
from tests.support.factories import make_case

# The session with its user, roles and hubs (one statement), the hub, its agencies for the
# menu, and the dashboard's aggregates (satisfaction at closure among them): the same on
# SQLite and PostgreSQL, whatever the size of the hub.
PINNED = 11
PERIOD = Filters(date(2026, 6, 1), date(2026, 12, 1))  # June to December 2026


def _by_label(chart):
    return {row[0]: row[1:] for row in chart.rows()}


def test_referrals_by_band_and_category_each_month(ctx, world):
    f = fixture.build(world)
    bands, categories = dashboard.referrals_over_time(f.hub, PERIOD)
    # columns: critical, high, medium, standard, total
    assert _by_label(bands) == {
        "Jun 2026": [1, 1, 0, 0, 2],
        "Jul 2026": [0, 1, 0, 0, 1],
        "Aug 2026": [0, 0, 0, 0, 0],
        "Sep 2026": [0, 0, 0, 0, 0],
        "Oct 2026": [0, 0, 0, 1, 1],  # 23:30 on 31 October in London, not November
        "Nov 2026": [0, 0, 1, 0, 1],
        "Dec 2026": [0, 0, 0, 0, 0],
    }
    # columns: personal, nuisance, environmental, total
    assert _by_label(categories)["Jun 2026"] == [1, 1, 0, 2]
    assert _by_label(categories)["Nov 2026"] == [0, 0, 1, 1]
    only = Filters(PERIOD.start, PERIOD.end, "nuisance")
    assert dashboard.referrals_over_time(f.hub, only)[0].grand_total == 2


def test_deadlines_agree_with_the_timeliness_page(ctx, world):
    f = fixture.build(world)
    counts = dashboard.deadline_counts(f.hub, PERIOD, fixture.NOW)
    assert counts["critical"] == {"met": 1, "missed": 0, "overdue": 0, "pending": 0}
    assert counts["high"] == {"met": 0, "missed": 1, "overdue": 0, "pending": 0}
    assert counts["medium"] == {"met": 0, "missed": 0, "overdue": 0, "pending": 1}
    assert counts["standard"] == {"met": 0, "missed": 0, "overdue": 1, "pending": 0}
    rows = timeliness.rows(f.hub, fixture.NOW, PERIOD.start, date(2026, 12, 31))
    for band in timeliness.summary(rows)[:-1]:
        expected = {o: getattr(band, o) for o in dashboard.OUTCOMES}
        assert counts[band.band] == expected, band.band


def test_open_and_overdue_actions_by_agency(ctx, world):
    f = fixture.build(world)
    chart = dashboard.actions_by_agency(f.hub, date(2026, 12, 5))
    assert _by_label(chart) == {
        "Copeland Borough Council": [1, 1, 2],  # overdue, not yet due, total
        "Cumbria Constabulary": [1, 0, 1],
    }


def test_outcomes_by_intervention_times_and_reviews(ctx, world):
    f = fixture.build(world)
    outcomes = _by_label(dashboard.outcomes_by_intervention(f.hub, PERIOD))
    # columns: ceased, reduced, harm reduced, response improved, displaced, not achieved, total
    assert outcomes == {
        "Warning letter": [1, 1, 0, 0, 0, 0, 2],
        "Community protection notice": [0, 1, 0, 0, 0, 0, 1],
    }
    times = dashboard.referral_times(f.hub, PERIOD)
    grid = {s.key: s.values for s in times.series}
    assert grid["monday"][9] == 1 and grid["monday"][23] == 1
    assert grid["sunday"][0] == 1  # 00:30 BST on Sunday is 23:30 UTC on Saturday
    assert grid["saturday"][23] == 1 and grid["wednesday"][13] == 1
    assert times.grand_total == 5
    reviews = dashboard.case_review_figures(f.hub, PERIOD)
    assert (reviews.received, reviews.applications, reviews.from_conference) == (2, 1, 1)
    assert (reviews.awaiting_decision, reviews.threshold_met, reviews.completed) == (1, 1, 0)
    context = _by_label(dashboard.context_by_month(f.hub, PERIOD))
    assert context["Nov 2026"] == [2, 0, 2] and context["Oct 2026"] == [0, 1, 1]
    head = dashboard.build(f.hub, PERIOD, fixture.NOW, date(2026, 12, 5)).headline
    assert (head.referrals, head.open_cases, head.context_incidents) == (5, 2, 2)


def _closed_with_victims(hub, reference, closed_at, answers):
    agency = hub.agencies[0]
    case = make_case(hub, reference, agency, stage="closed")
    case.closed_at = closed_at
    for n, answer in enumerate(answers):
        db.session.add(
            Victim(
                case_id=case.id,
                name=f"Victim {reference} {n}",
                category="victim_contact",
                origin_agency_id=agency.id,
                satisfaction=answer,
            )
        )
    db.session.flush()


def test_victims_satisfaction_at_closure(ctx, world):
    f = fixture.build(world)
    in_period = datetime(2026, 9, 14, 10, tzinfo=UTC)
    _closed_with_victims(
        f.hub,
        "SAT-1",
        in_period,
        ["very_satisfied", "satisfied", "satisfied", "declined", None],
    )
    _closed_with_victims(f.hub, "SAT-2", in_period, ["very_dissatisfied", None])
    # Closed before the period, and another hub's: neither counts.
    _closed_with_victims(f.hub, "SAT-3", datetime(2026, 3, 1, tzinfo=UTC), ["satisfied"])
    other = db.session.get(Hub, world.other_hub_id)
    _closed_with_victims(other, "SAT-4", in_period, ["neither"])
    figures = dashboard.victim_satisfaction(f.hub, PERIOD)
    assert _by_label(figures.chart) == {
        "Very satisfied": [1],
        "Satisfied": [2],
        "Neither satisfied nor dissatisfied": [0],
        "Dissatisfied": [0],
        "Very dissatisfied": [1],
    }
    assert (figures.asked, figures.declined, figures.not_asked) == (5, 1, 2)
    board = dashboard.build(f.hub, PERIOD, fixture.NOW, date(2026, 12, 5))
    assert board.charts["victim-satisfaction"].grand_total == 4


def test_the_dashboard_shows_victims_satisfaction(app, client, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        _closed_with_victims(hub, "SAT-5", datetime(2026, 9, 14, tzinfo=UTC), ["satisfied", None])
        db.session.commit()
    client.sign_in(world.email["analyst"])
    html = client.get(f"/hubs/{world.hub_slug}/analytics?from=2026-06&to=2026-12").get_data(
        as_text=True
    )
    assert "Victims&#39; satisfaction at closure" in html
    assert 'data-testid="figure-satisfaction-asked"' in html
    csv = client.get(
        f"/hubs/{world.hub_slug}/analytics/charts/victim-satisfaction.csv?from=2026-06&to=2026-12"
    )
    assert csv.status_code == 200 and "Satisfied,1" in csv.get_data(as_text=True)


def test_the_powers_return(ctx, world):
    f = fixture.build(world)
    table = powers.table(powers.powers_return(f.hub, PERIOD))
    # agency, power, statutory, age group, used, breached, then the outcomes (ceased,
    # reduced, harm reduced, response improved, displaced, not achieved), not yet evaluated
    council = ["Copeland Borough Council"]
    assert table == [
        [*council, "Community protection notice", "Yes", "Under 18", 1, 1, 0, 1, 0, 0, 0, 0, 0],
        [*council, "Warning letter", "No", "Under 18", 1, 0, 0, 1, 0, 0, 0, 0, 0],
        ["Cumbria Constabulary", "Warning letter", "No", "18 and over", 1, 0, 1, 0, 0, 0, 0, 0, 0],
    ]
    november = powers.powers_return(f.hub, Filters(date(2026, 11, 1), date(2026, 11, 1)))
    assert [r.power for r in november] == ["warning_letter"]


def _dashboard_statements(client, connection, slug):
    with count_queries(connection) as statements:
        response = client.get(f"/hubs/{slug}/analytics?from=2026-06&to=2026-12")
    assert response.status_code == 200
    return len(statements)


def test_the_dashboard_costs_the_same_statements_however_much_data(
    app, client, world, _transaction
):
    client.sign_in(world.email["analyst"])
    with app.app_context():
        fixture.build(world)
    small = _dashboard_statements(client, _transaction, world.hub_slug)
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council = db.session.get(Agency, world.agency_ids["council"])
        user = db.session.get(User, world.user_id["referrer"])
        for n in range(40):
            fixture._referral(
                hub,
                council,
                user,
                f"M{n}",
                fixture.NOW.replace(month=7 + n % 5),
                ("high", "medium")[n % 2],
                "nuisance",
                fixture.NOW,
            )
        db.session.commit()
    large = _dashboard_statements(client, _transaction, world.hub_slug)
    assert small == large
    assert large == PINNED, large
