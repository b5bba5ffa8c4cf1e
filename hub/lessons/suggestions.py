"""Lessons suggested while planning: the published lessons of the hub most like a case (its
referrals' words that the user may read, its plan, its category, the interventions on it),
each with why it was suggested. Where the hub shares its lessons, the pool is every sharing
hub's published lessons (hub.permissions.lesson_hubs), and a suggestion from another hub says
which.

The method is BM25 (hub.lessons.ranking), chosen by measurement: see
tests/lessons/test_suggestion_quality.py for hit@5 of each method tried, bench/lessons.py for
the time at 10,000 lessons. The index is built once per hub from its published lessons and
kept in the process until a lesson is published or a hub starts or stops sharing (a stamp
query of one row per hub notices), so a suggestion costs the same few statements however
large the library grows."""

import heapq
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from types import SimpleNamespace

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, select

from hub import permissions as perm
from hub.casework import evaluations
from hub.casework.plans import plan_of
from hub.core.database import read_values
from hub.extensions import db
from hub.lessons import ranking
from hub.models import Case, Hub, Lesson, LessonStatus, LessonUse, Referral
from hub.models.casework import INTERVENTION_TYPES

METHOD = "bm25"
LIMIT = 5
CATEGORY_WEIGHT = 0.15  # added to the text score (scaled 0..1) when the category matches
INTERVENTION_WEIGHT = 0.1  # when the lesson used an intervention the case has used
CANDIDATES = 100


@dataclass
class Index:
    stamp: tuple
    method: object
    meta: dict[int, tuple[str | None, frozenset[str]]] = field(default_factory=dict)
    by_category: dict[str, set[int]] = field(default_factory=dict)
    by_intervention: dict[str, set[int]] = field(default_factory=dict)

    def __post_init__(self):
        self._file(self.meta)

    def _file(self, meta) -> None:
        for lesson_id, (category, kinds) in meta.items():
            if category:
                self.by_category.setdefault(category, set()).add(lesson_id)
            for kind in kinds:
                self.by_intervention.setdefault(kind, set()).add(lesson_id)

    def add(self, stamp: tuple, rows) -> None:
        """Lessons published since the index was built: added, not rebuilt."""
        self.method.add({r.id: r.search_text for r in rows})
        meta = {r.id: (r.asb_category, frozenset(r.interventions or ())) for r in rows}
        self.meta.update(meta)
        self._file(meta)
        self.stamp = stamp


# By pool: a hub's id for its own lessons, SHARED for the lessons of every hub that shares.
_INDEXES: dict[object, Index] = {}
_LOCK = threading.Lock()
SHARED = "shared"


def _pool(hub: Hub):
    """Which published lessons a case of this hub is matched against (its key, its SQL)."""
    key = SHARED if hub.shares_lessons else hub.id
    return key, _scope(hub)


def _scope(hub) -> ColumnElement[bool]:
    return and_(Lesson.status == LessonStatus.PUBLISHED.value, perm.lesson_hubs(hub, shared=True))


def _stamp(hub: Hub) -> tuple:
    """What the index depends on: per hub in the pool, its published lessons' number and
    latest publication (a published lesson never changes or leaves; a hub that stops sharing
    leaves the pool). One row per hub."""
    rows = read_values(_stamp_query(hub.shares_lessons), {"hub_id": hub.id}).all()
    return tuple(tuple(row) for row in rows)


@cache
def _stamp_query(sharing: bool) -> Select:
    """_stamp's statement, built once for a hub that shares its lessons and once for one that
    does not (every plan tab asks it), with the hub's id bound."""
    hub = SimpleNamespace(id=bindparam("hub_id"), shares_lessons=sharing)
    return (
        select(Lesson.hub_id, func.count(Lesson.id), func.max(Lesson.published_at))
        .where(_scope(hub))
        .group_by(Lesson.hub_id)
        .order_by(Lesson.hub_id)
    )


def _published(scope, since=None):
    query = select(Lesson.id, Lesson.search_text, Lesson.asb_category, Lesson.interventions).where(
        scope
    )
    if since is not None:
        query = query.where(Lesson.published_at > since)
    return db.session.execute(query).all()


def index_for(hub: Hub) -> Index:
    key, scope = _pool(hub)
    stamp = _stamp(hub)
    found = _INDEXES.get(key)
    if found is not None and found.stamp == stamp:
        return found
    with _LOCK:
        same_hubs = found is not None and [r[0] for r in found.stamp] == [r[0] for r in stamp]
        if same_hubs and found.stamp and getattr(found.method, "incremental", False):
            newer = _published(scope, since=max(r[2] for r in found.stamp))
            if len(found.meta) + len(newer) == sum(r[1] for r in stamp):
                found.add(stamp, newer)
                return found
        rows = _published(scope)
        built = Index(
            stamp=stamp,
            method=ranking.METHODS[METHOD]({r.id: r.search_text for r in rows}),
            meta={r.id: (r.asb_category, frozenset(r.interventions or ())) for r in rows},
        )
        _INDEXES[key] = built
        return built


@dataclass
class Profile:
    """What a case is about, for matching only: never stored, shown or logged."""

    text: str
    category: str | None
    interventions: frozenset[str]


def profile(user, case: Case) -> Profile:
    """The case's words the user may read (its referrals through the section 115 rule, its
    plan, a working record they read on the Plan tab), its category and its interventions.
    Three statements."""
    referrals = db.session.execute(
        perm.visible_records(user, Referral, case.hub)
        .where(Referral.case_id == case.id)
        .with_only_columns(Referral.summary, Referral.description, Referral.asb_category)
    ).all()
    plan = plan_of(case) if perm.can_read_working_records(user, case) else None
    kinds = frozenset(evaluations.intervention_types(case))
    parts = [f"{r.summary or ''} {r.description or ''}" for r in referrals]
    if plan is not None:
        parts += [plan.objective, plan.scanning, plan.analysis_location, plan.response]
    parts += [INTERVENTION_TYPES[k][0] for k in kinds]
    categories = [r.asb_category for r in referrals if r.asb_category]
    category = max(set(categories), key=categories.count) if categories else None
    return Profile(" ".join(p for p in parts if p), category, kinds)


def rank(index: Index, wanted: Profile, limit: int = LIMIT) -> list[tuple[int, float]]:
    """The best `limit` lessons for a profile: the text score scaled to the best match, plus
    the category and shared interventions. Without words in common a lesson is ranked on
    those alone only when the case has no words that match any lesson."""
    scores = index.method.scores(wanted.text) if wanted.text else {}
    # The best CANDIDATES by words, then the bonuses: a lesson further down could gain at most
    # the two bonuses, which rarely lifts it past a hundred better-worded ones.
    best = heapq.nlargest(CANDIDATES, scores.items(), key=itemgetter(1))
    top = best[0][1] if best else 1.0
    combined: dict[int, float] = {i: s / top for i, s in best}
    same = index.by_category.get(wanted.category, set()) if wanted.category else set()
    shared: set[int] = set()
    for kind in wanted.interventions:
        shared |= index.by_intervention.get(kind, set())
    pool = combined.keys() if scores else same | shared
    for lesson_id in list(pool):
        bonus = (CATEGORY_WEIGHT if lesson_id in same else 0.0) + (
            INTERVENTION_WEIGHT if lesson_id in shared else 0.0
        )
        if bonus:
            combined[lesson_id] = combined.get(lesson_id, 0.0) + bonus
    return heapq.nlargest(limit, combined.items(), key=lambda kv: (kv[1], kv[0]))


@dataclass
class Suggestion:
    lesson: Lesson
    why: str
    used: bool
    origin: str | None = None  # the name of the hub that shared it, if not the case's


_SURFACE = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]")


def _why(lesson: Lesson, wanted: Profile, df: dict[str, int]) -> str:
    """In plain words, from the lesson's side: the category, the interventions in common and
    the lesson's own words that matched the case."""
    reasons = []
    if wanted.category and lesson.asb_category == wanted.category:
        reasons.append(f"the same category ({lesson.asb_category})")
    shared = sorted(set(lesson.interventions or ()) & wanted.interventions)
    if shared:
        reasons.append("uses " + ", ".join(INTERVENTION_TYPES[k][0].lower() for k in shared))
    case_terms = set(ranking.tokens(wanted.text))
    # The lesson's own spelling of each word it shares with the case, the rarest first.
    spelt: dict[str, str] = {}
    for word in _SURFACE.findall(lesson.search_text):
        lower = word.lower()
        stem = ranking.stem(lower)
        if stem in case_terms and lower not in ranking.STOP:
            spelt.setdefault(stem, lower)
    words = [spelt[t] for t in sorted(spelt, key=lambda t: (df.get(t, 0), t))[:4]]
    if words:
        reasons.append("shares the words " + ", ".join(f"“{w}”" for w in words))
    text = "; ".join(reasons) or "similar to this case"
    return text[0].upper() + text[1:] + "."


def for_case(user, case: Case, limit: int = LIMIT) -> list[Suggestion]:
    """The published lessons most like this case (and, where its hub shares, like it among the
    lessons other hubs share). A constant number of statements: the stamp, the case's profile
    (three), the lessons with their hubs' names, the uses (and once per publication, the
    build)."""
    index = index_for(case.hub)
    if not index.meta:
        return []
    wanted = profile(user, case)
    best = rank(index, wanted, limit)
    if not best:
        return []
    ids = [i for i, _ in best]
    # Read again through the pool's rule: a hub that stopped sharing a moment ago drops out.
    rows = db.session.execute(
        select(Lesson, Hub.name)
        .join(Hub, Hub.id == Lesson.hub_id)
        .where(Lesson.id.in_(ids), _pool(case.hub)[1])
    ).all()
    lessons = {lesson.id: lesson for lesson, _ in rows}
    origins = {lesson.id: name for lesson, name in rows if lesson.hub_id != case.hub_id}
    used = set(
        read_values(
            select(LessonUse.lesson_id).where(
                LessonUse.case_id == case.id, LessonUse.lesson_id.in_(ids)
            )
        ).scalars()
    )
    return [
        Suggestion(lessons[i], _why(lessons[i], wanted, index.method.df), i in used, origins.get(i))
        for i in ids
        if i in lessons
    ]
