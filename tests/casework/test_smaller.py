"""Issue 20, the smaller items: a Back link on every page of the question flow, dates written
out ("2 March 1958"), a page title for each case tab, timeliness for analysts, person lists
that follow the chosen agency, and the audit log naming case references."""

import re

from tests.referrals.test_referrals_web import fill_referral


def _back(html: str) -> str:
    match = re.search(r'<a href="([^"]+)" class="govuk-back-link">Back</a>', html)
    assert match, "no Back link"
    return match.group(1)


def test_every_page_of_the_question_flow_has_a_back_link(client, world):
    client.sign_in(world.email["referrer"])
    rid = fill_referral(client)
    expected = {
        "what": f"/referrals/{rid}/start",
        "where": f"/referrals/{rid}/what",
        "people": f"/referrals/{rid}/where",
        "consent": f"/referrals/{rid}/people",
        "risk": f"/referrals/{rid}/consent",
        "check": f"/referrals/{rid}/risk",
        "start": "/referrals/",
    }
    for page, back in expected.items():
        assert _back(client.get(f"/referrals/{rid}/{page}").get_data(as_text=True)) == back, page
    changing = client.get(f"/referrals/{rid}/where?check=1").get_data(as_text=True)
    assert _back(changing) == f"/referrals/{rid}/check"


def test_dates_are_written_out(client, world):
    client.sign_in(world.email["referrer"])
    rid = fill_referral(client)
    people = client.get(f"/referrals/{rid}/people").get_data(as_text=True)
    assert "born 2 March 1958" in people and "1958-03-02" not in people
    check = client.get(f"/referrals/{rid}/check").get_data(as_text=True)
    assert "born 2 March 1958" in check and "1 August 2026" in check
    assert "2026-08-01" not in check


def test_an_analyst_sees_timeliness_but_not_the_reasons_words(client, world):
    """The dashboard sends analysts to the conference deadlines page; the permission module
    gives analysts the hub's figures (never names), and timeliness is one."""
    client.sign_in(world.email["analyst"])
    page = client.get(f"/hubs/{world.hub_slug}/conferences/timeliness")
    assert page.status_code == 200
    assert "the reason" not in page.get_data(as_text=True)  # no Record/Change link
    listing = client.get(f"/hubs/{world.hub_slug}/conferences").get_data(as_text=True)
    assert "Conference deadlines kept" in listing


def test_the_audit_log_names_cases_by_reference(app, client, world):
    from sqlalchemy import select

    from hub.extensions import db
    from hub.models import CaseAction
    from tests.casework.test_action_updates import _save
    from tests.casework.test_board import board_world as make_board  # the fixture's function

    built = make_board.__wrapped__(app, world)
    client.sign_in(world.email["spoc"])
    with app.app_context():
        action = db.session.scalars(
            select(CaseAction).where(CaseAction.case_id == built.mine)
        ).one()
        ids = action.id, action.version, action.agency_id, action.owner_id
    assert _save(client, built.mine, *ids, "Phoned").status_code == 302
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/account/")})
    client.sign_in(world.email["hub_manager"])
    page = client.get(f"/hubs/{world.hub_slug}/audit").get_data(as_text=True)
    assert f"Action {action.id} on case CPL-MINE" in page
    assert not re.search(r"<td[^>]*>case \d+</td>", page, re.I)
