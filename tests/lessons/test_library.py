"""Lessons: drafted from a signed evaluation or on their own, checked for personal data before
anyone but the author sees them, reviewed, published, searched (SQLite FTS5 / PostgreSQL
full-text search behind one function) and audited without the words searched for."""

from datetime import date
from types import SimpleNamespace

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from hub import audit
from hub import permissions as perm
from hub.casework import evaluations
from hub.extensions import db
from hub.lessons import drafting, library
from hub.models import (
    Agency,
    AuditEntry,
    Evaluation,
    Hub,
    Referral,
    ReferralPerson,
    User,
)
from tests.support.factories import make_case, make_isa


@pytest.fixture
def lib(ctx, world):
    return build(world)


def build(world):
    hub = db.session.get(Hub, world.hub_id)
    council, police, housing = (
        db.session.get(Agency, world.agency_ids[k]) for k in ("council", "police", "housing")
    )
    make_isa(hub, [council, police, housing], ["identity", "incident"], reference="ISA-LL")
    case = make_case(hub, "CPL-LL", council, housing, stage="closed")
    people = {k: db.session.get(User, v) for k, v in world.user_id.items()}
    referral = Referral(
        hub_id=hub.id,
        agency_id=council.id,
        user_id=people["referrer"].id,
        status="triaged",
        asb_category="nuisance",
        case_id=case.id,
        category="incident",
        origin_agency_id=council.id,
    )
    db.session.add(referral)
    db.session.flush()
    db.session.add(
        ReferralPerson(
            referral_id=referral.id,
            case_id=case.id,
            role="victim",
            name="Margaret Thwaite",
            name_key="margaret thwaite",
            category="identity",
            origin_agency_id=council.id,
        )
    )
    evaluation = Evaluation(
        case_id=case.id,
        outcome="reduced",
        summary="Complaints fell",
        worked={"mediation": "worked"},
        victim_satisfaction=4,
        recorded_by_id=people["case_worker"].id,
        signed_at=referral.created_at,
        signed_by_id=people["hub_manager"].id,
    )
    db.session.add(evaluation)
    db.session.flush()
    return SimpleNamespace(hub=hub, case=case, evaluation=evaluation, **people)


def lesson_form(**changes) -> dict:
    data = {
        "title": "Mediation before enforcement for noise in flats",
        "problem": "Late-night music from one flat in a block, reported by the neighbours below",
        "context": "A housing association block; the noise at weekends after midnight",
        "people_roles": "The tenant, two neighbouring households, the housing officer",
        "tried": "Warning letter, then mediation",
        "worked": "Mediation with both households present; a noise diary kept by the neighbours",
        "not_worked": "The warning letter alone",
        "asb_category": "nuisance",
        "place_type": "flats",
        "outcome": "reduced",
        "interventions": ["warning_letter", "mediation"],
        "tags": "noise, Night-time, flats",
    }
    data.update(changes)
    return data


def publish(s, lesson):
    return drafting.review(
        lesson, {"decision": "publish", "version": lesson.version}, actor=s.coordinator
    )


def test_drawn_from_an_evaluation_prefilled_with_codes_only(lib):
    s = lib
    start = drafting.prefill(drafting.source_evaluation(s.case_worker, s.case))
    assert start == {
        "outcome": "reduced",
        "interventions": ["mediation"],
        "asb_category": "nuisance",
    }
    # The police are not a member of the case: its evaluation is not theirs to draw on.
    assert drafting.source_evaluation(s.coordinator, s.case) is None
    lesson = drafting.create_draft(
        s.hub, lesson_form(), actor=s.case_worker, source="evaluation", case=s.case
    )
    assert (lesson.source, lesson.source_case_id, lesson.source_record_id) == (
        "evaluation",
        s.case.id,
        s.evaluation.id,
    )
    assert lesson.status == "draft" and lesson.tags == ["noise", "night-time", "flats"]
    with pytest.raises(ValidationError):
        drafting.create_draft(
            s.hub, lesson_form(), actor=s.coordinator, source="evaluation", case=s.case
        )


def test_a_name_from_the_case_stops_it_until_removed(lib):
    s = lib
    named = lesson_form(worked="Mrs Thwaite kept a noise diary; mediation worked")
    lesson = drafting.create_draft(
        s.hub, named, actor=s.case_worker, source="evaluation", case=s.case
    )
    with pytest.raises(ValidationError) as refused:
        drafting.save_draft(
            lesson, {**named, "version": lesson.version, "submit": "1"}, actor=s.case_worker
        )
    assert list(refused.value.messages) == ["worked"]
    assert (
        "“Thwaite” looks like the name of a person on the case"
        in refused.value.messages["worked"][0]
    )
    drafting.save_draft(
        lesson, {**lesson_form(), "version": lesson.version, "submit": "1"}, actor=s.case_worker
    )
    assert lesson.status == "in_review"


@pytest.mark.parametrize(
    "field, text",
    [
        ("worked", "The caretaker on 07700 900123 kept the diary"),
        ("context", "Around CA28 7SJ"),
        ("problem", "A boy born 03/04/2011 was involved"),
        ("tried", "Emails to the tenant at tenant@example.org"),
        ("context", "The tenant at 14 Mill Street"),
    ],
)
def test_each_kind_refuses_submission(lib, field, text):
    s = lib
    data = lesson_form(**{field: text}, submit="1")
    with pytest.raises(ValidationError) as refused:
        drafting.create_draft(s.hub, data, actor=s.case_worker)
    assert list(refused.value.messages) == [field]


def test_a_false_alarm_passes_once_confirmed(lib):
    s = lib
    data = lesson_form(context="A cul-de-sac like Mill Lane with one way in and out")
    lesson = drafting.create_draft(s.hub, data, actor=s.case_worker)
    found = drafting.findings_of(lesson)
    assert [(f.kind, f.text) for f in found] == [("address", "Mill Lane")]
    with pytest.raises(ValidationError):
        drafting.save_draft(
            lesson, {**data, "version": lesson.version, "submit": "1"}, actor=s.case_worker
        )
    drafting.save_draft(
        lesson,
        {**data, "version": lesson.version, "submit": "1", "confirm": [found[0].key]},
        actor=s.case_worker,
    )
    assert lesson.status == "in_review" and lesson.confirmed == [found[0].key]
    publish(s, lesson)
    assert lesson.status == "published"


def test_drafts_are_the_authors_and_review_is_a_coordinators(lib):
    s = lib
    lesson = drafting.create_draft(s.hub, lesson_form(), actor=s.case_worker)
    assert perm.can_see_lesson(s.case_worker, lesson)
    assert not perm.can_see_lesson(s.coordinator, lesson)  # a draft: its author's alone
    drafting.save_draft(
        lesson, {**lesson_form(), "version": lesson.version, "submit": "1"}, actor=s.case_worker
    )
    assert perm.can_see_lesson(s.coordinator, lesson)
    assert not perm.can_see_lesson(s.spoc, lesson)
    with pytest.raises(ValidationError):
        drafting.review(lesson, {"decision": "publish", "version": lesson.version}, actor=s.spoc)
    drafting.review(lesson, {"decision": "return", "version": lesson.version}, actor=s.coordinator)
    assert lesson.status == "draft"
    drafting.save_draft(
        lesson, {**lesson_form(), "version": lesson.version, "submit": "1"}, actor=s.case_worker
    )
    publish(s, lesson)
    assert perm.can_see_lesson(s.spoc, lesson) and perm.can_see_lesson(s.analyst, lesson)
    other = db.session.get(User, s.other_hub.id)
    assert not perm.can_see_lesson(other, lesson)
    assert lesson.cases_helped == 0  # written on its own


def test_an_author_does_not_review_their_own(lib):
    s = lib
    lesson = drafting.create_draft(s.hub, lesson_form(submit="1"), actor=s.coordinator)
    with pytest.raises(ValidationError) as refused:
        publish(s, lesson)
    assert "other than its author" in refused.value.messages["form"][0]


def _published(s, n: int, **changes):
    lesson = drafting.create_draft(s.hub, lesson_form(submit="1", **changes), actor=s.case_worker)
    return publish(s, lesson)


def test_search_filters_and_orders(lib):
    s = lib
    noise = _published(s, 1)
    graffiti = _published(
        s,
        2,
        title="Clean-up days for graffiti at the underpass",
        problem="Tags sprayed weekly on the subway walls",
        worked="Community payback clean-ups and a mural with the youth club",
        not_worked="",
        tried="",
        context="",
        asb_category="environmental",
        place_type="transport",
        outcome="ceased",
        interventions=["diversion"],
        tags="graffiti, young people",
    )
    closure = _published(
        s,
        3,
        title="A closure order ended drug-related visitors to a flat",
        problem="Visitors at all hours, needles on the stairs",
        worked="Closure notice then closure order with support for the tenant",
        tried="Visits and letters",
        not_worked="",
        context="",
        interventions=["closure_notice", "closure_order"],
        outcome="not_achieved",
        tags="drugs",
    )

    def ids(**filters):
        return [lesson.id for lesson in library.search(s.spoc, s.hub, filters).lessons]

    assert ids(q="mediation") == [noise.id]
    assert ids(q="MURAL youth") == [graffiti.id]  # every word, any case
    assert ids(q="spraying") == [graffiti.id]  # stemmed: "sprayed"
    assert ids(q="closure order") == [closure.id]  # the intervention's name is searched too
    assert ids(q='mural" OR youth*') == [graffiti.id]  # typed syntax is searched for, not run
    assert ids(q="nothing-like-this") == []
    assert set(ids(category="nuisance")) == {noise.id, closure.id}
    assert ids(intervention="diversion") == [graffiti.id]
    assert ids(outcome="ceased") == [graffiti.id]
    assert ids(tag="Young People") == [graffiti.id]
    # Evidence: an achieved outcome first (ceased and reduced), then more cases.
    closure.cases_helped = 5
    assert ids(order="evidence")[-1] == closure.id
    assert ids(order="newest")[0] == closure.id


def test_a_search_is_audited_without_its_words(lib):
    s = lib
    _published(s, 1)
    page = library.search(s.spoc, s.hub, {"q": "mediation diary", "tag": "noise"})
    assert page.total == 1
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "lessons_searched")
    ).scalar_one()
    assert entry.details["search_digest"] == audit.digest("mediation diary", "noise")
    assert "mediation" not in str(entry.details) and entry.details["count"] == 1


def test_search_sees_only_this_hubs_published_lessons(lib, world):
    s = lib
    _published(s, 1)
    drafting.create_draft(s.hub, lesson_form(title="Mediation draft"), actor=s.case_worker)
    assert library.search(s.spoc, s.hub, {"q": "mediation"}).total == 1
    other_hub = db.session.get(Hub, world.other_hub_id)
    other = db.session.get(User, s.other_hub.id)
    assert library.search(other, other_hub, {"q": "mediation"}).total == 0


def test_a_lesson_used_on_a_case_and_said_to_help_counts_it(lib):
    s = lib
    lesson = _published(s, 1)
    drawn = drafting.create_draft(
        s.hub, lesson_form(submit="1"), actor=s.case_worker, source="evaluation", case=s.case
    )
    assert publish(s, drawn).cases_helped == 1  # the case it came from
    council = db.session.get(Agency, s.hub_manager.agency_id)
    later = make_case(s.hub, "CPL-LL2", s.case_worker.agency, council, stage="evaluation")
    later.lead_agency_id = s.case_worker.agency_id
    make_isa(s.hub, [s.case_worker.agency], ["incident"], reference="ISA-LL2")
    use = evaluations.mark_lesson_used(later, lesson, actor=s.case_worker)
    assert evaluations.mark_lesson_used(later, lesson, actor=s.case_worker).id == use.id
    draft = evaluations.save_evaluation(
        later,
        {"outcome": "ceased", "summary": "s", "victim_not_asked": "n", f"helped_{use.id}": "yes"},
        actor=s.case_worker,
    )
    assert lesson.cases_helped == 0  # not until the evaluation is signed
    evaluations.sign_evaluation(later, {"version": draft.version}, actor=s.hub_manager)
    assert lesson.cases_helped == 1 and use.helped == "yes"


def test_the_library_page(app, client, world):
    with app.app_context():
        s = build(world)
        _published(s, 1)
        db.session.commit()
    client.sign_in(world.email["analyst"])  # reads no case data, reads the library
    page = client.get(f"/hubs/{world.hub_slug}/lessons?q=mediation").get_data(as_text=True)
    assert "Mediation before enforcement for noise in flats" in page
    assert "1 lesson matching your search" in page
    bad = client.get(f"/hubs/{world.hub_slug}/lessons?outcome=nonsense")
    assert bad.status_code == 200 and "Choose an outcome" in bad.get_data(as_text=True)


def test_the_form_shows_each_finding_with_its_confirmation(app, client, world):
    with app.app_context():
        build(world)
        db.session.commit()
    client.sign_in(world.email["case_worker"])
    url = f"/hubs/{world.hub_slug}/lessons/new"
    refused = client.submit(url, lesson_form(context="Near Mill Lane", submit="1"), token_from=url)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert 'href="#context"' in html, html and "“Mill Lane” looks like a street address" in html
    assert 'name="confirm"' in html
    key = __import__("re").search(r'name="confirm" type="checkbox" value="([0-9a-f]{20})"', html)[1]
    sent = client.submit(
        url, {**lesson_form(context="Near Mill Lane", submit="1"), "confirm": key}, token_from=url
    )
    assert sent.status_code == 302


def test_no_lesson_draft_words_in_the_audit(lib):
    """The audit content scan after every test covers lessons' columns (PERSONAL)."""
    s = lib
    drafting.create_draft(
        s.hub, lesson_form(title="A title only the lesson holds"), actor=s.case_worker
    )
    assert date.today()  # the scan runs in the fixture's teardown


def test_drawn_from_a_decision_or_a_case_review_by_those_who_may_read_them(lib):
    from hub.core.timeutil import utcnow
    from hub.models import AgendaItem, CaseReview, Conference, ConferenceDecision

    s = lib
    conference = Conference(hub_id=s.hub.id, starts_at=utcnow())
    db.session.add(conference)
    db.session.flush()
    item = AgendaItem(
        conference_id=conference.id, reason="review_due", position=1, case_id=s.case.id
    )
    db.session.add(item)
    db.session.flush()
    decision = ConferenceDecision(
        conference_id=conference.id,
        item_id=item.id,
        case_id=s.case.id,
        kind="next_review",
        summary="Mediation agreed",
        decided_by_id=s.hub_manager.id,
    )
    review = CaseReview(
        hub_id=s.hub.id,
        reference="CR-LL-1",
        case_id=s.case.id,
        source="conference",
        received_on=date(2026, 11, 1),
        status="completed",
        outcome="Agencies to share diaries weekly",
    )
    db.session.add_all([decision, review])
    db.session.flush()
    lesson = drafting.create_draft(
        s.hub, lesson_form(), actor=s.case_worker, source="decision", record_id=decision.id
    )
    assert (lesson.source, lesson.source_case_id) == ("decision", s.case.id)
    # The police are not a member of the case: its decisions are not theirs to draw on.
    assert drafting.source_of(s.coordinator, s.hub, "decision", record_id=decision.id) is None
    # The review's keepers (a coordinator among them) may draw on its recommendations.
    drawn = drafting.create_draft(
        s.hub, lesson_form(), actor=s.coordinator, source="case_review", record_id=review.id
    )
    assert (drawn.source, drawn.source_record_id) == ("case_review", review.id)
    assert drafting.source_of(s.analyst, s.hub, "case_review", record_id=review.id) is None
    # Its people's names are what the check looks for, whoever the source.
    with pytest.raises(ValidationError) as refused:
        drafting.save_draft(
            lesson,
            {
                **lesson_form(worked="Margaret kept a diary"),
                "version": lesson.version,
                "submit": "1",
            },
            actor=s.case_worker,
        )
    assert "Margaret" in refused.value.messages["worked"][0]
