"""The planner board, search and "my work". Cards carry only what everyone in the hub may see
(reference, stage, band, lead agency, next conference, counts of overdue actions and reviews);
the queries are a fixed handful per page, however many cases the hub has."""

from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property

from sqlalchemy import Select, and_, bindparam, exists, func, or_, select, union_all
from sqlalchemy import case as sql_case
from sqlalchemy.orm import aliased

from hub import permissions as perm
from hub.casework.schemas import BoardFilters
from hub.casework.stages import ORDER
from hub.core.database import among, dialect_name
from hub.core.timeutil import LONDON, utcnow
from hub.extensions import db
from hub.models import (
    Agency,
    AgendaItem,
    Band,
    Case,
    CaseAction,
    CaseFollow,
    CaseMembership,
    CaseNote,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    RiskAssessment,
    Stage,
    User,
    Victim,
)
from hub.models.referral import Referral, ReferralPerson
from referrals.normalise import name_key

COLUMN_LIMIT = 25  # cards per stage column on the whole board; a column's own page has more
PAGE_SIZE = 50
OPEN_STAGES = [s for s in ORDER if s != Stage.CLOSED]
# Stages before a case's first conference, when its conference deadline still matters.
AWAITING = (Stage.REFERRED.value, Stage.AWAITING_CONFERENCE.value)
# Conferences that may still hear a case (a proposed urgent one too, flagged as such).
UPCOMING = (
    ConferenceStatus.PROPOSED.value,
    ConferenceStatus.SCHEDULED.value,
    ConferenceStatus.LIVE.value,
)


def parse_filters(args) -> dict:
    """Unknown or malformed filter values are dropped rather than failing the board."""
    data = {k: v for k, v in args.items() if v not in ("", None)}
    schema = BoardFilters()
    errors = schema.validate(data)
    for key in errors:
        data.pop(key, None)
    return schema.load(data)


def today() -> date:
    return utcnow().astimezone(LONDON).date()


def _latest_reassessment_due():
    """Scalar SQL: when the case's next risk assessment falls due (latest signed one)."""
    return (
        select(RiskAssessment.next_due_on)
        .where(RiskAssessment.case_id == Case.id, RiskAssessment.signed_at.is_not(None))
        .order_by(RiskAssessment.signed_at.desc(), RiskAssessment.id.desc())
        .limit(1)
        .correlate(Case)
        .scalar_subquery()
    )


def reassessment_overdue(day: date):
    """SQL: the case's latest signed assessment set a reassessment date before `day`. Written
    as "an overdue signed assessment with none signed after it" so the planner can answer it
    for thousands of cases with two hash joins rather than a lookup per case."""
    signed, later = RiskAssessment, aliased(RiskAssessment)
    superseded = exists().where(
        later.case_id == signed.case_id,
        later.signed_at.is_not(None),
        or_(
            later.signed_at > signed.signed_at,
            and_(later.signed_at == signed.signed_at, later.id > signed.id),
        ),
    )
    return exists().where(
        signed.case_id == Case.id,
        signed.signed_at.is_not(None),
        signed.next_due_on < day,
        ~superseded,
    )


def _overdue_action_exists(now: date):
    return exists().where(
        CaseAction.case_id == Case.id, CaseAction.status == "open", CaseAction.due_on < now
    )


# The board is read every few seconds by everyone in the hub, so its statements are built
# once for each shape of filters (which are set, the order, one stage or all) and their values
# bound at each read: building and keying them afresh cost more than running them.
FILTERS = ("band", "lead", "mine", "my_actions", "overdue")


def _filtered(shape: tuple[str, ...]) -> Select:
    """The hub's cards (hub.permissions.board_cases_query) narrowed by the filters named."""
    query = perm.board_cases_query()
    today_ = bindparam("today")
    if "band" in shape:
        query = query.where(Case.band == bindparam("band"))
    if "lead" in shape:
        query = query.where(Case.lead_agency_id == bindparam("lead"))
    if "mine" in shape:
        query = query.where(
            exists().where(
                CaseMembership.case_id == Case.id,
                CaseMembership.agency_id == bindparam("agency_id"),
                CaseMembership.removed_at.is_(None),
            )
        )
    if "my_actions" in shape:
        query = query.where(
            exists().where(
                CaseAction.case_id == Case.id,
                CaseAction.owner_id == bindparam("user_id"),
                CaseAction.status == "open",
            )
        )
    if "overdue" in shape:
        query = query.where(
            or_(
                _overdue_action_exists(today_),
                Case.next_review_on < today_,
                _latest_reassessment_due() < today_,
            )
        )
    return query


def _card_columns() -> list:
    member = exists().where(
        CaseMembership.case_id == Case.id,
        CaseMembership.agency_id == bindparam("agency_id"),
        CaseMembership.removed_at.is_(None),
    )
    return [
        Case.id,
        Case.reference,
        Case.stage,
        Case.band,
        Case.version,
        Agency.name,
        Case.next_conference_at,
        Case.conference_due_by,
        member.label("member"),
    ]


@cache
def _one_stage(shape: tuple[str, ...], sort: str) -> Select:
    """One column, page by page: closed cases (and any long column) are read here. No total:
    counting 90,000 closed cases would cost more than the page itself. The ids alone are
    paged, then the card columns read for those: the membership check and lead agency are
    then worked out for one page, not for every row skipped."""
    page_ids = (
        _filtered(shape)
        .where(Case.stage == bindparam("stage"))
        .with_only_columns(Case.id)
        .order_by(*_order(sort))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery()
    )
    return (
        select(*_card_columns())
        .outerjoin(Agency, Agency.id == Case.lead_agency_id)
        .where(Case.id.in_(select(page_ids.c.id)))
        .order_by(*_order(sort))
    )


@cache
def _open_stages(shape: tuple[str, ...], sort: str) -> tuple[Select, Select]:
    """Each open stage's count, and the first COLUMN_LIMIT cards of each in one statement: a
    UNION ALL of one small index-ordered read per stage."""
    base = _filtered(shape)
    counts = (
        base.where(Case.stage.in_([s.value for s in OPEN_STAGES]))
        .with_only_columns(Case.stage, func.count(Case.id))
        .group_by(Case.stage)
    )
    firsts = [
        select(
            base.where(Case.stage == s.value)
            .with_only_columns(Case.id)
            .order_by(*_order(sort))
            .limit(COLUMN_LIMIT)
            .subquery()
        )
        for s in OPEN_STAGES
    ]
    ids = union_all(*firsts).subquery()
    cards = (
        select(*_card_columns())
        .outerjoin(Agency, Agency.id == Case.lead_agency_id)
        .where(Case.id.in_(select(ids.c.id)))
        .order_by(*_order(sort))
    )
    return counts, cards


def _order(sort: str):
    if sort == "reference":
        return [Case.reference, Case.id]
    # Soonest conference deadline first; the index ix_case_board_deadline serves this order.
    return [Case.conference_due_by.asc().nulls_last(), Case.id]


@dataclass
class Card:
    id: int
    reference: str
    stage: str
    band: str
    version: int
    lead_agency: str | None
    next_conference_at: object
    conference_due_by: object
    member: bool
    overdue_actions: int = 0
    overdue_reviews: int = 0
    spoc: str | None = None  # "name, agency": a member of staff, never the victim
    victim_without_spoc: bool = False
    # The first upcoming conference with the case on its agenda (AgendaConference), if any.
    agenda_conference: "AgendaConference | None" = None
    now: object = None

    @property
    def band_label(self) -> str:
        return Band(self.band).label

    # Asked twice a card (its line, and whether its deadline is missed), and only after
    # _add_counts has set `now` and `agenda_conference`, so the first answer holds.
    @cached_property
    def next_conference(self):
        """When the case is next heard: its place on an upcoming agenda, else the date set on
        the case, whichever comes first (a date set on the case that has passed is ignored)."""
        dates = [self.agenda_conference.starts_at] if self.agenda_conference else []
        if self.next_conference_at is not None and self.next_conference_at >= self.now:
            dates.append(self.next_conference_at)
        return min(dates, default=None)

    @property
    def conference_missing(self) -> str | None:
        """A case waiting for its first conference that no conference will hear by its
        deadline: the words for the card's flag, or None."""
        if self.stage not in AWAITING or self.conference_due_by is None:
            return None
        heard = self.next_conference
        if heard is not None and heard <= self.conference_due_by:
            return None
        if self.conference_due_by < self.now:
            return "Conference deadline passed"
        return "No conference before its deadline"


@dataclass
class AgendaConference:
    starts_at: object
    kind: str
    status: str

    @property
    def label(self) -> str:
        if self.status == ConferenceStatus.PROPOSED.value:
            return "Urgent conference (to be confirmed)"
        return ConferenceKind(self.kind).label


@dataclass
class Column:
    stage: Stage
    total: int
    cards: list[Card] = field(default_factory=list)


@dataclass
class Board:
    columns: list[Column]
    filters: dict
    page: int = 1
    has_next: bool = False


def board(user, hub, f: dict) -> Board:
    """The open stages' first cards (or one stage, page by page). A fixed number of
    statements: stage counts, the cards, and three for the cards' counts and agendas."""
    shape = tuple(name for name in FILTERS if f[name])
    params = perm.board_params(user, hub) | {
        "agency_id": user.agency_id,
        "user_id": user.id,
        "today": today(),
        "band": f["band"],
        "lead": f["lead"],
    }
    page, has_next = 1, False
    if f["stage"]:
        stages = [Stage(f["stage"])]
        page = f["page"]
        paging = {"stage": f["stage"], "limit": PAGE_SIZE + 1, "offset": (page - 1) * PAGE_SIZE}
        rows = list(db.session.execute(_one_stage(shape, f["sort"]), params | paging))
        has_next = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        counts = {}
    else:
        stages = OPEN_STAGES
        counts_query, cards_query = _open_stages(shape, f["sort"])
        counts = dict(db.session.execute(counts_query, params).all())
        rows = list(db.session.execute(cards_query, params))
    cards = [Card(*row) for row in rows]
    _add_counts(cards)
    # All open stages: each column's own count (0 when empty). One stage: this page's cards.
    columns = {s: Column(s, len(rows) if f["stage"] else counts.get(s.value, 0)) for s in stages}
    for card in cards:
        columns[Stage(card.stage)].cards.append(card)
    return Board(columns=list(columns.values()), filters=f, page=page, has_next=has_next)


def has_victim():
    """SQL: the case has a victim, recorded on it or named in one of its referrals."""
    return or_(
        exists().where(Victim.case_id == Case.id),
        exists().where(ReferralPerson.case_id == Case.id, ReferralPerson.role == "victim"),
    )


def victims_without_spoc(case_ids) -> set[int]:
    """Of these cases, those with a victim and no SPoC (one query): flagged on the board and
    the agenda."""
    ids = {i for i in case_ids if i}
    if not ids:
        return set()
    query = select(Case.id).where(Case.id.in_(ids), Case.spoc_user_id.is_(None), has_victim())
    return set(db.session.execute(query).scalars())


def _add_counts(cards: list[Card]) -> None:
    """Overdue actions and reviews, and the next conference on whose agenda each case is,
    for the cards shown: three statements for any number of cards."""
    if not cards:
        return
    moment = utcnow()
    params = {"ids": [c.id for c in cards], "today": today(), "moment": moment}
    agenda_query, actions_query, extra_query = _count_queries(dialect_name())
    agenda = {
        row.case_id: AgendaConference(row.starts_at, row.kind, row.status)
        for row in db.session.execute(agenda_query, params)
    }
    overdue_actions = dict(db.session.execute(actions_query, params).all())
    extra = {row[0]: row[1:] for row in db.session.execute(extra_query, params).all()}
    for card in cards:
        reviews, spoc, agency, victim = extra.get(card.id, (0, None, None, False))
        card.overdue_actions = overdue_actions.get(card.id, 0)
        card.overdue_reviews = reviews
        card.spoc = f"{spoc}, {agency}" if spoc else None
        card.victim_without_spoc = bool(victim) and spoc is None
        card.agenda_conference = agenda.get(card.id)
        card.now = moment


@cache
def _count_queries(dialect: str) -> tuple[Select, Select, Select]:
    """_add_counts' three statements, built once for the database's dialect (the cards' ids
    are bound as one array on PostgreSQL)."""
    today_ = bindparam("today")
    # Each case's first upcoming agenda place. Ranked in SQL so one row comes back per case.
    rank = (
        func.row_number()
        .over(partition_by=AgendaItem.case_id, order_by=(Conference.starts_at, Conference.id))
        .label("rank")
    )
    upcoming = (
        select(AgendaItem.case_id, Conference.starts_at, Conference.kind, Conference.status, rank)
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(
            among(AgendaItem.case_id, "ids", dialect),
            AgendaItem.removed.is_(False),
            Conference.status.in_(UPCOMING),
            # A live conference started earlier today still hears the case.
            or_(
                Conference.starts_at >= bindparam("moment"),
                Conference.status == ConferenceStatus.LIVE.value,
            ),
        )
        .subquery()
    )
    agenda = select(
        upcoming.c.case_id, upcoming.c.starts_at, upcoming.c.kind, upcoming.c.status
    ).where(upcoming.c.rank == 1)
    overdue_actions = (
        select(CaseAction.case_id, func.count(CaseAction.id))
        .where(
            among(CaseAction.case_id, "ids", dialect),
            CaseAction.status == "open",
            CaseAction.due_on < today_,
        )
        .group_by(CaseAction.case_id)
    )
    # In the same statement: the SPoC (name and agency), and whether the case has a victim
    # (recorded on it, or named in a referral on it) but no SPoC, which the board flags.
    spoc_agency = aliased(Agency)
    extra = (
        select(
            Case.id,
            sql_case((Case.next_review_on < today_, 1), else_=0)
            + sql_case((_latest_reassessment_due() < today_, 1), else_=0),
            User.name,
            spoc_agency.name,
            has_victim(),
        )
        .outerjoin(User, User.id == Case.spoc_user_id)
        .outerjoin(spoc_agency, spoc_agency.id == User.agency_id)
        .where(among(Case.id, "ids", dialect))
    )
    return agenda, overdue_actions, extra


# -- search -----------------------------------------------------------------------------------

SEARCH_LIMIT = 20


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(user, hub, text: str) -> dict:
    """Cases by reference (any card in the hub), by title (cases the user's agency works), and
    notes the user may see. Notes returned are recorded as read."""
    text = text.strip()[:200]
    if len(text) < 2:
        return {"cards": [], "cases": [], "notes": [], "people": [], "places": []}
    pattern = _like(text.lower())
    # Every result is read in full (.all()) before the first audit write: on SQLite a result
    # still open keeps its snapshot, and a write from a stale snapshot is refused at once
    # ("database is locked", which no waiting cures).
    cards = (
        db.session.execute(
            perm.board_cases(user, hub)
            .where(func.lower(Case.reference).like(pattern, escape="\\"))
            .order_by(Case.reference)
            .limit(SEARCH_LIMIT)
        )
        .scalars()
        .all()
    )
    cases = (
        db.session.execute(
            perm.cases_with_access(user, hub)
            .where(func.lower(Case.title).like(pattern, escape="\\"))
            .order_by(Case.opened_at.desc())
            .limit(SEARCH_LIMIT)
        )
        .scalars()
        .all()
    )
    notes = list(
        db.session.execute(
            perm.visible_records(user, CaseNote, hub)
            .add_columns(Case.reference)
            .where(func.lower(CaseNote.body).like(pattern, escape="\\"))
            .order_by(CaseNote.created_at.desc())
            .limit(SEARCH_LIMIT)
        ).all()
    )
    # People by name (the matching key, so "Bill" finds "William") and places by address or
    # postcode, on cases the user may see, each through the section 115 rule.
    key = name_key(text)
    people = list(
        db.session.execute(
            perm.visible_records(user, ReferralPerson, hub)
            .add_columns(Case.reference)
            .where(
                or_(
                    ReferralPerson.name_key == key,
                    func.lower(ReferralPerson.name).like(pattern, escape="\\"),
                )
            )
            .order_by(Case.reference)
            .limit(SEARCH_LIMIT)
        ).all()
    )
    places = list(
        db.session.execute(
            perm.visible_records(user, Referral, hub)
            .add_columns(Case.reference)
            .where(
                or_(
                    func.lower(Referral.address).like(pattern, escape="\\"),
                    func.lower(Referral.postcode).like(pattern, escape="\\"),
                )
            )
            .order_by(Case.reference)
            .limit(SEARCH_LIMIT)
        ).all()
    )
    by_case: dict[int, list] = {}
    for record, _ref in notes + people + places:
        by_case.setdefault(record.case_id, []).append(record)
    if by_case:
        found = db.session.execute(select(Case).where(Case.id.in_(by_case))).scalars().all()
        for case in found:
            perm.record_read(user, case, by_case[case.id], what="search results")
    return {
        "cards": cards,
        "cases": cases,
        "notes": notes,
        "people": people,
        "places": places,
    }


# -- my work ----------------------------------------------------------------------------------


def my_work(user, hub, *, due_by: date | None = None, limit: int | None = None) -> dict:
    """My open actions, and review dates of the cases I work on (follow, am SPoC for, or own
    actions on), soonest first: cases my agency can still reach only. With `due_by`, only what
    falls due by that day (the home page's "today"), at most `limit` of each, with the total
    of both lists."""
    reachable = perm.working_cases(user, hub).with_only_columns(Case.id)
    action_filter = [
        CaseAction.owner_id == user.id,
        CaseAction.status == "open",
        CaseAction.case_id.in_(reachable),
    ]
    if due_by is not None:
        action_filter.append(CaseAction.due_on <= due_by)
    my_actions = list(
        db.session.execute(
            select(CaseAction, Case.reference)
            .join(Case, Case.id == CaseAction.case_id)
            .where(*action_filter)
            .order_by(CaseAction.due_on, CaseAction.id)
            .limit(limit)
        ).all()
    )
    mine = or_(
        Case.spoc_user_id == user.id,
        exists().where(CaseFollow.case_id == Case.id, CaseFollow.user_id == user.id),
        exists().where(
            CaseAction.case_id == Case.id,
            CaseAction.owner_id == user.id,
            CaseAction.status == "open",
        ),
    )
    due = _latest_reassessment_due().label("reassessment_due")
    review_filter = [Case.id.in_(reachable), Case.stage != Stage.CLOSED.value, mine]
    if due_by is None:
        review_filter.append(or_(Case.next_review_on.is_not(None), due.is_not(None)))
    else:
        review_filter.append(or_(Case.next_review_on <= due_by, due <= due_by))
    reviews = list(
        db.session.execute(
            select(Case, due)
            .where(*review_filter)
            .order_by(Case.next_review_on.is_(None), Case.next_review_on, Case.reference)
            .limit(limit)
        ).all()
    )
    total = len(my_actions) + len(reviews)
    if limit is not None:  # counted whether or not the lists were cut: a constant cost
        total = db.session.execute(
            select(
                select(func.count(CaseAction.id)).where(*action_filter).scalar_subquery()
                + select(func.count(Case.id)).where(*review_filter).scalar_subquery()
            )
        ).scalar()
    perm.working_records_read(
        user, hub.id, what="my work", records={"case_action": [a.id for a, _ in my_actions]}
    )
    return {"actions": my_actions, "reviews": reviews, "today": today(), "total": total}
