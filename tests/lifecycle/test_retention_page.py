"""The hub's retention page: its periods beside the defaults, changed through the service the
command uses (all or nothing, refused when stale), what the clock will do in the next 30 days,
and the legal holds in place, lifted from the page. Its managers and data protection officer
only; anyone else gets an audited 404."""

from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select, update

from hub.core.locking import StaleForm
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.lifecycle import jobs, retention
from hub.models import (
    Agency,
    AuditEntry,
    Case,
    Hub,
    HubRetention,
    Referral,
    RetentionReview,
    User,
)
from tests.conftest import count_queries
from tests.support.factories import make_case, make_isa, make_user

CLOSED = datetime(2020, 1, 10, 15, 0, tzinfo=LONDON)  # reviews due 10 January 2026
TODAY = datetime(2025, 12, 20, 9, 0, tzinfo=LONDON)
PAGE = "/admin/hubs/copeland/retention"
PERIODS = {key: str(months) for key, months in retention.DEFAULT_MONTHS.items()}


def _close(hub: Hub, reference: str, *members: Agency) -> Case:
    case = make_case(hub, reference, *members)
    case.stage, case.closed_at = "closed", CLOSED
    return case


def _declined(hub_id: int, agency_id: int, user_id: int, reference: str) -> Referral:
    """A referral declined at triage a year (less five days) before TODAY."""
    referral = Referral(
        hub_id=hub_id,
        agency_id=agency_id,
        user_id=user_id,
        origin_agency_id=agency_id,
        reference=reference,
        category="incident",
        status="triaged",
        description="Youths gather by the shop",
        decision="declined",
        decided_at=datetime(2024, 12, 25, 10, 0, tzinfo=LONDON),
    )
    db.session.add(referral)
    return referral


@pytest.fixture(autouse=True)
def today():
    """Every test here runs on one London morning, three weeks before the reviews are due."""
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def closed(app, world):
    """Two closed cases with their reviews written by the clock: one the council (the hub
    manager's agency) is on, one only the police are on."""
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        council = db.session.get(Agency, world.agency_ids["council"])
        police = db.session.get(Agency, world.agency_ids["police"])
        make_isa(hub, [council, police], ["incident", "health"], starts_on=date(2019, 1, 1))
        cases = {"CPL-P1": _close(hub, "CPL-P1", council), "CPL-P2": _close(hub, "CPL-P2", police)}
        db.session.commit()
        ids = {reference: case.id for reference, case in cases.items()}
        jobs.retention_review()
        db.session.commit()
    return ids


def _page(client) -> str:
    response = client.get(PAGE)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _save(client, version="0", **changes):
    return client.submit(PAGE, PERIODS | {"version": version} | changes)


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _version(app) -> int:
    with app.app_context():
        return db.session.scalar(select(HubRetention.version))


def test_the_page_lists_each_period_its_default_and_why(client, world, closed):
    client.sign_in(world.email["hub_manager"])
    page = _page(client)
    assert "Housing and tenancy" in page and "Referrals not taken on" in page
    assert "Limitation Act 1980" in page and "a complaint about the decision" in page
    assert page.count("72 months") >= 14 and "(set by the hub)" not in page
    hub_page = client.get("/admin/hubs/copeland").get_data(as_text=True)
    assert 'href="/admin/hubs/copeland/retention"' in hub_page


def test_a_change_is_saved_moves_reviews_not_yet_done_and_is_audited(app, client, world, closed):
    client.sign_in(world.email["hub_manager"])
    response = _save(client, health="36")
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    page = _page(client)
    assert "36 months <strong>(set by the hub)</strong>" in page
    # The health records' review moved to three years after closure: now overdue, so on the
    # page's list of what the clock will do; the other categories' stay where they were.
    due = page.split('data-testid="due"')[1].split("</table>")[0]
    assert due.count("10 January 2023") == 2 and "Health" in due
    assert due.count("10 January 2026") == 12
    with app.app_context():
        reviews = db.session.scalars(
            select(RetentionReview).where(RetentionReview.case_id == closed["CPL-P1"])
        )
        assert {r.category: r.due_on for r in reviews}["health"] == date(2023, 1, 10)
        [entry] = _audit("retention_periods_set")
        assert entry.details == {"categories": ["health"]}
        assert entry.user_id == world.user_id["hub_manager"]


def test_a_referral_not_taken_on_is_listed_when_due_without_a_link(app, client, world):
    with app.app_context():
        _declined(world.hub_id, world.agency_ids["council"], world.user_id["referrer"], "REF-D1")
        db.session.commit()
        jobs.retention_review()
        db.session.commit()
    client.sign_in(world.email["hub_manager"])
    due = _page(client).split('data-testid="due"')[1].split("</table>")[0]
    assert "REF-D1 (not taken on)" in due and "Referrals not taken on" in due
    assert "25 December 2025" in due and "href" not in due


def test_invalid_periods_show_each_fields_error_and_write_nothing(app, client, world, closed):
    client.sign_in(world.email["hub_manager"])
    response = _save(client, incident="24", health="2.5", housing="0", identity="")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert 'href="#health"' in page and "Enter the months as a whole number, like 24" in page
    assert 'href="#housing"' in page and "Enter a number of months from 1 to 300" in page
    assert 'href="#identity"' in page and "Enter the months to keep identity records" in page
    assert 'value="2.5"' in page  # what was typed is kept
    response = _save(client, safeguarding="301")
    assert response.status_code == 400
    assert 'href="#safeguarding"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(HubRetention)) is None
        assert retention.periods(world.hub_id)["incident"] == 72
        assert _audit("retention_periods_set") == []


def test_a_form_opened_before_another_change_is_refused(app, client, world, closed):
    client.sign_in(world.email["hub_manager"])
    with app.app_context():
        retention.set_periods(db.session.get(Hub, world.hub_id), {"housing": 24})
        db.session.commit()
    # Opened before that change (version 0): refused, what was typed shown beside what is saved.
    response = _save(client, version="0", health="36")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this since you opened the page" in page
    assert 'data-testid="stale-periods"' in page and "72 months" in page
    with app.app_context():
        assert retention.periods(world.hub_id)["health"] == 72
        assert len(_audit("retention_periods_set")) == 1
    # Opened after it: saved.
    version = str(_version(app))
    assert _save(client, version=version, housing="24", health="36").status_code == 302
    with app.app_context():
        assert retention.periods(world.hub_id) == retention.DEFAULT_MONTHS | {
            "housing": 24,
            "health": 36,
        }


def test_refused_cases_and_holds_are_listed_and_a_hold_is_lifted_from_the_page(
    app, client, world, closed
):
    with app.app_context():
        manager = db.session.get(User, world.user_id["hub_manager"])
        retention.place_hold(db.session.get(Case, closed["CPL-P1"]), manager, TODAY)
        placed_by = manager.name
        db.session.get(Case, closed["CPL-P2"]).stage = "active"  # open again
        db.session.commit()
    client.sign_in(world.email["hub_manager"])
    page = _page(client)
    refused = page.split('data-testid="refused"')[1].split("</table>")[0]
    assert "The case is under a legal hold" in refused and "The case is open again" in refused
    assert 'data-testid="due"' not in page  # nothing else is due
    holds = page.split('data-testid="holds"')[1].split("</table>")[0]
    assert "CPL-P1" in holds and placed_by in holds and "20 December 2025" in holds
    # The council's case links to it; the police's does not: the manager may not open it.
    case_link = f'href="/cases/{closed["CPL-P1"]}"'
    assert case_link in holds and f'href="/cases/{closed["CPL-P2"]}"' not in page
    response = client.submit(
        f"/cases/{closed['CPL-P1']}/legal-hold", {"hold": "lift", "back": "retention"}, PAGE
    )
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    page = _page(client)
    assert "The legal hold is lifted" in page and "retention (CPL-P1)." in page
    assert 'data-testid="holds"' not in page
    with app.app_context():
        assert not retention.on_hold(closed["CPL-P1"])
        [entry] = _audit("legal_hold_lifted")
        assert entry.user_id == world.user_id["hub_manager"]


def test_the_data_protection_officer_keeps_it_and_anyone_else_gets_an_audited_404(
    app, client, world, closed
):
    with app.app_context():
        council = db.session.get(Agency, world.agency_ids["council"])
        hub = db.session.get(Hub, world.hub_id)
        dpo = make_user("dpo@council.example", council, ("dpo", hub)).email
        db.session.commit()
    client.sign_in(dpo)
    assert 'href="/admin/hubs/copeland/retention"' in client.get("/").get_data(as_text=True)
    assert "Retention periods" in _page(client)
    assert _save(client, not_taken_on="18").status_code == 302
    for persona in ("coordinator", "other_hub"):
        other = app.test_client()
        other.sign_in(world.email[persona])
        assert other.get(PAGE).status_code == 404
        assert _save(other, not_taken_on="6").status_code == 404
    with app.app_context():
        assert retention.periods(world.hub_id)["not_taken_on"] == 18
        denials = [
            (e.user_id, e.details["what"], e.details["method"]) for e in _audit("access_denied")
        ]
        assert denials == [
            (world.user_id[p], "policy:keep_retention", method)
            for p in ("coordinator", "other_hub")
            for method in ("GET", "POST")
        ]


def test_the_page_costs_the_same_queries_however_many_cases(app, client, world, closed):
    def add(n: int, start: int):
        with app.app_context():
            hub = db.session.get(Hub, world.hub_id)
            council = db.session.get(Agency, world.agency_ids["council"])
            manager = db.session.get(User, world.user_id["hub_manager"])
            for i in range(start, start + n):
                _declined(hub.id, council.id, manager.id, f"REF-Q{i}")
                case = _close(hub, f"CPL-Q{i}", council)
                db.session.flush()
                if i % 2:
                    retention.place_hold(case, manager, TODAY)
            db.session.commit()
            jobs.retention_review()
            db.session.commit()

    def cost() -> int:
        with app.app_context():
            engine = db.engine
        with count_queries(engine) as statements:
            assert client.get(PAGE).status_code == 200
        return len(statements)

    client.sign_in(world.email["hub_manager"])
    add(2, 0)
    first = cost()
    add(6, 2)
    assert cost() == first


def test_two_saves_that_pass_the_version_check_together_the_second_is_refused(ctx, world):
    hub = db.session.get(Hub, world.hub_id)
    retention.set_periods(hub, {"housing": 24})
    db.session.commit()
    own = db.session.scalar(select(HubRetention))
    assert own.version == 1
    # Another save writes between this one's version check and its write.
    table = HubRetention.__table__  # not through the ORM, which would tell this session
    db.session.connection().execute(update(table).values(version=table.c.version + 1))
    assert own.version == 1
    with pytest.raises(StaleForm):
        retention.change_periods(hub, PERIODS | {"version": "1", "health": "36"}, actor=None)
    assert retention.periods(hub.id)["health"] == 72
    assert len(_audit("retention_periods_set")) == 1
