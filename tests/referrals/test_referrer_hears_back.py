"""Issue 20: the referrer hears back. A notice and an email when her referral is triaged (a case
opened) and when a conference decides about its case, naming references only; her referral page
links the case only for someone the permission module lets open it."""

import re

from sqlalchemy import select

from hub.conferences import decisions, running
from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import Agency, AgendaItem, AgendaReason, Conference, Hub, Notification, User
from referrals import intake, triage
from tests.support.factories import make_isa
from tests.support.referral_data import payload


def _referral_triaged_into_a_case(app, world):
    with app.app_context():
        hub = db.session.get(Hub, world.hub_id)
        agencies = {k: db.session.get(Agency, v) for k, v in world.agency_ids.items()}
        make_isa(
            hub,
            [agencies["council"], agencies["police"]],
            ["identity", "incident"],
            reference="ISA-HEARS",
        )
        referrer = db.session.get(User, world.user_id["referrer"])
        referral = intake.submit_referral(payload(), user=referrer)[0]
        triage.decide(
            referral,
            {"decision": "new_case", "title": "Personal ASB, CA28", "reason": "Needs a plan"},
            user=db.session.get(User, world.user_id["coordinator"]),
        )
        db.session.commit()
        return referral.id, referral.reference, referral.case_id, referral.case.reference


def test_the_referrer_hears_her_referral_was_triaged(app, client, world, outbox):
    referral_id, reference, _, case_reference = _referral_triaged_into_a_case(app, world)
    mine = [m for m in outbox if m["To"] == world.email["referrer"]]
    assert len(mine) == 1 and reference in mine[0]["Subject"]
    body = mine[0].get_content()
    assert f"http://hub.test/referrals/{referral_id}" in body
    assert "William Hartley" not in body and "Needs a plan" not in body
    with app.app_context():
        (notice,) = db.session.scalars(
            select(Notification).where(Notification.user_id == world.user_id["referrer"])
        ).all()
        assert notice.referral_id == referral_id
        assert notice.text == f"Your referral {reference} was triaged: a case was opened: " + (
            case_reference
        )
    client.sign_in(world.email["referrer"])
    page = client.get("/notifications").get_data(as_text=True)
    assert f'href="/referrals/{referral_id}"' in page
    # A referrer may not open cases: the case reference is shown, not linked.
    referral_page = client.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert case_reference in referral_page
    assert not re.search(r'href="/cases/\d+"[^>]*>' + case_reference, referral_page)


def test_the_case_reference_links_for_someone_who_may_open_the_case(app, client, world):
    referral_id, _, case_id, case_reference = _referral_triaged_into_a_case(app, world)
    client.sign_in(world.email["spoc"])  # the referring council's SPoC: a member of the case
    page = client.get(f"/referrals/{referral_id}").get_data(as_text=True)
    assert f'href="/cases/{case_id}"' in page and case_reference in page


def test_the_referrer_hears_when_a_conference_decides(app, world):
    referral_id, reference, case_id, case_reference = _referral_triaged_into_a_case(app, world)
    with app.app_context(), app.test_request_context():
        conference = Conference(hub_id=world.hub_id, starts_at=utcnow())
        db.session.add(conference)
        db.session.flush()
        item = AgendaItem(
            conference_id=conference.id,
            case_id=case_id,
            reason=AgendaReason.NEW_CASE.value,
            position=1,
        )
        db.session.add(item)
        db.session.flush()
        chair = db.session.get(User, world.user_id["coordinator"])
        running.start_conference(conference, conference.edit_version, actor=chair)
        decisions.record_decision(
            conference,
            item,
            {
                "kind": "next_review",
                "review_on": "2099-01-01",
                "version": conference.edit_version,
                "case_version": item.case.version,
            },
            actor=chair,
        )
        notice = db.session.scalars(
            select(Notification).where(Notification.user_id == world.user_id["referrer"])
        ).one()
        assert f"decided about case {case_reference}, from your referral {reference}" in (
            notice.text
        )
        assert notice.referral_id == referral_id
        # The triage notice was unread: the news is counted into it (one notice, one email).
        assert notice.updates == 2
        db.session.rollback()
