"""Issue 20: a fresh referral's text boxes start empty, and a reason for sharing without consent
is kept only when consent was not given (web flow and API alike)."""

import re

from hub.extensions import db
from hub.models import Referral
from tests.referrals.test_referrals_web import _draft_id, fill_referral, send


def _textarea(html: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert match, name
    return match.group(1)


def test_a_new_drafts_text_boxes_start_empty(client, world):
    client.sign_in(world.email["referrer"])
    new = client.submit("/referrals/new", {"about": "place", "category": "environmental"})
    rid = _draft_id(new)
    what = client.get(f"/referrals/{rid}/what").get_data(as_text=True)
    where = client.get(f"/referrals/{rid}/where").get_data(as_text=True)
    consent = client.get(f"/referrals/{rid}/consent").get_data(as_text=True)
    assert _textarea(what, "description") == ""
    assert _textarea(where, "address") == ""
    assert _textarea(consent, "consent_reason") == ""
    assert 'value="None"' not in what + where + consent


def test_a_reason_typed_before_choosing_yes_is_not_kept(app, client, world):
    client.sign_in(world.email["referrer"])
    rid = fill_referral(client)
    r = client.submit(
        f"/referrals/{rid}/consent", {"consent_given": "yes", "consent_reason": "risk of harm"}
    )
    assert r.status_code == 302
    again = client.get(f"/referrals/{rid}/consent").get_data(as_text=True)
    assert _textarea(again, "consent_reason") == ""
    response, _ = send(client, rid)
    assert response.status_code == 302
    with app.app_context():
        referral = db.session.get(Referral, rid)
        assert referral.consent_given is True and referral.consent_reason is None


def test_the_api_keeps_no_reason_when_consent_is_given():
    from referrals.schemas import ConsentSchema

    assert ConsentSchema().load({"given": True, "reason": "risk of harm"})["reason"] is None
    assert ConsentSchema().load({"given": False, "reason": "risk of harm"})["reason"] == (
        "risk of harm"
    )
