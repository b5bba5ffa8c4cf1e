"""The planner board, search and "my work", and the constant query counts of board and tabs."""

import re
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from hub.casework import board
from hub.extensions import db
from hub.models import Agency, Case, CaseAction, Hub, RiskAssessment, User
from tests.conftest import count_queries
from tests.support.factories import make_case, make_isa, make_note

ALL = ["identity", "incident", "housing", "victim_contact"]


def html(response) -> str:
    return response.get_data(as_text=True)


def _world(world):
    hub = db.session.get(Hub, world.hub_id)
    agencies = {k: db.session.get(Agency, world.agency_ids[k]) for k in world.agency_ids}
    users = {k: db.session.get(User, world.user_id[k]) for k in world.user_id}
    return hub, agencies, users


def add_cases(hub, agencies, users, start: int, count: int, *, stage="active"):
    """Cases with a bit of everything a card counts: an overdue action, a signed assessment
    whose reassessment is overdue, a note."""
    for i in range(start, start + count):
        case = make_case(
            hub, f"CPL-{i:04d}", agencies["council"], agencies["housing"], stage=stage, band="high"
        )
        case.lead_agency_id = agencies["housing"].id
        case.next_review_on = date(2020, 1, 1)
        db.session.add(
            CaseAction(
                case_id=case.id,
                agency_id=agencies["council"].id,
                owner_id=users["spoc"].id,
                description="Visit",
                due_on=date(2020, 1, 1),
            )
        )
        db.session.add(
            RiskAssessment(
                case_id=case.id,
                kind="initial",
                problem_type="personal",
                band="high",
                score=30,
                assessor_id=users["spoc"].id,
                signed_at=case.opened_at,
                next_due_on=date(2020, 1, 1),
                category="incident",
                origin_agency_id=agencies["council"].id,
            )
        )
        make_note(case, agencies["council"], users["spoc"], body=f"note {i}")
    db.session.flush()


@pytest.fixture
def board_world(app, world):
    with app.app_context():
        hub, agencies, users = _world(world)
        make_isa(hub, [agencies["council"], agencies["police"], agencies["housing"]], ALL)
        mine = make_case(hub, "CPL-MINE", agencies["council"], band="critical", stage="referred")
        theirs = make_case(hub, "CPL-THEIRS", agencies["police"], band="standard", stage="active")
        make_note(theirs, agencies["police"], users["coordinator"], body="Drugs seen at flat 9")
        make_note(mine, agencies["council"], users["spoc"], body="Drugs mentioned by caller")
        db.session.add(
            CaseAction(
                case_id=mine.id,
                agency_id=agencies["council"].id,
                owner_id=users["spoc"].id,
                description="Phone the caller",
                due_on=date(2020, 1, 1),
            )
        )
        db.session.commit()
        return SimpleNamespace(mine=mine.id, theirs=theirs.id, world=world)


def test_everyone_in_the_hub_sees_every_card_and_nothing_personal(client, board_world):
    w = board_world.world
    client.sign_in(w.email["spoc"])  # council
    page = html(client.get(f"/hubs/{w.hub_slug}/board"))
    assert 'data-testid="card-CPL-MINE"' in page and 'data-testid="card-CPL-THEIRS"' in page
    assert f'href="/cases/{board_world.mine}"' in page
    assert f'href="/cases/{board_world.theirs}"' not in page  # police's case: card only
    assert "Critical" in page and "1 overdue action" in page
    assert "Drugs" not in page
    assert f'action="/cases/{board_world.theirs}/stage"' not in page


def test_the_board_refreshes_itself_with_just_its_columns(client, board_world):
    w = board_world.world
    client.sign_in(w.email["analyst"])  # police analyst: cards, no case data
    full = client.get(f"/hubs/{w.hub_slug}/board")
    assert 'hx-trigger="every 10s"' in html(full) and "HX-Request" in full.headers["Vary"]
    part = client.get(f"/hubs/{w.hub_slug}/board", headers={"HX-Request": "true"})
    assert html(part).lstrip().startswith('<div id="board-columns"')
    assert "CPL-THEIRS" in html(part)


def test_someone_outside_the_hub_gets_404(client, board_world):
    client.sign_in(board_world.world.email["other_hub"])
    assert client.get(f"/hubs/{board_world.world.hub_slug}/board").status_code == 404
    assert client.get("/hubs/no-such-hub/board").status_code == 404


def test_the_board_itself_shows_no_card_to_someone_outside_the_hub(ctx, board_world):
    """Below the route's policy, the board's own statement keeps to the permission rule."""
    hub, _, users = _world(board_world.world)
    for filters in ({}, {"stage": "active"}, {"mine": "true", "sort": "reference"}):
        f = board.parse_filters(filters)
        assert sum(len(c.cards) for c in board.board(users["spoc"], hub, f).columns) > 0
        assert sum(len(c.cards) for c in board.board(users["other_hub"], hub, f).columns) == 0


@pytest.mark.parametrize(
    "query,shown,hidden",
    [
        ("band=critical", "CPL-MINE", "CPL-THEIRS"),
        ("mine=true", "CPL-MINE", "CPL-THEIRS"),
        ("my_actions=true", "CPL-MINE", "CPL-THEIRS"),
        ("overdue=true", "CPL-MINE", "CPL-THEIRS"),
        ("stage=active", "CPL-THEIRS", "CPL-MINE"),
        ("band=nonsense", "CPL-MINE", None),  # a malformed filter is ignored
    ],
)
def test_filters(client, board_world, query, shown, hidden):
    w = board_world.world
    client.sign_in(w.email["spoc"])
    page = html(client.get(f"/hubs/{w.hub_slug}/board?{query}"))
    assert f"card-{shown}" in page
    if hidden:
        assert f"card-{hidden}" not in page


def test_lead_agency_filter_and_sort_by_deadline(client, board_world, app):
    w = board_world.world
    with app.app_context():
        theirs = db.session.get(Case, board_world.theirs)
        theirs.lead_agency_id = w.agency_ids["police"]
        db.session.commit()
    client.sign_in(w.email["spoc"])
    page = html(client.get(f"/hubs/{w.hub_slug}/board?lead={w.agency_ids['police']}"))
    assert "card-CPL-THEIRS" in page and "card-CPL-MINE" not in page


def test_moving_a_card_runs_the_same_checks_as_the_case_page(client, board_world, app):
    w = board_world.world
    client.sign_in(w.email["hub_manager"])
    with app.app_context():
        version = db.session.get(Case, board_world.mine).version
    response = client.submit(
        f"/cases/{board_world.mine}/stage",
        {
            "stage": "active",
            "version": version,
            "return_to": "board",
            "board_query": "band=critical",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/hubs/{w.hub_slug}/board?band=critical")
    page = html(client.get(response.headers["Location"]))
    assert "CPL-MINE cannot move" in page and "agreed lead agency" in page
    moved = client.submit(
        f"/cases/{board_world.mine}/stage",
        {"stage": "awaiting_conference", "version": version, "return_to": "board"},
    )
    assert "CPL-MINE is now at awaiting conference" in html(client.get(moved.headers["Location"]))
    # A move from a stale board is refused, not applied.
    stale = client.submit(
        f"/cases/{board_world.mine}/stage",
        {"stage": "review", "version": version, "return_to": "board"},
    )
    assert "changed by someone else" in html(client.get(stale.headers["Location"]))
    with app.app_context():
        assert db.session.get(Case, board_world.mine).stage == "awaiting_conference"


def test_a_non_member_cannot_move_a_card(client, board_world, app):
    w = board_world.world
    client.sign_in(w.email["coordinator"])  # police: not a member of CPL-MINE
    with app.app_context():
        version = db.session.get(Case, board_world.mine).version
    response = client.submit(
        f"/cases/{board_world.mine}/stage",
        {"stage": "awaiting_conference", "version": version, "return_to": "board"},
    )
    assert response.status_code == 404


def test_search_by_reference_title_and_visible_notes(client, board_world):
    w = board_world.world
    client.sign_in(w.email["spoc"])  # council
    page = html(client.get(f"/hubs/{w.hub_slug}/search?q=drugs"))
    assert "Drugs mentioned by caller" in page
    assert "Drugs seen at flat 9" not in page  # police's case: council is not a member
    page = html(client.get(f"/hubs/{w.hub_slug}/search?q=THEIRS"))
    assert "CPL-THEIRS" in page  # any card, by reference
    page = html(client.get(f"/hubs/{w.hub_slug}/search?q=Mill"))
    assert "CPL-MINE: Noise" in page and "CPL-THEIRS: Noise" not in page
    page = html(client.get(f"/hubs/{w.hub_slug}/search?q=%25"))
    assert "Drugs" not in page  # LIKE wildcards are searched for literally


def test_my_work(client, board_world):
    w = board_world.world
    client.sign_in(w.email["spoc"])
    page = html(client.get(f"/hubs/{w.hub_slug}/my-work"))
    assert "Phone the caller" in page and "Overdue" in page
    assert client.get("/my-work").status_code == 302
    assert client.get("/board").headers["Location"].endswith(f"/hubs/{w.hub_slug}/board")


# -- query counts stay constant as the hub grows ----------------------------------------------


def _count(client, connection, path) -> int:
    client.get(path)  # warm: first-time disclosure register rows, caches
    with count_queries(connection) as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


def test_board_and_case_tabs_issue_the_same_statements_at_10_and_200_cases(
    client, app, world, _transaction
):
    with app.app_context():
        hub, agencies, users = _world(world)
        make_isa(hub, [agencies["council"], agencies["police"], agencies["housing"]], ALL)
        add_cases(hub, agencies, users, 0, 10)
        first = db.session.execute(select(Case).order_by(Case.id)).scalars().first().id
        db.session.commit()
    client.sign_in(world.email["spoc"])
    paths = [
        f"/hubs/{world.hub_slug}/board",
        f"/hubs/{world.hub_slug}/board?stage=active&overdue=true",
        f"/cases/{first}",
        f"/cases/{first}/risk",
        f"/cases/{first}/actions",
        f"/cases/{first}/activity",
        f"/hubs/{world.hub_slug}/my-work",
    ]
    small = {p: _count(client, _transaction, p) for p in paths}
    with app.app_context():
        hub, agencies, users = _world(world)
        add_cases(hub, agencies, users, 10, 190)
        case = db.session.get(Case, first)
        for i in range(30):  # the measured case grows too
            make_note(case, agencies["council"], users["spoc"], body=f"more {i}")
        db.session.commit()
    large = {p: _count(client, _transaction, p) for p in paths}
    assert large == small
    board = html(client.get(f"/hubs/{world.hub_slug}/board"))
    assert len(re.findall(r'data-testid="card-', board)) == 25  # one column's first cards
    assert "Show all 200 active cases" in board


def test_each_column_counts_only_its_own_cases(app, client, world):
    with app.app_context():
        hub, agencies, users = _world(world)
        add_cases(hub, agencies, users, 1, 3, stage="active")
        db.session.commit()
    client.sign_in(world.email["coordinator"])
    page = client.get("/hubs/copeland/board").get_data(as_text=True)
    counts = dict(re.findall(r'id="col-([a-z_]+)">[^<]*<span class="govuk-body-s">\((\d+)\)', page))
    assert counts == {
        "referred": "0",
        "awaiting_conference": "0",
        "active": "3",
        "review": "0",
        "evaluation": "0",
    }
    assert "Show all" not in page
