"""ASB case reviews: an application recorded by a SPoC or coordinator goes on the next weekly
agenda; the chair records the partners' threshold decision on it, once; a review found due has
its outcome recorded. Every refusal gives a field message and writes nothing."""

import re
from datetime import date, datetime

import pytest
import time_machine
from marshmallow import ValidationError
from sqlalchemy import func, select

from hub.conferences import agenda as conference_agenda
from hub.conferences import case_reviews
from hub.core.timeutil import LONDON
from hub.extensions import db
from hub.models import (
    Activity,
    AgendaItem,
    AuditEntry,
    Case,
    CaseReview,
    Conference,
    ConferenceDecision,
    ConferenceSlot,
)
from tests.conferences.test_conference_running import build, decide, refused
from tests.support.factories import make_case
from tests.support.referral_data import hub, user

TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)  # a Monday


def application(**changes) -> dict:
    form = {
        "case_reference": "CPL-ACR-1",
        "received_on": "2026-11-20",
        "applicant": "victim",
        "complaints_reported": "4",
    }
    form.update(changes)
    return form


def reviews() -> int:
    return db.session.execute(select(func.count()).select_from(CaseReview)).scalar()


@pytest.fixture
def case(ctx, world):
    copeland = hub()
    council = copeland.agencies[0]
    return make_case(copeland, "CPL-ACR-1", council)


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"case_reference": ""}, "case_reference", "Enter the case reference"),
        ({"case_reference": "CPL-NONE"}, "case_reference", "There is no case CPL-NONE in this hub"),
        ({"received_on": ""}, "received_on", "Enter the date the application was received"),
        ({"received_on": "2026-02-30"}, "received_on", "Enter the date as a real date"),
        ({"received_on": "2026-11-24"}, "received_on", "cannot be in the future"),
        ({"applicant": ""}, "applicant", "Choose who made the application"),
        ({"applicant": "mp"}, "applicant", "Choose who made the application"),
        ({"complaints_reported": "three"}, "complaints_reported", "whole number"),
        ({"complaints_reported": "-1"}, "complaints_reported", "Enter a number from 0 to 999"),
    ],
)
def test_a_bad_application_is_refused_field_by_field(case, world, changes, field, message):
    before = reviews()
    with pytest.raises(ValidationError) as info:
        case_reviews.record_application(hub(), application(**changes), user(world.email["spoc"]))
    assert message in info.value.messages[field][0]
    assert reviews() == before


@time_machine.travel(TODAY, tick=False)
def test_an_application_is_numbered_audited_and_one_awaits_at_a_time(case, world):
    spoc = user(world.email["spoc"])
    review = case_reviews.record_application(hub(), application(case_reference="cpl-acr-1"), spoc)
    assert (review.reference, review.status, review.case_id) == (
        "ACR-CPL-2026-0001",
        "received",
        case.id,
    )
    assert (review.applicant, review.complaints_reported) == ("victim", 4)
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "case_review_opened")
    ).scalar_one()
    assert entry.user_id == spoc.id and entry.target_id == str(review.id)
    with pytest.raises(ValidationError) as info:
        case_reviews.record_application(hub(), application(), spoc)
    assert "already has an application awaiting" in info.value.messages["case_reference"][0]


@time_machine.travel(TODAY, tick=False)
def test_the_pages_record_an_application_and_show_the_register(app, client, world):
    with app.app_context():
        copeland = hub()
        make_case(copeland, "CPL-ACR-1", copeland.agencies[0])
        db.session.commit()
    client.sign_in(world.email["spoc"])
    path = f"/hubs/{world.hub_slug}/case-reviews/new"
    bad = client.submit(path, application(received_on="", applicant=""), token_from=path)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "There is a problem" in html
    assert 'href="#received_on"' in html and 'href="#applicant"' in html
    assert 'value="CPL-ACR-1"' in html  # what was typed is kept
    good = client.submit(path, application(), token_from=path)
    assert good.status_code == 302
    shown = client.get(good.headers["Location"]).get_data(as_text=True)
    assert "ACR-CPL-2026-0001" in shown and "Awaiting the threshold decision" in shown
    register = client.get(f"/hubs/{world.hub_slug}/case-reviews").get_data(as_text=True)
    assert "ACR-CPL-2026-0001" in register and "CPL-ACR-1" in register
    conferences = client.get(f"/hubs/{world.hub_slug}/conferences").get_data(as_text=True)
    assert "ASB case reviews" in conferences
    # A case worker, and another hub's manager, get the same 404 as a missing page.
    for who in ("case_worker", "other_hub"):
        other = app.test_client()
        other.sign_in(world.email[who])
        assert other.get(f"/hubs/{world.hub_slug}/case-reviews").status_code == 404
        assert other.get(good.headers["Location"]).status_code == 404


def test_the_application_goes_on_the_agenda_until_the_threshold_is_decided(ctx, world):
    s = build(world)
    copeland = hub()
    db.session.add(ConferenceSlot(hub_id=copeland.id, weekday=2, time="10:00"))
    review = case_reviews.open_review(
        copeland,
        source="application",
        applicant="on_behalf",
        received_on=date(2026, 11, 20),
        actor=user(world.email["spoc"]),
        case=s.case,
    )
    s.items["case"].case_review_id = review.id
    db.session.flush()
    decision = decide(s, "case", "review_threshold", met="yes", reason="Four complaints")
    assert decision.summary == (
        f"ASB case review {review.reference}: threshold met: the review will be held"
    )
    assert (review.status, review.threshold_met) == ("review_due", True)
    assert review.decided_at is not None
    feed = db.session.execute(
        select(Activity.summary).where(Activity.case_id == s.case.id).order_by(Activity.id)
    ).scalars()
    assert f"ASB case review {review.reference}: threshold met" in list(feed)[-1]
    # Decided: a second decision is refused, and the next agenda does not bring it back.
    messages = refused(
        s, lambda: decide(s, "case", "review_threshold", met="no", reason="Changed our minds")
    )
    assert "already had its threshold decision" in messages["kind"][0]
    later = Conference(hub_id=copeland.id, starts_at=datetime(2099, 1, 7, 10, tzinfo=LONDON))
    db.session.add(later)
    db.session.flush()
    conference_agenda.build_agenda(later, datetime(2099, 1, 6, 10, tzinfo=LONDON))
    reasons = db.session.execute(
        select(AgendaItem.reason).where(AgendaItem.conference_id == later.id)
    ).scalars()
    assert "case_review" not in list(reasons)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": "Two complaints only"}, "met", "Choose whether the threshold is met"),
        ({"met": "maybe", "reason": "x"}, "met", "Choose whether the threshold is met"),
        ({"met": "no"}, "reason", "Enter the reason, which the applicant will be told"),
    ],
)
def test_a_threshold_decision_needs_a_choice_and_a_reason(ctx, world, data, field, message):
    s = build(world)
    review = case_reviews.open_review(
        hub(), source="application", received_on=date(2026, 11, 20), actor=s.chair, case=s.case
    )
    s.items["case"].case_review_id = review.id
    db.session.flush()
    messages = refused(s, lambda: decide(s, "case", "review_threshold", **data))
    assert messages[field] == [message]
    assert review.status == "received"


def test_no_threshold_decision_on_an_item_without_an_application(ctx, world):
    s = build(world)
    messages = refused(s, lambda: decide(s, "case", "review_threshold", met="yes", reason="x"))
    assert "No ASB case review application awaits a decision" in messages["kind"][0]


def test_a_conference_does_not_refer_a_case_already_awaiting_a_decision(ctx, world):
    s = build(world)
    decide(s, "case", "case_review", reason="Repeated complaints")
    messages = refused(s, lambda: decide(s, "case", "case_review", reason="Again"))
    assert "already awaits a threshold decision" in messages["kind"][0]


@time_machine.travel(TODAY, tick=False)
def test_the_outcome_of_a_review_found_due(app, client, world):
    with app.app_context():
        copeland = hub()
        case = make_case(copeland, "CPL-ACR-1", copeland.agencies[0])
        review = case_reviews.open_review(
            copeland,
            source="application",
            applicant="victim",
            received_on=date(2026, 11, 2),
            actor=user(world.email["spoc"]),
            case=case,
        )
        db.session.commit()
        review_id, version = review.id, review.version
    client.sign_in(world.email["coordinator"])
    path = f"/case-reviews/{review_id}"
    # Not yet found due: there is no outcome to record.
    early = client.submit(f"{path}/outcome", {"outcome": "Done", "version": version}, path)
    assert early.status_code == 400 and "is not awaiting its outcome" in early.get_data(True)
    with app.app_context():
        review = db.session.get(CaseReview, review_id)
        review.status, review.threshold_met = "review_due", True
        review.decided_at = datetime(2026, 11, 11, 10, tzinfo=LONDON)
        db.session.commit()
        version = review.version
    held = {"held_on": "2026-11-20"}
    empty = client.submit(f"{path}/outcome", {"outcome": " ", "version": version}, path)
    html = empty.get_data(True)
    assert empty.status_code == 400 and 'href="#outcome"' in html and 'href="#held_on"' in html
    stale = client.submit(f"{path}/outcome", held | {"outcome": "x", "version": version - 1}, path)
    assert stale.status_code == 409 and "Someone else changed" in stale.get_data(True)
    text = "Police and housing to share incident logs weekly; mediation offered"
    no_chair = client.submit(f"{path}/outcome", held | {"outcome": text, "version": version}, path)
    assert "Record the review&#39;s independent chair first" in no_chair.get_data(True)
    early = client.submit(
        f"{path}/outcome", {"held_on": "2026-11-10", "outcome": text, "version": version}, path
    )
    assert early.status_code == 400  # the chair is checked first
    with app.app_context():
        review = db.session.get(CaseReview, review_id)
        review.chair_name, review.chair_role = "Ann Other", "Head of community safety"
        db.session.commit()
        version = review.version
    early = client.submit(
        f"{path}/outcome", {"held_on": "2026-11-10", "outcome": text, "version": version}, path
    )
    assert "cannot be before the threshold decision" in early.get_data(True)
    done = client.submit(f"{path}/outcome", held | {"outcome": text, "version": version}, path)
    assert done.status_code == 302
    with app.app_context():
        review = db.session.get(CaseReview, review_id)
        assert (review.status, review.outcome) == ("completed", text)
        assert review.held_on == date(2026, 11, 20)
        assert db.session.get(Case, review.case_id).reference == "CPL-ACR-1"


def test_the_chairs_page_offers_the_threshold_decision(app, client, world):
    with app.app_context():
        s = build(world)
        review = case_reviews.open_review(
            hub(),
            source="application",
            applicant="victim",
            complaints_reported=3,
            received_on=date(2026, 11, 20),
            actor=s.chair,
            case=s.case,
        )
        s.items["case"].case_review_id = review.id
        db.session.commit()
        conference_id, item_id = s.conference.id, s.items["case"].id
        reference = review.reference
    client.sign_in(world.email["coordinator"])
    html = client.get(f"/conferences/{conference_id}/live?item={item_id}").get_data(as_text=True)
    assert "Decide the ASB case review threshold" in html
    assert f"Application {reference}, received 20 November 2026 from the victim" in html
    assert "reporting 3 complaints" in html
    # What the hub's own records hold, beside what the applicant says.
    assert "The partners' records hold <strong>0 qualifying complaints</strong>" in html
    with app.app_context():
        assert (
            db.session.execute(
                select(func.count())
                .select_from(ConferenceDecision)
                .where(ConferenceDecision.conference_id == conference_id)
            ).scalar()
            == 0
        )


def test_the_threshold_is_decided_on_an_item_the_builder_did_not_link(ctx, world):
    """A case a coordinator added, or an urgent conference: the case's application awaiting
    its decision is found and linked when the chair decides."""
    s = build(world)
    review = case_reviews.open_review(
        hub(), source="application", received_on=date(2026, 11, 20), actor=s.chair, case=s.case
    )
    assert s.items["case"].case_review_id is None
    decide(s, "case", "review_threshold", met="no", reason="One complaint in six months")
    assert (review.status, s.items["case"].case_review_id) == ("not_met", review.id)


@time_machine.travel(TODAY, tick=False)
def test_after_a_clash_the_outcome_form_can_be_sent_again(app, client, world):
    with app.app_context():
        copeland = hub()
        case = make_case(copeland, "CPL-ACR-1", copeland.agencies[0])
        review = case_reviews.open_review(
            copeland, source="application", received_on=date(2026, 11, 2), actor=None, case=case
        )
        review.status, review.threshold_met = "review_due", True
        review.chair_name, review.chair_role = "Ann Other", "Head of community safety"
        db.session.commit()
        review_id, stale = review.id, review.version
        review.outcome = "Draft notes"  # someone else's save moves the version on
        db.session.commit()
    client.sign_in(world.email["coordinator"])
    path = f"/case-reviews/{review_id}"
    mine = {"outcome": "Mine", "held_on": "2026-11-20"}
    refused = client.submit(f"{path}/outcome", mine | {"version": stale}, path)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409 and 'href="#form"' in html and 'id="form"' in html
    assert ">Mine</textarea>" in html  # what was typed is kept
    current = re.search(r'name="version" value="(\d+)"', html).group(1)
    assert int(current) == stale + 1
    again = client.submit(f"{path}/outcome", mine | {"version": current}, path)
    assert again.status_code == 302
