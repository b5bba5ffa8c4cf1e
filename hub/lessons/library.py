"""The library: full-text search over published lessons (SQLite FTS5 on the default database,
PostgreSQL full-text search in production, behind matching_ids), filters by category,
intervention, outcome and tag, and ordering by relevance, by evidence or by date. Where the
hub shares its lessons, a search may take in the lessons other hubs share
(hub.permissions.lesson_hubs), each shown with the hub it came from.

Every search is audited with a keyed digest of what was typed (hub.audit.digest), never the
words themselves."""

import re
from dataclasses import dataclass, field

from sqlalchemy import String, case, cast, func, literal_column, select, table, text

from hub import audit
from hub import permissions as perm
from hub.core import signals
from hub.extensions import db
from hub.lessons import redaction
from hub.models import Hub, Lesson, LessonStatus
from hub.models.casework import ACHIEVED_OUTCOMES, EVALUATION_OUTCOMES, INTERVENTION_TYPES
from hub.models.lessons import LESSON_SOURCES, PLACE_TYPES
from hub.models.referral import AsbCategory

PAGE_SIZE = 20
MAX_MATCHES = 500
_WORD = re.compile(r"\w+", re.UNICODE)


def search_words(lesson: Lesson) -> str:
    """The words the library searches: the lesson's text, its tags, and the names of its
    place type and interventions (so "closure order" finds a lesson that used one)."""
    parts = [
        lesson.title,
        lesson.problem,
        lesson.context,
        lesson.people_roles,
        lesson.tried,
        lesson.worked,
        lesson.not_worked,
        " ".join(lesson.tags or []),
        PLACE_TYPES.get(lesson.place_type or "", ""),
        lesson.asb_category or "",
        " ".join(INTERVENTION_TYPES[i][0] for i in lesson.interventions or []),
    ]
    return "\n".join(p for p in parts if p)


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def index(lesson: Lesson) -> None:
    """Put a published lesson's words in the full-text index (SQLite keeps a separate FTS5
    table; PostgreSQL indexes the column itself)."""
    if _sqlite():
        db.session.execute(text("DELETE FROM lesson_fts WHERE rowid = :id"), {"id": lesson.id})
        db.session.execute(
            text("INSERT INTO lesson_fts (rowid, search_text) VALUES (:id, :words)"),
            {"id": lesson.id, "words": lesson.search_text},
        )


@signals.hub_imported.connect
def _index_imported_hub(hub: Hub, **_) -> None:
    """A hub brought from another instance: its published lessons into this one's index."""
    published = select(Lesson).where(
        Lesson.hub_id == hub.id, Lesson.status == LessonStatus.PUBLISHED.value
    )
    for lesson in db.session.execute(published).scalars():
        index(lesson)


# Words too common to search for: PostgreSQL's English configuration drops them, so SQLite's
# search drops them too and both databases answer alike.
STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is", "it"}
    | {"of", "on", "or", "that", "the", "their", "then", "this", "to", "was", "were", "with"}
)


def terms(query: str) -> list[str]:
    return [w for w in _WORD.findall(query.lower()) if w not in STOP_WORDS][:12]


_FTS = table("lesson_fts", literal_column("rowid"))


def matching_ids(query: str, hub: Hub, *, shared: bool = False) -> dict[int, float]:
    """The one search function: published lessons of the hub (and with `shared`, of the hubs
    sharing with it) whose words match every term, with a relevance score (higher is
    better). One statement on either database."""
    words = terms(query)
    if not words:
        return {}
    published = Lesson.status == LessonStatus.PUBLISHED.value
    scope = perm.lesson_hubs(hub, shared=shared)
    if _sqlite():
        # Each term quoted: FTS5 syntax typed by a user is searched for, never run.
        match = " ".join('"' + w.replace('"', "") + '"' for w in words)
        fts = literal_column("lesson_fts")
        rows = db.session.execute(
            select(Lesson.id, -func.bm25(fts))
            .select_from(_FTS)
            .join(Lesson, Lesson.id == _FTS.c.rowid)
            .where(fts.op("MATCH")(match), published, scope)
        ).all()
    else:
        vector = func.to_tsvector("english", Lesson.search_text)
        tsquery = func.plainto_tsquery("english", " ".join(words))
        rows = db.session.execute(
            select(Lesson.id, func.ts_rank(vector, tsquery)).where(
                published, scope, vector.op("@@")(tsquery)
            )
        ).all()
    # The most relevant MAX_MATCHES: enough to read, and a bounded ordering for the page.
    best = sorted(rows, key=lambda row: -row[1])[:MAX_MATCHES]
    return {lesson_id: float(rank) for lesson_id, rank in best}


@dataclass
class Page:
    lessons: list[Lesson]
    total: int
    page: int
    pages: int
    # The name of the hub each lesson shared by another hub came from, by lesson id.
    origins: dict[int, str] = field(default_factory=dict)


def evidence_order():
    """Outcome achieved first, then the number of cases it came from or helped."""
    achieved = case((Lesson.outcome.in_(sorted(ACHIEVED_OUTCOMES)), 1), else_=0)
    return [achieved.desc(), Lesson.cases_helped.desc(), Lesson.published_at.desc()]


def search(user, hub: Hub, filters: dict) -> Page:
    """A page of the hub's published lessons for the filters (with `shared`, and the hub
    sharing, the other sharing hubs' too), audited. Three statements (the full-text match,
    the count, the page, which brings each lesson's hub name), whatever the library's size."""
    shared = bool(filters.get("shared")) and hub.shares_lessons
    query = (
        perm.lessons_visible(user, hub, shared=shared)
        .where(Lesson.status == LessonStatus.PUBLISHED.value)
        .join(Hub, Hub.id == Lesson.hub_id)
        .add_columns(Hub.name)
    )
    if filters.get("category"):
        query = query.where(Lesson.asb_category == filters["category"])
    if filters.get("outcome"):
        query = query.where(Lesson.outcome == filters["outcome"])
    if filters.get("intervention"):
        # JSON lists as text on both databases: the code in quotes is a whole element.
        query = query.where(
            cast(Lesson.interventions, String).like(f'%"{filters["intervention"]}"%')
        )
    tag = re.sub(r"[^a-z0-9 -]", "", (filters.get("tag") or "").strip().lower())
    if tag:
        query = query.where(cast(Lesson.tags, String).like(f'%"{tag}"%'))
    ranks = None
    if filters.get("q", "").strip():
        ranks = matching_ids(filters["q"], hub, shared=shared)
        query = query.where(Lesson.id.in_(sorted(ranks) or [-1]))
    total = db.session.execute(
        query.with_only_columns(func.count(Lesson.id)).order_by(None)
    ).scalar()
    order = filters.get("order") or "relevance"
    page = max(1, int(filters.get("page") or 1))
    if order == "evidence":
        query = query.order_by(*evidence_order(), Lesson.id.desc())
    elif order == "relevance" and ranks:
        # The ranks are in hand: order by them in SQL, so the page is cut by the database.
        by_rank = case(
            {i: n for n, i in enumerate(sorted(ranks, key=lambda i: -ranks[i]))},
            value=Lesson.id,
            else_=len(ranks),
        )
        query = query.order_by(by_rank, Lesson.id.desc())
    else:
        query = query.order_by(Lesson.published_at.desc(), Lesson.id.desc())
    rows = db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    lessons = [lesson for lesson, _ in rows]
    origins = {lesson.id: name for lesson, name in rows if lesson.hub_id != hub.id}
    details = {"count": total, "filters": _codes(filters)}
    typed = (filters.get("q") or "").strip()
    if typed or tag:
        details["search_digest"] = audit.digest(typed, tag)
    audit.record(
        "lessons_searched",
        user=user,
        hub=hub.id,
        target_type="hub",
        target_id=hub.id,
        details=details,
    )
    return Page(lessons, total, page, max(1, -(-total // PAGE_SIZE)), origins)


def _codes(filters: dict) -> dict:
    """The filters chosen from lists (codes); what was typed goes only into the digest."""
    names = {"category": "category", "intervention": "type", "outcome": "outcome"}
    out = {names[k]: filters[k] for k in names if filters.get(k)}
    out["kind"] = filters.get("order") or "relevance"
    if filters.get("shared"):
        out["scope"] = "shared"
    return out


def reading_hub(user, lesson: Lesson) -> tuple[Hub, Hub | None]:
    """The hub whose library the reader reads a lesson from, and the hub that lent it when it
    is another hub's shared lesson (the reader's first hub it is shared with). A shared read
    is audited: nothing personal crosses, but the lending hub sees which hubs read it."""
    own = db.session.get(Hub, lesson.hub_id)
    if not perm.is_shared_lesson_reader(user, lesson):
        return own, None
    hub = next(h for h in perm.hubs_of(user) if perm.lesson_open_to_hub(lesson, h))
    audit.record("lesson_read_shared", user=user, hub=own, target=lesson, details={"from": hub.id})
    return hub, own


def queue(user, hub: Hub) -> list[Lesson]:
    """Lessons awaiting review (a reviewer's), and the user's own drafts."""
    query = (
        perm.lessons_visible(user, hub)
        .where(Lesson.status != LessonStatus.PUBLISHED.value)
        .order_by(Lesson.updated_at.desc())
    )
    return list(db.session.execute(query).scalars())


def labels() -> dict:
    """The names a lesson's codes are shown by."""
    return {
        "outcomes": EVALUATION_OUTCOMES,
        "interventions": INTERVENTION_TYPES,
        "places": PLACE_TYPES,
        "categories": {c.value: c.label for c in AsbCategory},
        "sources": LESSON_SOURCES,
        "kinds": redaction.KINDS,
    }
