"""Lessons shared between hubs: a hub manager's opt-in (off by default), reciprocal (a hub that
shares reads the others' shared lessons, and only sharing hubs read its own), published
lessons only, taken back at once when the hub stops sharing; searched with "include lessons
shared by other hubs", suggested on a case labelled with their hub, read-only from another
hub, and still usable (and counted as evidence) on a case of one's own."""

from types import SimpleNamespace

import pytest
from marshmallow import ValidationError
from sqlalchemy import select

from hub import permissions as perm
from hub.casework import evaluations
from hub.core.timeutil import utcnow
from hub.demo.lessons import LESSONS
from hub.extensions import db
from hub.lessons import library, suggestions
from hub.models import Agency, AuditEntry, Hub, Lesson, Referral, User
from hub.organisation import admin
from tests.conftest import count_queries
from tests.lessons import test_suggestions as suggested
from tests.support.factories import make_case, make_isa

NOISE = {
    "title": "Mediation settled night-time noise between neighbours",
    "problem": "Loud music after midnight in a block of flats",
    "worked": "Mediation with both households and a noise diary",
    "asb_category": "nuisance",
    "interventions": ["mediation"],
    "outcome": "reduced",
}


def lesson(hub, author, status="published", **values) -> Lesson:
    row = Lesson(
        hub_id=hub.id,
        status=status,
        author_id=author.id,
        author_agency_id=author.agency_id,
        confirmed=[],
        tags=[],
        published_at=utcnow() if status == "published" else None,
        **{**NOISE, **values},
    )
    row.search_text = library.search_words(row)
    db.session.add(row)
    db.session.flush()
    if status == "published":
        library.index(row)
    return row


@pytest.fixture
def two(ctx, world):
    return build(world)


def build(world):
    copeland = db.session.get(Hub, world.hub_id)
    allerdale = db.session.get(Hub, world.other_hub_id)
    people = {k: db.session.get(User, v) for k, v in world.user_id.items()}
    lent = lesson(allerdale, people["other_hub"], title="Allerdale's mediation for noise")
    draft = lesson(allerdale, people["other_hub"], status="draft", title="Allerdale draft noise")
    waiting = lesson(allerdale, people["other_hub"], status="in_review", title="Waiting noise")
    own = lesson(copeland, people["coordinator"], title="Copeland's mediation for noise")
    return SimpleNamespace(
        copeland=copeland,
        allerdale=allerdale,
        lent=lent,
        draft=draft,
        waiting=waiting,
        own=own,
        **people,
    )


def share(s, hub, on: bool):
    manager = s.hub_manager if hub.id == s.copeland.id else s.other_hub
    admin.set_lesson_sharing(hub, {"shares_lessons": "yes" if on else "no"}, actor=manager)


def test_off_by_default_reciprocal_and_taken_back_at_once(two):
    s = two
    reader = s.spoc  # Copeland only
    assert not s.copeland.shares_lessons and not s.allerdale.shares_lessons
    assert not perm.can_see_lesson(reader, s.lent)
    share(s, s.allerdale, True)
    # Allerdale shares, Copeland does not: Copeland reads nothing of Allerdale's...
    assert not perm.can_see_lesson(reader, s.lent)
    assert not perm.can_see_lesson(s.other_hub, s.own)
    share(s, s.copeland, True)
    # ...until it shares too; then each reads the other's published lessons.
    assert perm.can_see_lesson(reader, s.lent) and perm.can_see_lesson(s.other_hub, s.own)
    assert perm.is_shared_lesson_reader(reader, s.lent)
    # Drafts and lessons awaiting review never cross.
    assert not perm.can_see_lesson(reader, s.draft)
    assert not perm.can_see_lesson(reader, s.waiting)
    # Read-only: editing and review stay with its own hub.
    assert not perm.can_edit_lesson(reader, s.lent)
    assert not perm.can_review_lesson(s.hub_manager, s.waiting)
    share(s, s.allerdale, False)
    assert not perm.can_see_lesson(reader, s.lent)
    assert not perm.can_see_lesson(s.other_hub, s.own)  # it stopped sharing: it reads none


def test_the_setting_is_validated_and_audited_without_values(two):
    s = two
    with pytest.raises(ValidationError) as refused:
        admin.set_lesson_sharing(s.copeland, {"shares_lessons": "maybe"}, actor=s.hub_manager)
    assert list(refused.value.messages) == ["shares_lessons"]
    share(s, s.copeland, True)
    share(s, s.copeland, True)  # no change: no second entry
    entries = (
        db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "hub_lesson_sharing_changed")
        )
        .scalars()
        .all()
    )
    assert [(e.hub_id, e.details["after"]) for e in entries] == [(s.copeland.id, {"active": True})]


def ids(page) -> set[int]:
    return {lesson.id for lesson in page.lessons}


def test_search_includes_shared_lessons_only_when_asked_and_shared(two):
    s = two
    share(s, s.allerdale, True)
    # Copeland does not share: asking for shared lessons changes nothing.
    assert ids(library.search(s.spoc, s.copeland, {"q": "noise", "shared": True})) == {s.own.id}
    share(s, s.copeland, True)
    assert ids(library.search(s.spoc, s.copeland, {"q": "noise"})) == {s.own.id}
    page = library.search(s.spoc, s.copeland, {"q": "noise", "shared": True})
    assert ids(page) == {s.own.id, s.lent.id}  # never the draft or the lesson awaiting review
    assert page.origins == {s.lent.id: "Allerdale Focus Hub"}
    # Without words, the filters and orderings take the shared lessons in too.
    assert ids(library.search(s.spoc, s.copeland, {"shared": True, "order": "evidence"})) == {
        s.own.id,
        s.lent.id,
    }
    share(s, s.allerdale, False)
    assert ids(library.search(s.spoc, s.copeland, {"q": "noise", "shared": True})) == {s.own.id}
    entry = db.session.execute(
        select(AuditEntry)
        .where(AuditEntry.action == "lessons_searched")
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).scalar_one()
    assert entry.details["filters"]["scope"] == "shared" and "noise" not in str(entry.details)


def test_a_search_with_shared_lessons_costs_the_same_statements(two):
    s = two
    share(s, s.allerdale, True)
    share(s, s.copeland, True)

    def cost() -> int:
        with count_queries(db.session.connection()) as statements:
            page = library.search(s.spoc, s.copeland, {"q": "noise", "shared": True})
        assert page.origins
        return len(statements)

    cost()  # the reader's roles and hubs, loaded once per session
    few = cost()
    for n in range(12):
        lesson(s.allerdale, s.other_hub, title=f"Shared noise lesson {n}")
    assert cost() == few


def test_suggested_on_a_case_labelled_with_their_hub(two):
    s = two
    for spec in LESSONS[:8]:
        row = suggested._lesson(
            spec,
            hub_id=s.allerdale.id,
            status="published",
            author_id=s.other_hub.id,
            author_agency_id=s.other_hub.agency_id,
            confirmed=[],
            published_at=utcnow(),
        )
        db.session.add(row)
    db.session.flush()
    council, housing = (
        db.session.get(Agency, a) for a in (s.spoc.agency_id, s.case_worker.agency_id)
    )
    make_isa(s.copeland, [council, housing], ["identity", "incident"], reference="ISA-SH")
    case = make_case(s.copeland, "CPL-SH", council, housing, stage="active")
    db.session.add(
        Referral(
            hub_id=s.copeland.id,
            agency_id=council.id,
            user_id=s.referrer.id,
            status="triaged",
            asb_category="environmental",
            summary="Graffiti in the subway",
            description="Graffiti sprayed on the subway walls every week; tags and paint",
            case_id=case.id,
            category="incident",
            origin_agency_id=council.id,
        )
    )
    db.session.flush()
    suggestions._INDEXES.clear()
    own_only = suggestions.for_case(s.case_worker, case)
    assert all(x.lesson.hub_id == s.copeland.id and x.origin is None for x in own_only)
    share(s, s.allerdale, True)
    share(s, s.copeland, True)
    found = suggestions.for_case(s.case_worker, case)
    lent = [x for x in found if x.lesson.hub_id == s.allerdale.id]
    assert lent and all(x.origin == "Allerdale Focus Hub" for x in lent)
    assert all(x.lesson.status == "published" for x in found)
    # Used on this case (a case of Copeland's), while it is shared.
    chosen = lent[0].lesson
    evaluations.mark_lesson_used(case, chosen, actor=s.case_worker)
    assert next(x for x in suggestions.for_case(s.case_worker, case) if x.lesson == chosen).used
    share(s, s.allerdale, False)
    # Taken back at once: no longer suggested, and no longer marked as used anew.
    assert all(x.lesson.hub_id == s.copeland.id for x in suggestions.for_case(s.case_worker, case))
    other = suggested._lesson(
        LESSONS[9],
        hub_id=s.allerdale.id,
        status="published",
        author_id=s.other_hub.id,
        author_agency_id=s.other_hub.agency_id,
        confirmed=[],
        published_at=utcnow(),
    )
    db.session.add(other)
    db.session.flush()
    with pytest.raises(ValidationError):
        evaluations.mark_lesson_used(case, other, actor=s.case_worker)
    suggestions._INDEXES.clear()


def test_a_shared_lesson_used_and_said_to_help_counts_in_its_evidence(two):
    s = two
    share(s, s.allerdale, True)
    share(s, s.copeland, True)
    worker = s.case_worker
    council = db.session.get(Agency, s.hub_manager.agency_id)
    case = make_case(s.copeland, "CPL-SH2", worker.agency, council, stage="evaluation")
    case.lead_agency_id = worker.agency_id
    make_isa(s.copeland, [worker.agency, council], ["incident"], reference="ISA-SH2")
    use = evaluations.mark_lesson_used(case, s.lent, actor=worker)
    draft = evaluations.save_evaluation(
        case,
        {"outcome": "ceased", "summary": "s", "victim_not_asked": "n", f"helped_{use.id}": "yes"},
        actor=worker,
    )
    evaluations.sign_evaluation(case, {"version": draft.version}, actor=s.hub_manager)
    assert s.lent.cases_helped == 1
    top = library.search(s.spoc, s.copeland, {"shared": True, "order": "evidence"}).lessons[0]
    assert top.id == s.lent.id  # the case it helped puts it first


# -- through the pages --------------------------------------------------------------------------


def _built(app, world, *sharing):
    with app.app_context():
        s = build(world)
        for hub in sharing:
            share(s, getattr(s, hub), True)
        db.session.commit()
        return SimpleNamespace(lent=s.lent.id, own=s.own.id, draft=s.draft.id)


def test_a_shared_lesson_opens_read_only_from_another_hub(app, client, world):
    ids_ = _built(app, world, "allerdale", "copeland")
    client.sign_in(world.email["spoc"])
    page = client.get(f"/lessons/{ids_.lent}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "shared by Allerdale Focus Hub" in html and 'data-testid="lesson-origin"' in html
    assert "Edit the draft" not in html and "Publish in the library" not in html
    assert f"/hubs/{world.hub_slug}/lessons?shared=1" in html
    assert client.get(f"/lessons/{ids_.draft}").status_code == 404
    with app.app_context():
        actions = db.session.execute(
            select(AuditEntry.action, AuditEntry.target_id, AuditEntry.hub_id).where(
                AuditEntry.action.in_(["lesson_read_shared", "access_denied"])
            )
        ).all()
    assert ("lesson_read_shared", str(ids_.lent), world.other_hub_id) in [
        (a, str(t), h) for a, t, h in actions
    ]
    assert ("access_denied", str(ids_.draft)) in [(a, str(t)) for a, t, _ in actions]


def test_not_shared_is_refused_and_the_refusal_audited(app, client, world):
    ids_ = _built(app, world, "allerdale")  # Copeland does not share: it reads none
    client.sign_in(world.email["spoc"])
    assert client.get(f"/lessons/{ids_.lent}").status_code == 404
    with app.app_context():
        denied = db.session.execute(
            select(AuditEntry).where(
                AuditEntry.action == "access_denied", AuditEntry.target_id == str(ids_.lent)
            )
        ).scalar_one()
    assert denied.details["what"] == "policy:see_lesson"


def test_the_library_page_offers_and_labels_shared_lessons(app, client, world):
    _built(app, world, "allerdale", "copeland")
    client.sign_in(world.email["spoc"])
    url = f"/hubs/{world.hub_slug}/lessons?q=noise"
    plain = client.get(url).get_data(as_text=True)
    assert "Include lessons shared by other hubs" in plain
    assert "Allerdale&#39;s mediation" not in plain and "Shared by Allerdale" not in plain
    shared = client.get(url + "&shared=1").get_data(as_text=True)
    assert "Allerdale&#39;s mediation for noise" in shared
    assert "Shared by Allerdale Focus Hub" in shared and "Allerdale draft" not in shared
    bad = client.get(url + "&shared=yes")
    assert bad.status_code == 200 and "Tick the box" in bad.get_data(as_text=True)


def test_the_hub_manager_turns_sharing_on_and_off(app, client, world):
    client.sign_in(world.email["hub_manager"])
    url = f"/admin/hubs/{world.hub_slug}"
    page = client.get(url).get_data(as_text=True)
    assert "does not share" in page and "Sharing is both ways" in page
    done = client.submit(url + "/lessons-sharing", {"shares_lessons": "yes"}, token_from=url)
    assert done.status_code == 302
    assert "<strong>shares</strong>" in client.get(url).get_data(as_text=True)
    refused = client.submit(url + "/lessons-sharing", {}, token_from=url)
    assert refused.status_code == 400
    assert "Choose whether the hub shares" in refused.get_data(as_text=True)
    client.submit(url + "/lessons-sharing", {"shares_lessons": "no"}, token_from=url)
    with app.app_context():
        assert not db.session.get(Hub, world.hub_id).shares_lessons
