"""Issue 18: the planner board's compact cards say which conference will hear a case, or flag
that none will by its deadline; a refused move is said on its own card; drag and drop comes from
the vendored SortableJS, with each card's Move menu as the fallback."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AgendaItem, AuditEntry, Case, CaseAction, Conference, User
from tests.casework.test_board import board_world, html  # noqa: F401 (a fixture)


def _card(page: str, reference: str) -> str:
    """The markup of one card: from its opening tag to the next card's (or the list's end)."""
    start = page.index(f'data-testid="card-{reference}"')
    end = min(i for i in (page.find("<li ", start), page.find("</ul>", start)) if i > 0)
    return page[start:end]


def _conference(hub_id, case_id, *, days, status="scheduled", kind="weekly", removed=False):
    conference = Conference(
        hub_id=hub_id, starts_at=utcnow() + timedelta(days=days), status=status, kind=kind
    )
    db.session.add(conference)
    db.session.flush()
    db.session.add(
        AgendaItem(
            conference_id=conference.id,
            case_id=case_id,
            reason="new_case",
            position=1,
            removed=removed,
        )
    )
    return conference


@pytest.fixture
def due_in_two_days(app, board_world):  # noqa: F811
    with app.app_context():
        case = db.session.get(Case, board_world.mine)  # critical, referred
        case.conference_due_by = utcnow() + timedelta(days=2)
        db.session.commit()
    return board_world


def test_a_case_no_conference_will_hear_in_time_is_flagged(client, app, due_in_two_days):
    w = due_in_two_days.world
    with app.app_context():
        # On the agenda of a conference after its deadline, and removed from an earlier one.
        _conference(w.hub_id, due_in_two_days.mine, days=6)
        _conference(w.hub_id, due_in_two_days.mine, days=1, removed=True)
        db.session.commit()
    client.sign_in(w.email["coordinator"])  # police: sees the card, not the case
    card = _card(html(client.get(f"/hubs/{w.hub_slug}/board")), "CPL-MINE")
    assert "No conference before its deadline" in card
    assert "(weekly conference)" in card and "Critical" in card


def test_the_card_names_the_conference_that_will_hear_it(client, app, due_in_two_days):
    w = due_in_two_days.world
    with app.app_context():
        _conference(w.hub_id, due_in_two_days.mine, days=1, status="proposed", kind="urgent")
        _conference(w.hub_id, due_in_two_days.mine, days=-1)  # past: not the next one
        db.session.commit()
    client.sign_in(w.email["spoc"])
    card = _card(html(client.get(f"/hubs/{w.hub_slug}/board")), "CPL-MINE")
    assert "urgent conference (to be confirmed)" in card
    assert "no-conference" not in card
    assert "1 overdue action" in card


def test_a_deadline_already_passed_is_said_so(client, app, board_world):  # noqa: F811
    w = board_world.world
    with app.app_context():
        db.session.get(Case, board_world.mine).conference_due_by = utcnow() - timedelta(hours=3)
        db.session.commit()
    client.sign_in(w.email["spoc"])
    card = _card(html(client.get(f"/hubs/{w.hub_slug}/board")), "CPL-MINE")
    assert "Conference deadline passed" in card
    assert "Next conference: none yet" in card


def test_an_active_case_has_no_deadline_flag(client, app, board_world):  # noqa: F811
    w = board_world.world
    with app.app_context():
        db.session.get(Case, board_world.theirs).conference_due_by = utcnow() - timedelta(days=3)
        db.session.commit()
    client.sign_in(w.email["spoc"])
    card = _card(html(client.get(f"/hubs/{w.hub_slug}/board")), "CPL-THEIRS")
    assert "no-conference" not in card


def test_a_refused_move_is_said_on_its_card(client, app, board_world):  # noqa: F811
    w = board_world.world
    client.sign_in(w.email["hub_manager"])
    with app.app_context():
        version = db.session.get(Case, board_world.mine).version
    response = client.submit(
        f"/cases/{board_world.mine}/stage",
        {"stage": "active", "version": version, "return_to": "board"},
        headers={"HX-Request": "true"},
    )
    # htmx follows the redirect to the board's columns, where the card says why.
    part = html(client.get(response.headers["Location"], headers={"HX-Request": "true"}))
    card = _card(part, "CPL-MINE")
    assert 'data-testid="move-refusal"' in card and "agreed lead agency" in card
    assert '<details class="hub-card__move" open>' in card  # the Move menu is left open
    assert "hub-card--refused" in part and "move-refusal" not in _card(part, "CPL-THEIRS")
    # Said once: the next refresh no longer carries it.
    again = html(client.get(f"/hubs/{w.hub_slug}/board", headers={"HX-Request": "true"}))
    assert "move-refusal" not in again


def test_cards_are_compact_and_drag_and_drop_is_vendored(client, board_world):  # noqa: F811
    w = board_world.world
    client.sign_in(w.email["hub_manager"])  # council: may move its own case
    page = html(client.get(f"/hubs/{w.hub_slug}/board"))
    assert "/static/vendor/sortablejs/Sortable.min.js" in page
    assert not re.search(r'src="https?://', page)  # nothing from a CDN
    mine = _card(page, "CPL-MINE")
    assert 'data-movable="true"' in mine and "data-move-handle" in mine
    assert '<details class="hub-card__move">' in mine  # the form, folded away
    theirs = _card(page, "CPL-THEIRS")
    assert "data-movable" not in theirs and "hub-card__move" not in theirs
    assert client.get("/static/vendor/sortablejs/Sortable.min.js").status_code == 200
    assert client.get("/static/js/board.js").status_code == 200


def test_a_move_from_the_board_swaps_the_columns_in_place(client, app, board_world):  # noqa: F811
    w = board_world.world
    client.sign_in(w.email["hub_manager"])
    with app.app_context():
        version = db.session.get(Case, board_world.mine).version
    response = client.submit(
        f"/cases/{board_world.mine}/stage",
        {"stage": "awaiting_conference", "version": version, "return_to": "board"},
        headers={"HX-Request": "true"},
    )
    # Not an HX-Redirect (a whole page load): htmx follows this to the columns alone.
    assert response.status_code == 302 and "HX-Redirect" not in response.headers
    part = html(client.get(response.headers["Location"], headers={"HX-Request": "true"}))
    assert part.lstrip().startswith('<div id="board-columns"')
    assert "CPL-MINE is now at awaiting conference" in part


# -- the case page's header -------------------------------------------------------------------


def test_the_case_header_shows_the_next_action_to_those_who_may_read_it(
    client,
    app,
    board_world,  # noqa: F811
):
    w = board_world.world
    client.sign_in(w.email["spoc"])  # council: a member, agreements cover incident data
    page = html(client.get(f"/cases/{board_world.mine}/risk"))
    header = page[page.index('data-testid="case-header"') : page.index('id="case-tabs"')]
    assert "CPL-MINE" in header and "Critical" in header and "Referred" in header
    assert "Not agreed yet" in header
    assert "Phone the caller" in header and "Overdue" in header
    with app.app_context():
        from hub.models import AuditEntry

        details = [
            e.details
            for e in db.session.query(AuditEntry).filter_by(action="personal_data_read")
            if (e.details or {}).get("what") == "next action"
        ]
    assert details and "case_action" in details[-1]["records"]
    # A tab swapped in by htmx carries no header: nothing more is read.
    part = html(client.get(f"/cases/{board_world.mine}/risk", headers={"HX-Request": "true"}))
    assert "case-header" not in part and "Phone the caller" not in part


def test_the_actions_tab_header_takes_the_next_action_from_the_list_it_shows(
    client,
    app,
    board_world,  # noqa: F811
):
    """The actions tab has every action in hand: its header names the open one due soonest
    (a done one never), and the list's audit entry names it, so no
    second read of it is made or audited."""
    w = board_world.world
    with app.app_context():
        case = db.session.get(Case, board_world.mine)
        owner = db.session.execute(select(User).where(User.email == w.email["spoc"])).scalar_one()
        for description, due_on, status in (
            ("Letter already sent", date(2019, 1, 1), "done"),
            ("Call the landlord", date(2019, 6, 1), "open"),
        ):
            db.session.add(
                CaseAction(
                    case_id=case.id,
                    agency_id=owner.agency_id,
                    owner_id=owner.id,
                    description=description,
                    due_on=due_on,
                    status=status,
                )
            )
        db.session.commit()
        before = db.session.execute(select(func.max(AuditEntry.id))).scalar() or 0
    client.sign_in(w.email["spoc"])
    page = html(client.get(f"/cases/{board_world.mine}/actions"))
    header = page[page.index('data-testid="case-header"') : page.index('id="case-tabs"')]
    assert "Call the landlord" in header
    assert "Phone the caller" not in header
    assert "Letter already sent" not in header
    with app.app_context():
        reads = [
            e.details
            for e in db.session.execute(
                select(AuditEntry).where(
                    AuditEntry.id > before, AuditEntry.action == "personal_data_read"
                )
            ).scalars()
        ]
        landlord = db.session.execute(
            select(CaseAction.id).where(CaseAction.description == "Call the landlord")
        ).scalar_one()
    assert [r["what"] for r in reads] == ["actions"]
    assert landlord in reads[0]["records"]["case_action"]
