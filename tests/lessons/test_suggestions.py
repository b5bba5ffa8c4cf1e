"""Suggested lessons: the method chosen by measurement (hit@5 over twenty cases a practitioner
labelled against the demo's thirty-one lessons), why each is suggested, and a cost in
statements that does not grow with the library."""

from types import SimpleNamespace

import pytest

from hub.casework import plans
from hub.core.timeutil import utcnow
from hub.demo.lessons import LESSONS
from hub.extensions import db
from hub.lessons import library, ranking, suggestions
from hub.models import Agency, Hub, Lesson, Referral, User
from tests.conftest import count_queries
from tests.lessons.suggestion_cases import CASES
from tests.support.factories import make_case, make_isa

# Measured on this data (see the test's printout); the chosen method must not fall below its
# own figure less a margin.
MEASURED = {"bm25": 1.0, "tfidf": 1.0}
MARGIN = 0.05


def _lesson(spec: dict, **values) -> Lesson:
    lesson = Lesson(
        title=spec["title"],
        problem=spec["problem"],
        context=spec["context"],
        people_roles=spec["people_roles"],
        tried=spec["tried"],
        worked=spec["worked"],
        not_worked=spec["not_worked"],
        asb_category=spec["category"],
        place_type=spec["place"],
        interventions=spec["interventions"],
        outcome=spec["outcome"],
        tags=spec["tags"],
        **values,
    )
    lesson.search_text = library.search_words(lesson)
    return lesson


def measure(method: str) -> dict:
    docs = {i: _lesson(spec) for i, spec in enumerate(LESSONS)}
    index = suggestions.Index(
        stamp=(),
        method=ranking.METHODS[method]({i: d.search_text for i, d in docs.items()}),
        meta={i: (d.asb_category, frozenset(d.interventions)) for i, d in docs.items()},
    )
    hits5 = hits1 = reciprocal = 0.0
    for case in CASES:
        wanted = suggestions.Profile(
            case["text"], case["category"], frozenset(case["interventions"])
        )
        keys = [LESSONS[i]["key"] for i, _ in suggestions.rank(index, wanted, 10)]
        hits5 += any(k in keys[:5] for k in case["relevant"])
        hits1 += keys[0] in case["relevant"]
        first = next((n for n, k in enumerate(keys, 1) if k in case["relevant"]), None)
        reciprocal += 1 / first if first else 0
    n = len(CASES)
    return {"hit@5": hits5 / n, "hit@1": hits1 / n, "mrr": reciprocal / n}


def test_the_labelled_data_is_as_the_issue_asks():
    assert len(LESSONS) >= 30 and len(CASES) >= 20
    keys = {spec["key"] for spec in LESSONS}
    assert all(set(case["relevant"]) <= keys for case in CASES)


def test_hit_at_5_for_each_method(capsys):
    results = {method: measure(method) for method in ranking.METHODS}
    with capsys.disabled():
        for method, figures in results.items():
            print(
                f"\n{ranking.METHODS[method].name}: hit@5 {figures['hit@5']:.2f}, "
                f"hit@1 {figures['hit@1']:.2f}, MRR {figures['mrr']:.2f} "
                f"({len(CASES)} cases, {len(LESSONS)} lessons)"
            )
    chosen = suggestions.METHOD
    assert results[chosen]["hit@5"] >= MEASURED[chosen] - MARGIN
    # The choice stands only while no method tried does better.
    assert results[chosen]["hit@5"] >= max(r["hit@5"] for r in results.values())


def test_the_ranking_needs_the_words_not_just_the_category():
    """Without its words a case gets no better than its category: the text carries it."""
    docs = {i: _lesson(spec) for i, spec in enumerate(LESSONS)}
    index = suggestions.Index(
        stamp=(),
        method=ranking.Bm25({i: d.search_text for i, d in docs.items()}),
        meta={i: (d.asb_category, frozenset(d.interventions)) for i, d in docs.items()},
    )
    mural = suggestions.rank(index, suggestions.Profile("graffiti sprayed tags", None, frozenset()))
    assert LESSONS[mural[0][0]]["key"] == "graffiti_underpass_mural"
    assert suggestions.rank(index, suggestions.Profile("", None, frozenset())) == []


# -- in the hub ---------------------------------------------------------------------------------


@pytest.fixture
def hubcase(ctx, world):
    return build(world)


def build(world, lessons: int = len(LESSONS)):
    hub = db.session.get(Hub, world.hub_id)
    council, housing = (db.session.get(Agency, world.agency_ids[k]) for k in ("council", "housing"))
    make_isa(hub, [council, housing], ["identity", "incident"], reference="ISA-SG")
    people = {k: db.session.get(User, v) for k, v in world.user_id.items()}
    publish(hub, people["coordinator"], lessons)
    case = make_case(hub, "CPL-SG", council, housing, stage="active")
    db.session.add(
        Referral(
            hub_id=hub.id,
            agency_id=council.id,
            user_id=people["referrer"].id,
            status="triaged",
            asb_category="environmental",
            summary="Graffiti in the subway",
            description="Spray paint tags on the subway walls every week; some offensive.",
            case_id=case.id,
            category="incident",
            origin_agency_id=council.id,
        )
    )
    db.session.flush()
    return SimpleNamespace(hub=hub, case=case, **people)


def publish(hub, author, n: int) -> list[Lesson]:
    rows = []
    for i in range(n):
        spec = LESSONS[i % len(LESSONS)]
        lesson = _lesson(
            spec,
            hub_id=hub.id,
            status="published",
            author_id=author.id,
            author_agency_id=author.agency_id,
            confirmed=[],
            published_at=utcnow(),
        )
        db.session.add(lesson)
        rows.append(lesson)
    db.session.flush()
    for lesson in rows:
        library.index(lesson)
    return rows


def test_suggested_with_why(hubcase):
    s = hubcase
    found = suggestions.for_case(s.case_worker, s.case)
    assert len(found) == 5
    assert found[0].lesson.title.startswith("A mural painted with young people")
    assert "same category (environmental)" in found[0].why
    assert "“graffiti”" in found[0].why and not found[0].used
    # A user who may not read the referral (police: not a member) matches nothing on its
    # words; the plan's words count for those who read the plan.
    assert suggestions.profile(s.coordinator, s.case).text == ""
    plans.save_plan(
        s.case,
        {"objective": "Quiet nights for the flats", "success_measures": "x", "version": "0"},
        actor=s.case_worker,
    )
    assert "Quiet nights" in suggestions.profile(s.case_worker, s.case).text


def test_the_cost_does_not_grow_with_the_library(app, world):
    def cost(n: int) -> int:
        with app.test_request_context():
            s = build(world, n)
            suggestions.for_case(s.case_worker, s.case)  # builds the index once
            with count_queries(db.session.connection()) as statements:
                found = suggestions.for_case(s.case_worker, s.case)
            assert found
            db.session.rollback()
            suggestions._INDEXES.clear()
            return len(statements)

    assert cost(6) == cost(60)
