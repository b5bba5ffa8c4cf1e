"""Letters to an ASB case review's applicant (issue 14): the acknowledgement, the outcome
(the threshold not met and why, or what the review found, with the date by which to appeal,
counted across bank holidays), and the appeal's outcome. Marking a letter sent is the review's
own step, so its timescale shows met or missed as before. Nothing else on the case reaches a
letter, whatever the reader may see; the applicant's name and address only through the
section 115 rule, else a blank block to fill in by hand. Printing is audited with metadata."""

import json
from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from hub import permissions as perm
from hub.conferences import case_reviews, decisions, review_letters, review_steps, running
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    AgendaItem,
    AgendaReason,
    AuditEntry,
    CaseIncident,
    CaseNote,
    CaseReview,
    Conference,
    RecordRestriction,
    User,
    Victim,
)
from tests.conferences.test_case_review_steps import held_review, review_on, states, step
from tests.support.factories import make_case
from tests.victims.conftest import add_victim, build

CHRISTMAS_EVE = date(2026, 12, 24)
SECRET = "Zebedee-7Q informant"  # planted in records no letter may carry


def clock(text: str):
    return time_machine.travel(datetime.fromisoformat(text).replace(tzinfo=LONDON), tick=False)


@pytest.fixture
def v(ctx, world):
    return build(world)


def text_of(letter) -> str:
    return " ".join([*letter.paragraphs, letter.findings])


def decide_not_met(v, review, reason: str) -> None:
    """The threshold decided "not met" at a conference, as the chair records it."""
    coordinator = v.people["coordinator"]
    conference = Conference(hub_id=v.hub.id, starts_at=utcnow() + timedelta(hours=1))
    db.session.add(conference)
    db.session.flush()
    item = AgendaItem(
        conference_id=conference.id,
        case_id=v.case.id,
        case_review_id=review.id,
        reason=AgendaReason.REVIEW_DUE.value,
        position=1,
    )
    db.session.add(item)
    db.session.flush()
    running.start_conference(conference, conference.edit_version, actor=coordinator)
    decisions.record_decision(
        conference,
        item,
        {
            "kind": "review_threshold",
            "met": "no",
            "reason": reason,
            "version": conference.edit_version,
            "case_version": v.case.version,
        },
        actor=coordinator,
    )
    db.session.flush()


def plant_restricted(v) -> None:
    """A police note restricted to the police, police intelligence, and an incident logged by
    housing restricted to housing: each carrying SECRET."""
    police, coordinator = v.police, v.people["coordinator"]
    db.session.add_all(
        [
            CaseNote(
                case_id=v.case.id,
                body=f"Restricted: {SECRET}",
                category="incident",
                origin_agency_id=police.id,
                author_id=coordinator.id,
                restricted=True,
            ),
            CaseNote(
                case_id=v.case.id,
                body=f"Intelligence: {SECRET}",
                category="police_intelligence",
                origin_agency_id=police.id,
                author_id=coordinator.id,
            ),
        ]
    )
    incident = CaseIncident(
        case_id=v.case.id,
        occurred_on=date(2026, 11, 20),
        location=f"Lowther Street ({SECRET})",
        description=f"Shouting at night. {SECRET}",
        reported_by="A neighbour",
        category="incident",
        origin_agency_id=v.housing.id,
        recorded_by_id=v.people["case_worker"].id,
        restricted=True,
    )
    db.session.add(incident)
    db.session.flush()
    db.session.add(
        RecordRestriction(record_type="case_incident", record_id=incident.id, agency_id=police.id)
    )
    db.session.flush()


# -- the letters' words -------------------------------------------------------------------------


@clock("2026-12-29T09:00")
def test_the_acknowledgement_says_when_the_threshold_will_be_decided_and_sending_it_is_the_step(
    v,
):
    add_victim(v)
    review = review_on(v.case, CHRISTMAS_EVE)
    coordinator = v.people["coordinator"]
    assert review_letters.available(review) == ["acknowledgement"]
    letter = review_letters.make(coordinator, review, "acknowledgement")
    assert letter.dated == date(2026, 12, 29) and letter.sent_on is None and letter.to is None
    # Ten working days from Christmas Eve, the bank holidays and New Year's Day skipped.
    assert "decide by 12 January 2027 whether your application meets" in text_of(letter)
    assert f"received on 24 December 2026. Its reference is {review.reference}" in text_of(letter)
    assert states(review, date(2026, 12, 29))["acknowledge"] == (date(2026, 12, 30), "due")
    step(
        review_steps.acknowledge,
        review,
        coordinator,
        acknowledged_on="2026-12-29",
        acknowledged_by="email",
    )
    assert states(review, date(2027, 1, 4))["acknowledge"] == (date(2026, 12, 30), "met")
    sent = review_letters.make(coordinator, review, "acknowledgement")
    assert (sent.sent_on, sent.sent_by_label) == (date(2026, 12, 29), "by email")
    entry = db.session.execute(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar_one()
    assert entry.details == {
        "item": "acknowledge",
        "fields": ["acknowledged_on", "acknowledged_by"],
        "status": "received",
    }
    # Sent after the decision's due day, it promises no day already gone.
    late = review_on(make_case(v.hub, "CPL-V2", v.council), date(2026, 12, 1))
    assert "decide at their next case conference whether" in text_of(
        review_letters.make(coordinator, late, "acknowledgement")
    )


@clock("2026-12-04T09:00")
def test_threshold_not_met_gives_the_reason_and_the_appeal_by_date_across_christmas(v):
    review = review_on(v.case, date(2026, 11, 23))
    with clock("2026-12-03T10:00"):
        decide_not_met(v, review, "Two complaints in six months, one of them a repeat of another")
    assert review_letters.available(review) == ["acknowledgement", "outcome"]
    letter = review_letters.make(v.people["coordinator"], review, "outcome")
    words = text_of(letter)
    assert "on 3 December 2026 and decided that it does not meet the threshold" in words
    assert "Their reason: Two complaints in six months, one of them a repeat of another" in words
    # Twenty working days from 4 December: Christmas Day and Boxing Day's substitute skipped.
    assert letter.appeal_by == date(2027, 1, 6)
    assert "within 20 working days of the date of this letter: by 6 January 2027" in words
    step(
        review_steps.send_outcome_letter,
        review,
        v.people["coordinator"],
        outcome_sent_on="2026-12-04",
        outcome_sent_by="by_hand",
    )
    # The appeal window now runs from the letter, as the timescales count it.
    with pytest.raises(Exception) as refused:
        step(
            review_steps.lodge_appeal,
            review,
            v.people["coordinator"],
            appeal_lodged_on="2026-12-03",
        )
    assert "cannot be before the outcome letter" in str(refused.value)
    # A decision made before the letter is sent cannot be dated before the decision.
    review.outcome_sent_on = None
    with pytest.raises(Exception) as refused:
        step(
            review_steps.send_outcome_letter,
            review,
            v.people["coordinator"],
            outcome_sent_on="2026-12-02",
            outcome_sent_by="post",
        )
    assert "cannot be before the decision, 3 December 2026" in str(refused.value)


@clock("2026-12-18T09:00")
def test_a_held_review_s_outcome_and_its_appeal(v):
    plant_restricted(v)
    review = held_review(v)
    coordinator = v.people["coordinator"]
    step(
        review_steps.record_chair,
        review,
        coordinator,
        chair_name="Ruth Marsh",
        chair_role="Community safety lead",
        chair_agency_id="",
    )
    review_steps.add_recommendation(
        review,
        {
            "description": "Share incident logs weekly",
            "agency_id": str(v.housing.id),
            "owner_id": str(v.people["case_worker"].id),
            "due_on": "2027-01-15",
        },
        coordinator,
    )
    step(
        case_reviews.record_outcome,
        review,
        coordinator,
        held_on="2026-12-01",
        outcome="The partners were slow to join up.\nOne shared incident log from now on.",
    )
    letter = review_letters.make(coordinator, review, "outcome")
    words = text_of(letter)
    assert "The case review was held on 1 December 2026" in words
    assert "chaired by the Community safety lead, from outside the partnership" in words
    assert "Ruth Marsh" not in words  # a role, never the chair's name
    assert "given to the partner agencies to carry out" in words
    assert "Share incident logs weekly" not in words  # the action's own words stay on the case
    assert letter.findings.startswith("The partners were slow to join up.")
    # From 18 December: Christmas, Boxing Day's substitute and New Year's Day skipped.
    assert letter.appeal_by == date(2027, 1, 20)
    assert states(review, date(2026, 12, 18))["outcome_letter"] == (date(2026, 12, 8), "missed")
    step(
        review_steps.send_outcome_letter,
        review,
        coordinator,
        outcome_sent_on="2026-12-04",
        outcome_sent_by="post",
    )
    assert review_letters.make(coordinator, review, "outcome").appeal_by == date(2027, 1, 6)
    assert states(review, date(2026, 12, 18))["outcome_letter"] == (date(2026, 12, 8), "met")
    step(review_steps.lodge_appeal, review, coordinator, appeal_lodged_on="2026-12-10")
    assert "appeal" not in review_letters.available(review)
    step(
        review_steps.decide_appeal,
        review,
        coordinator,
        appeal_chair_name="Sam Wood",
        appeal_chair_role="Chief executive of the council",
        appeal_upheld="no",
        appeal_decided_on="2026-12-17",
    )
    appeal = review_letters.make(coordinator, review, "appeal")
    words = text_of(appeal)
    for kind in review_letters.available(review):
        assert SECRET not in text_of(review_letters.make(coordinator, review, kind))
    assert "You appealed on 10 December 2026" in words
    assert "heard by the Chief executive of the council" in words and "Sam Wood" not in words
    assert "was not upheld, so the outcome you were told of stands" in words
    step(
        review_steps.send_appeal_letter,
        review,
        coordinator,
        appeal_letter_sent_on="2026-12-18",
        appeal_letter_sent_by="post",
    )
    assert (review.appeal_letter_sent_on, review.appeal_letter_sent_by) == (
        date(2026, 12, 18),
        "post",
    )


# -- the pages, the address, and nothing partner-only -------------------------------------------


def _not_met_review(app, world, *, restrict_victim: bool) -> tuple[int, int]:
    with app.app_context(), clock("2026-12-03T10:00"):
        v = build(world)
        victim = add_victim(v)
        if restrict_victim:
            # The SPoC's council restricts the victim's record to itself.
            db.session.get(Victim, victim.id).restricted = True
        review = review_on(v.case, date(2026, 11, 23))
        decide_not_met(v, review, "Two complaints in six months")
        plant_restricted(v)
        db.session.commit()
        return review.id, review.version


@clock("2026-12-04T09:00")
def test_the_printed_letters_carry_nothing_partner_only_and_are_addressed_under_s115(
    app, client, world
):
    review_id, version = _not_met_review(app, world, restrict_victim=False)
    path = f"/case-reviews/{review_id}"
    with app.app_context():
        police = db.session.execute(
            select(User).where(User.email == world.email["coordinator"])
        ).scalar_one()
        hub = db.session.get(CaseReview, review_id).hub
        seen = [
            *db.session.execute(perm.visible_records(police, CaseNote, hub)).scalars(),
            *db.session.execute(perm.visible_records(police, CaseIncident, hub)).scalars(),
        ]
        assert len([r for r in seen if SECRET in (getattr(r, "body", "") or r.location)]) == 3
    client.sign_in(world.email["coordinator"])  # police: may read every record planted
    page = client.get(path).get_data(as_text=True)
    assert "Letters to the applicant" in page and "Preview the letter" in page
    assert "until 6 January 2027 to appeal" in page
    assert "Maureen Tallis" not in page  # the preview reads no personal record
    printed = {}
    for kind in ("acknowledgement", "outcome"):
        response = client.get(f"{path}/letters/{kind}")
        assert response.status_code == 200
        printed[kind] = response.get_data(as_text=True)
        assert SECRET not in printed[kind]
        assert "Maureen Tallis\n14 Lowther Street, Whitehaven" in printed[kind]
        assert "victim_letter.css" in printed[kind]  # the A4 print styles
    assert "Their reason: Two complaints in six months" in printed["outcome"]
    assert "by 6 January 2027" in printed["outcome"]
    with app.app_context():
        entries = list(
            db.session.execute(
                select(AuditEntry)
                .where(AuditEntry.action.in_(["case_review_letter_made", "personal_data_read"]))
                .order_by(AuditEntry.id)
            ).scalars()
        )
        made = [e.details for e in entries if e.action == "case_review_letter_made"]
        assert made == [
            {"kind": "acknowledgement", "addressed": True},
            {"kind": "outcome", "addressed": True},
        ]
        reads = [e.details["what"] for e in entries if e.action == "personal_data_read"]
        # Each printed letter's read of the victim record (the review page's own reads of the
        # complaints it traces are audited too, as "case review complaints").
        assert [w for w in reads if w != "case review complaints"] == ["case review letter"] * 2
        assert "Maureen" not in json.dumps([e.details for e in entries])
    # Marked sent from the page: the day and how, then shown on the page.
    sent = client.submit(
        f"{path}/steps/outcome_letter",
        {"outcome_sent_on": "2026-12-04", "outcome_sent_by": "post", "version": version},
        path,
    )
    assert sent.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "Sent by post on 4 December 2026." in page
    assert "Date the appeal was lodged" in page and "By 6 January 2027" in page


@clock("2026-12-04T09:00")
def test_a_reader_who_may_not_see_the_applicant_gets_a_blank_address_block(app, client, world):
    review_id, _ = _not_met_review(app, world, restrict_victim=True)
    client.sign_in(world.email["coordinator"])  # police: the council restricted the victim
    response = client.get(f"/case-reviews/{review_id}/letters/outcome")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Maureen Tallis" not in html and "Lowther Street" not in html and SECRET not in html
    assert "hub-letter__to--blank" in html and "write them in by hand" in html
    with app.app_context():
        made = db.session.execute(
            select(AuditEntry.details)
            .where(AuditEntry.action == "case_review_letter_made")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).scalar_one()
        assert made == {"kind": "outcome", "addressed": False}


@clock("2026-12-04T09:00")
def test_a_letter_is_refused_to_whom_the_register_is_not_for_and_audited(app, client, world):
    review_id, _ = _not_met_review(app, world, restrict_victim=False)
    client.sign_in(world.email["case_worker"])
    assert client.get(f"/case-reviews/{review_id}/letters/outcome").status_code == 404
    with app.app_context():
        worker = db.session.execute(
            select(User).where(User.email == world.email["case_worker"])
        ).scalar_one()
        denied = db.session.execute(
            select(AuditEntry)
            .where(AuditEntry.action == "access_denied", AuditEntry.user_id == worker.id)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).scalar_one()
        assert denied.details["what"] == "policy:keep_case_review"
        assert (denied.target_type, str(denied.target_id)) == ("case_review", str(review_id))


@clock("2026-12-04T09:00")
def test_bad_input_is_a_field_message_or_a_404_never_a_500(app, client, world):
    review_id, version = _not_met_review(app, world, restrict_victim=False)
    path = f"/case-reviews/{review_id}"
    client.sign_in(world.email["coordinator"])
    assert client.get(f"{path}/letters/nonsense").status_code == 404
    assert client.get("/case-reviews/999999/letters/outcome").status_code == 404
    early = client.get(f"{path}/letters/appeal")  # no appeal yet
    assert early.status_code == 302
    assert "has not reached that letter" in client.get(path).get_data(as_text=True)
    for form, field, message in [
        ({"outcome_sent_on": "2026-12-04"}, "outcome_sent_by", "Choose how the letter was sent"),
        (
            {"outcome_sent_on": "2026-12-04", "outcome_sent_by": "pigeon"},
            "outcome_sent_by",
            "Choose how the letter was sent",
        ),
        (
            {"outcome_sent_on": "2026-02-30", "outcome_sent_by": "post"},
            "outcome_sent_on",
            "as a real date",
        ),
        (
            {"outcome_sent_on": "2026-12-05", "outcome_sent_by": "post"},
            "outcome_sent_on",
            "cannot be in the future",
        ),
    ]:
        refused = client.submit(f"{path}/steps/outcome_letter", form | {"version": version}, path)
        html = refused.get_data(as_text=True)
        assert refused.status_code == 400 and f'href="#{field}"' in html and message in html
    appeal_letter = client.submit(
        f"{path}/steps/appeal_letter",
        {"appeal_letter_sent_on": "2026-12-04", "appeal_letter_sent_by": "post"},
        path,
    )
    assert appeal_letter.status_code == 400
    assert "has no appeal letter to send" in appeal_letter.get_data(as_text=True)
    with app.app_context():
        review = db.session.get(CaseReview, review_id)
        assert (review.outcome_sent_on, review.appeal_letter_sent_on) == (None, None)
