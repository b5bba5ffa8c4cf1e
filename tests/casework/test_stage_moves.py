"""Issue 20: no stage is chosen until someone chooses one, and a move backwards is confirmed on
its own page with a reason the case's activity log keeps."""

from sqlalchemy import select

from hub.extensions import db
from hub.models import Activity, AuditEntry, Case
from tests.casework.test_board import board_world, html  # noqa: F401 (a fixture)


def _case(app, case_id):
    with app.app_context():
        case = db.session.get(Case, case_id)
        return case.stage, case.version


def _to_awaiting(client, app, case_id):
    _, version = _case(app, case_id)
    r = client.submit(
        f"/cases/{case_id}/stage", {"stage": "awaiting_conference", "version": version}
    )
    assert r.status_code == 302
    assert _case(app, case_id)[0] == "awaiting_conference"


def test_the_move_selects_start_with_no_stage_chosen(client, board_world, app):  # noqa: F811
    w = board_world.world
    client.sign_in(w.email["hub_manager"])
    board = html(client.get(f"/hubs/{w.hub_slug}/board"))
    card = board[board.index('id="move-') :]
    first_option = card[card.index("<option") : card.index("</option>")]
    assert 'value=""' in first_option and "selected" in first_option
    page = html(client.get(f"/cases/{board_world.mine}"))
    select = page[page.index('<select class="govuk-select" id="stage"') :]
    assert select[select.index("<option") :].startswith('<option value="">Choose a stage')
    # Pressing Move with nothing chosen moves nothing.
    _, version = _case(app, board_world.mine)
    r = client.submit(f"/cases/{board_world.mine}/stage", {"stage": "", "version": version})
    assert r.status_code == 400 and "Choose a stage from the list" in html(r)
    assert _case(app, board_world.mine)[0] == "referred"


def test_a_move_backwards_asks_for_its_reason_first(client, board_world, app):  # noqa: F811
    w = board_world.world
    client.sign_in(w.email["hub_manager"])
    _to_awaiting(client, app, board_world.mine)
    _, version = _case(app, board_world.mine)
    asked = client.submit(
        f"/cases/{board_world.mine}/stage",
        {"stage": "referred", "version": version, "return_to": "board", "board_query": "band=x"},
    )
    assert asked.status_code == 302 and "/stage/confirm?" in asked.headers["Location"]
    assert _case(app, board_world.mine)[0] == "awaiting_conference"  # nothing moved yet
    confirm = html(client.get(asked.headers["Location"]))
    assert "Move the case back to referred?" in confirm
    assert 'name="board_query" value="band=x"' in confirm
    # Confirming without a reason is refused with a field message.
    empty = client.submit(
        f"/cases/{board_world.mine}/stage",
        {"stage": "referred", "version": version, "confirming": "yes", "reason": " "},
    )
    assert empty.status_code == 400
    assert "Enter the reason for moving the case back to referred" in html(empty)
    assert _case(app, board_world.mine)[0] == "awaiting_conference"
    done = client.submit(
        f"/cases/{board_world.mine}/stage",
        {
            "stage": "referred",
            "version": version,
            "confirming": "yes",
            "return_to": "board",
            "reason": "Conference cancelled: needs a new date",
        },
    )
    assert done.status_code == 302 and "/board" in done.headers["Location"]
    assert _case(app, board_world.mine)[0] == "referred"
    with app.app_context():
        summaries = db.session.scalars(
            select(Activity.summary).where(Activity.case_id == board_world.mine)
        ).all()
        assert any("Reason: Conference cancelled: needs a new date" in s for s in summaries)
        details = db.session.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "case_stage_changed")
        ).all()
        assert len(details) == 2 and all("Conference" not in str(d) for d in details)


def test_a_board_move_backwards_through_htmx_goes_to_the_confirmation(
    client,
    board_world,  # noqa: F811
    app,
):
    w = board_world.world
    client.sign_in(w.email["hub_manager"])
    _to_awaiting(client, app, board_world.mine)
    _, version = _case(app, board_world.mine)
    r = client.submit(
        f"/cases/{board_world.mine}/stage",
        {"stage": "referred", "version": version, "return_to": "board"},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 204 and "/stage/confirm?" in r.headers["HX-Redirect"]
    assert _case(app, board_world.mine)[0] == "awaiting_conference"
