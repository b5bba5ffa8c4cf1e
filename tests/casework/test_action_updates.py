"""Issue 20: a second "What happened" on an action is added to the first, never written over
it; the activity log keeps each update's words, for those whose agreement covers incident."""

import re

from sqlalchemy import select

from hub.extensions import db
from hub.models import Activity, CaseAction
from tests.casework.test_board import board_world, html  # noqa: F401 (a fixture)


def _action(app, case_id):
    with app.app_context():
        action = db.session.scalars(select(CaseAction).where(CaseAction.case_id == case_id)).one()
        return action.id, action.version, action.agency_id, action.owner_id


def _save(client, case_id, action_id, version, agency_id, owner_id, update, status="open"):
    return client.submit(
        f"/cases/{case_id}/actions/{action_id}",
        {
            "description": "Phone the caller",
            "agency_id": agency_id,
            "owner_id": owner_id,
            "due_on": "2020-01-01",
            "status": status,
            "outcome": update,
            "version": version,
        },
    )


def test_each_what_happened_is_kept_as_its_own_update(client, board_world, app):  # noqa: F811
    w, case_id = board_world.world, board_world.mine
    client.sign_in(w.email["spoc"])
    action_id, version, agency_id, owner_id = _action(app, case_id)
    first = _save(client, case_id, action_id, version, agency_id, owner_id, "Left a voicemail")
    assert first.status_code == 302
    _, version, _, _ = _action(app, case_id)
    page = html(client.get(f"/cases/{case_id}/actions/{action_id}"))
    box = re.search(r'<textarea[^>]*name="outcome"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert box == ""  # a new update starts empty: typing cannot replace the last one
    second = _save(
        client, case_id, action_id, version, agency_id, owner_id, "Spoke to him", status="done"
    )
    assert second.status_code == 302
    page = html(client.get(f"/cases/{case_id}/actions/{action_id}"))
    updates = page[page.index('data-testid="action-updates"') :]
    assert updates.index("Spoke to him") < updates.index("Left a voicemail")
    assert "Latest update: Spoke to him" in html(client.get(f"/cases/{case_id}/actions"))
    # Saving with no new words keeps the last update.
    _, version, _, _ = _action(app, case_id)
    assert _save(client, case_id, action_id, version, agency_id, owner_id, "").status_code == 302
    with app.app_context():
        assert db.session.get(CaseAction, action_id).outcome == "Spoke to him"
        entries = db.session.scalars(
            select(Activity).where(Activity.case_id == case_id, Activity.kind == "action_updated")
        ).all()
        words = [e.summary for e in entries]
        assert any("What happened: Left a voicemail" in s for s in words)
        assert any("What happened: Spoke to him" in s for s in words)
        assert {e.category for e in entries} == {"incident"}  # working records (issue 21)


def test_the_same_words_twice_are_two_updates(client, board_world, app):  # noqa: F811
    w, case_id = board_world.world, board_world.mine
    client.sign_in(w.email["spoc"])
    action_id, version, agency_id, owner_id = _action(app, case_id)
    _save(client, case_id, action_id, version, agency_id, owner_id, "No answer")
    _, version, _, _ = _action(app, case_id)
    assert (
        _save(client, case_id, action_id, version, agency_id, owner_id, "No answer").status_code
        == 302
    )
    page = html(client.get(f"/cases/{case_id}/actions/{action_id}"))
    updates = page[page.index('data-testid="action-updates"') :]
    assert updates[: updates.index("</ol>")].count("No answer") == 2
