"""The hub's call-back cadence is a hub manager's setting: the next call-back offered after a
contact follows it; bad values get a field message and change nothing."""

from sqlalchemy import select

from hub.extensions import db
from hub.models import AuditEntry, VictimSettings


def test_a_hub_manager_sets_the_cadence_and_bad_values_are_refused(app, client, web):
    client.sign_in(web.email["hub_manager"])
    page = f"/hubs/{web.hub_slug}/victims/settings"
    shown = client.get(page).get_data(as_text=True)
    assert 'name="high_days" type="text" value="5"' in shown
    refused = client.submit(
        page,
        {"critical_days": "0", "high_days": "many", "medium_days": "10", "standard_days": "20"},
        token_from=page,
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "working days between call-backs for a critical case, from 1 to 60" in html
    assert "for a high case" in html
    with app.app_context():
        assert db.session.execute(select(VictimSettings)).first() is None
    saved = client.submit(
        page,
        {"critical_days": "1", "high_days": "3", "medium_days": "10", "standard_days": "20"},
        token_from=page,
    )
    assert saved.status_code == 302
    with app.app_context():
        row = db.session.execute(select(VictimSettings)).scalar_one()
        assert row.cadence() == {"critical": 1, "high": 3, "medium": 10, "standard": 20}
        details = db.session.execute(
            select(AuditEntry.details).where(AuditEntry.action == "victim_cadence_saved")
        ).scalar_one()
        assert details == {"fields": ["critical_days", "high_days"]}
    spoc = app.test_client()
    spoc.sign_in(web.email["spoc"])
    tab = spoc.get(f"/cases/{web.case_id}/victim").get_data(as_text=True)
    assert "a call-back every 3 working days" in tab  # the case is high band
    assert spoc.get(page).status_code == 404
