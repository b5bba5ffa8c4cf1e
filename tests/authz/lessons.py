"""The lessons-learned library.

The rule (hub.permissions, "the lessons-learned library"): a published lesson holds nothing
personal, so everyone whose agency is in the hub reads the library and its lessons; people
whose role works cases (case worker, coordinator, SPoC, hub manager) write lessons. A draft is
its author's alone; a lesson awaiting review is also the hub's coordinators' and managers', who
publish it or return it. Drawing a lesson from a case's signed evaluation needs the right to
read the case's working records. Marking a lesson used on a case is a write to the case.
"""

from datetime import timedelta

from hub.core.timeutil import utcnow
from hub.extensions import db
from hub.models import AgendaItem, CaseReview, Conference, ConferenceDecision, Evaluation, Lesson
from tests.authz import Route, expect
from tests.support.factories import make_case

IN_HUB = expect(200, anonymous=302, other_hub=404)
AUTHOR = expect(404, anonymous=302, member=200)
WRITERS = ("member", "non_member", "expired_isa", "lacks_category", "coordinator", "hub_manager")


def writers(status: int) -> dict[str, int]:
    return expect(404, anonymous=302, **{p: status for p in WRITERS})


def setup(m) -> dict:
    """A case (MTX-L: council, police, housing) with a signed evaluation; a published lesson by
    the coordinator; a draft and a lesson awaiting review, both by the member."""
    a, u = m.agencies, m.users
    case = make_case(m.hub, "MTX-L", a["council"], a["police"], a["housing"], stage="closed")
    now = utcnow()
    db.session.add(
        Evaluation(
            case_id=case.id,
            outcome="reduced",
            summary="Complaints fell",
            victim_satisfaction=4,
            recorded_by_id=u["member"].id,
            signed_at=now,
            signed_by_id=u["coordinator"].id,
        )
    )

    def lesson(author, status, title):
        row = Lesson(
            hub_id=m.hub.id,
            status=status,
            title=title,
            problem="Noise from a flat late at night",
            worked="Mediation before enforcement",
            interventions=["mediation"],
            tags=["noise"],
            confirmed=[],
            author_id=author.id,
            author_agency_id=author.agency_id,
            published_at=now if status == "published" else None,
        )
        db.session.add(row)
        return row

    # Held weeks ago, so it stands in no other conference's way.
    conference = Conference(hub_id=m.hub.id, starts_at=now - timedelta(days=21), status="held")
    db.session.add(conference)
    db.session.flush()
    item = AgendaItem(conference_id=conference.id, reason="review_due", position=1, case_id=case.id)
    db.session.add(item)
    db.session.flush()
    decision = ConferenceDecision(
        conference_id=conference.id,
        item_id=item.id,
        case_id=case.id,
        kind="next_review",
        summary="Mediation agreed",
        decided_by_id=u["coordinator"].id,
    )
    review = CaseReview(
        hub_id=m.hub.id,
        reference="MTX-CR-L",
        case_id=case.id,
        source="conference",
        received_on=now.date(),
        status="completed",
        outcome="Share the diaries weekly",
    )
    db.session.add_all([decision, review])
    published = lesson(u["coordinator"], "published", "Mediation first")
    draft = lesson(u["member"], "draft", "A draft")
    waiting = lesson(u["member"], "in_review", "Awaiting review")
    db.session.flush()
    return {
        "lessons_case_id": case.id,
        "lessons_decision_id": decision.id,
        "lessons_review_id": review.id,
        "lesson_published_id": published.id,
        "lesson_draft_id": draft.id,
        "lesson_draft_version": draft.version,
        "lesson_waiting_id": waiting.id,
        "lesson_waiting_version": waiting.version,
    }


LESSON = {
    "title": "Letters from the landlord before a warning",
    "problem": "Noise from a flat at night",
    "worked": "A joint visit by housing and police",
    "asb_category": "nuisance",
}

ROUTES = [
    Route("lessons.home", "GET", "/lessons", expect(302)),
    Route("lessons.library_page", "GET", "/hubs/{hub_slug}/lessons", IN_HUB),
    Route(
        "lessons.library_page",
        "GET",
        "/hubs/{other_hub_slug}/lessons",
        expect(404, anonymous=302, other_hub=200),
    ),
    Route("lessons.new", "GET", "/hubs/{hub_slug}/lessons/new", writers(200)),
    Route(
        "lessons.new",
        "GET",
        "/hubs/{hub_slug}/lessons/new?source=evaluation&case_id={lessons_case_id}",
        # the case's members whose agreement covers its working records
        expect(404, anonymous=302, member=200, coordinator=200, hub_manager=200),
    ),
    Route(
        "lessons.new",
        "GET",
        "/hubs/{hub_slug}/lessons/new?source=decision&record_id={lessons_decision_id}",
        expect(404, anonymous=302, member=200, coordinator=200, hub_manager=200),
    ),
    Route(
        "lessons.new",
        "GET",
        "/hubs/{hub_slug}/lessons/new?source=case_review&record_id={lessons_review_id}",
        # the review's keepers (coordinators, hub managers) and its case's readers
        expect(404, anonymous=302, member=200, coordinator=200, hub_manager=200),
    ),
    Route("lessons.new", "POST", "/hubs/{hub_slug}/lessons/new", writers(302), data=LESSON),
    Route("lessons.show", "GET", "/lessons/{lesson_published_id}", IN_HUB),
    Route("lessons.show", "GET", "/lessons/{lesson_draft_id}", AUTHOR),
    Route(
        "lessons.show",
        "GET",
        "/lessons/{lesson_waiting_id}",
        expect(404, anonymous=302, member=200, coordinator=200, hub_manager=200),
    ),
    Route("lessons.edit", "GET", "/lessons/{lesson_draft_id}/edit", AUTHOR),
    Route(
        "lessons.edit",
        "POST",
        "/lessons/{lesson_draft_id}/edit",
        expect(404, anonymous=302, member=302),
        data={**LESSON, "version": "{lesson_draft_version}"},
    ),
    Route(
        "lessons.review",
        "POST",
        "/lessons/{lesson_waiting_id}/review",
        expect(404, anonymous=302, coordinator=302, hub_manager=302),
        data={"decision": "publish", "version": "{lesson_waiting_version}"},
    ),
    Route(
        "lessons.mark_used",
        "POST",
        "/cases/{case_id}/lessons/{lesson_published_id}/used",
        expect(
            404,
            anonymous=302,
            member=302,
            lacks_category=302,  # told why (its agreement does not cover working records)
            coordinator=302,
            hub_manager=302,
        ),
    ),
]
