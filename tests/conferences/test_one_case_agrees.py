"""Issue 20: the pages agree about one case. A referral triaged into a case is that case on the
conference page; the minutes carry the day the meeting was held; a conference (an approved
urgent one too) cannot be started before its day; the overview's summary follows the feed; a
case added to a conference after its deadline is flagged."""

from datetime import datetime

import pytest
import time_machine
from marshmallow import ValidationError

from hub.conferences import agenda as conference_agenda
from hub.conferences import running
from hub.conferences import slot as conference_slot
from hub.extensions import db
from hub.models import Agency, Conference, Hub, User
from tests.conferences.test_conference_minutes import signed_in
from tests.conferences.test_conferences import add_slot, at, refer, weekly
from tests.support.factories import make_case, make_isa


def _copeland(world):
    hub = db.session.get(Hub, world.hub_id)
    agencies = {k: db.session.get(Agency, v) for k, v in world.agency_ids.items()}
    make_isa(
        hub,
        [agencies["council"], agencies["police"], agencies["housing"]],
        ["identity", "incident"],
        reference="ISA-AGREE",
    )
    return hub, agencies


def test_a_referral_triaged_into_a_case_is_that_case_on_the_conference_page(app, client, world):
    from referrals import triage

    with app.app_context():
        copeland, _ = _copeland(world)
        add_slot(copeland.id)
        referral = refer("2026-11-19T09:00", risk={"fear_for_safety": True})
        conference_slot.ensure_weekly_conferences(datetime(2026, 11, 19).date())
        conference = weekly(copeland.id)[0]
        conference_agenda.build_agenda(conference, at("2026-11-23T10:00"))
        with time_machine.travel(at("2026-11-23T11:00"), tick=False):
            triage.decide(
                referral,
                {"decision": "new_case", "title": "Noise, Mill Street", "reason": ""},
                user=db.session.get(User, world.user_id["coordinator"]),
            )
        case_reference = referral.case.reference
        conference_id = conference.id
        db.session.commit()
    client.sign_in(world.email["coordinator"])
    row = client.get(f"/conferences/{conference_id}").get_data(as_text=True)
    row = row[row.index('data-testid="agenda"') :]
    assert "Awaiting triage" not in row
    assert f"Case {case_reference}" in row or f">{case_reference}</a>" in row


def _conference(hub, starts_at, **values) -> Conference:
    conference = Conference(hub_id=hub.id, starts_at=starts_at, place="Whitehaven", **values)
    db.session.add(conference)
    db.session.flush()
    return conference


def test_a_conference_cannot_be_started_a_day_early(app, client, world):
    """An urgent conference the coordinator approved for tomorrow offered Start today."""
    with app.app_context():
        copeland, _ = _copeland(world)
        tomorrow = _conference(copeland, at("2026-12-03T10:00"), kind="urgent")
        conference_id = tomorrow.id
        db.session.commit()
    with time_machine.travel(at("2026-12-02T15:00"), tick=False):
        client.sign_in(world.email["coordinator"])
        page = client.get(f"/conferences/{conference_id}/live").get_data(as_text=True)
        assert "Start the conference" not in page
        assert "It can be started on 3 December 2026" in page
        with app.app_context():
            conference = db.session.get(Conference, conference_id)
            chair = db.session.get(User, world.user_id["coordinator"])
            with pytest.raises(ValidationError) as refused:
                running.start_conference(conference, conference.edit_version, actor=chair)
            assert "start it on the day" in str(refused.value.messages)
            db.session.rollback()
    with time_machine.travel(at("2026-12-03T08:45"), tick=False):
        on_the_day = signed_in(app, world.email["coordinator"])  # yesterday's session is over
        page = on_the_day.get(f"/conferences/{conference_id}/live").get_data(as_text=True)
        assert "Start the conference" in page


def test_the_minutes_carry_the_day_the_meeting_was_held(app, client, world):
    with app.app_context():
        copeland, _ = _copeland(world)
        held = _conference(
            copeland,
            at("2026-12-03T10:00"),
            status="held",
            started_at=at("2026-12-02T14:00"),  # opened a day early, before the rule above
            ended_at=at("2026-12-02T15:00"),
            chair_id=world.user_id["coordinator"],
        )
        conference_id = held.id
        db.session.commit()
    client.sign_in(world.email["coordinator"])
    page = client.get(f"/conferences/{conference_id}/minutes").get_data(as_text=True)
    assert "on 2 December 2026</h1>" in page
    assert "opened 2 December 2026 at 2:00pm" in page


def test_the_overview_summary_follows_the_feed(app, client, world):
    with app.app_context():
        copeland, agencies = _copeland(world)
        case = make_case(copeland, "CPL-AGREE-1", agencies["council"], stage="referred")
        case_id, version = case.id, case.version
        db.session.commit()
    client.sign_in(world.email["hub_manager"])
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'id="case-summary"' in page
    moved = client.submit(
        f"/cases/{case_id}/stage", {"stage": "awaiting_conference", "version": version}
    )
    assert moved.status_code == 302
    polled = client.get(f"/cases/{case_id}/live/feed?since=0&lead=1").get_data(as_text=True)
    summary = polled[polled.index('id="case-summary"') :]
    assert summary.index('hx-swap-oob="true"') < summary.index("</dl>")
    assert "Awaiting conference" in summary[: summary.index("</dl>")]


@time_machine.travel(at("2026-12-01T09:00"), tick=False)
def test_a_case_added_after_its_deadline_is_flagged(app, client, world):
    with app.app_context():
        copeland, agencies = _copeland(world)
        case = make_case(copeland, "CPL-LATE-1", agencies["council"], band="critical")
        case.conference_due_by = at("2026-12-02T17:00")
        on_time = make_case(copeland, "CPL-ONTIME-1", agencies["council"], band="high")
        on_time.conference_due_by = at("2026-12-10T17:00")
        conference = _conference(copeland, at("2026-12-09T10:00"))
        conference_id = conference.id
        db.session.commit()
    client.sign_in(world.email["coordinator"])
    url = f"/conferences/{conference_id}"
    late = client.submit(f"{url}/items", {"reference": "CPL-LATE-1"}, token_from=url)
    assert late.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "CPL-LATE-1 is on the agenda, but its conference was due by 2 December 2026" in page
    row = page[page.index('data-testid="item-CPL-LATE-1"') :]
    assert "Past its deadline" in row[: row.index("</tr>")]
    client.submit(f"{url}/items", {"reference": "CPL-ONTIME-1"}, token_from=url)
    page = client.get(url).get_data(as_text=True)
    assert "CPL-ONTIME-1 is on the agenda, but" not in page
    row = page[page.index('data-testid="item-CPL-ONTIME-1"') :]
    assert "Past its deadline" not in row[: row.index("</tr>")]
