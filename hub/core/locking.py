"""Optimistic locking: a save made from a form opened before someone else saved the same thing
is refused, never silently overwrites, and says so.

Two checks, both raising StaleForm (a marshmallow ValidationError, so every form shows it in
its error summary):
- check_version: the version the form was opened at (a hidden field) against the record's
  version now;
- flush_or_stale: two saves that passed that check together: the loser's UPDATE matches no
  row (SQLAlchemy's version_id_col counts the versions) and it is refused too;
- move_version_on, for a version kept by hand (a conference's), and update_or_stale, for a
  record whose version is what it holds (a late conference's reason): the same guard, in one
  UPDATE.
"""

from collections.abc import Callable

from marshmallow import ValidationError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from hub.extensions import db

CHANGED = "Someone else changed this since you opened the page. Check it and try again."


class StaleForm(ValidationError):
    """The form was opened before someone else's save; nothing was written.

    `differences` lists (field label, saved now, what the user typed) where the page can show
    what changed while keeping what the user typed."""

    def __init__(
        self,
        message: str = CHANGED,
        *,
        field: str = "form",
        differences: list[tuple[str, str, str]] | None = None,
    ):
        super().__init__({field: [message]})
        self.differences = differences or []


def version_of(submitted) -> int | None:
    """The version a form was opened at, or None when it sent none a number."""
    try:
        return int(submitted)
    except (TypeError, ValueError):
        return None


def check_version(current: int, submitted, stale: Callable[[], StaleForm]) -> None:
    """Refuse (raise stale()) a save from a form opened at another version than `current`."""
    if version_of(submitted) != current:
        raise stale()


def move_version_on(
    record, attribute: str, stale: Callable[[], StaleForm], *still_true, **values
) -> None:
    """Move a hand-kept version on by one in the database, with any `values` written in the
    same UPDATE, only from the version the record was read at (and while the `still_true`
    conditions hold): of two saves that both passed check_version, the one that commits
    second is refused (raise stale()), instead of both landing with one step between them."""
    model, read_at = type(record), getattr(record, attribute)
    update_or_stale(
        record,
        stale,
        getattr(model, attribute) == read_at,
        *still_true,
        **{attribute: read_at + 1, **values},
    )


def update_or_stale(record, stale: Callable[[], StaleForm], *unchanged, **values) -> None:
    """Write `values` to the record in one UPDATE, only while the `unchanged` conditions (what
    the form was opened at) still hold in the database; when another save changed them first,
    roll back what this save had written and refuse (raise stale()), as flush_or_stale does."""
    model = type(record)
    result = db.session.execute(
        update(model)
        .where(model.id == record.id, *unchanged)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        raise stale()
    for key, value in values.items():  # what the database now holds
        set_committed_value(record, key, value)


def flush_or_stale(stale: Callable[[], StaleForm]) -> None:
    """Write now; when another save won the race since the version check (its UPDATE came
    first, or it created the one row there may be), roll back and refuse (raise stale())."""
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise stale() from None


def flush_or_refuse(messages: dict) -> None:
    """Write now; when a unique rule refuses it (another request wrote the same thing a moment
    ago), undo just this write and refuse with these field messages."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ValidationError(messages) from None


# -- a form sent twice ---------------------------------------------------------------------------
#
# A form that adds a record (a note, an action) carries a one-time token (form_token, made when
# the page is drawn). The same form sent again, by a double click or a retry after a network
# error, finds the record the first sending made and adds nothing.


def submitted_before(model, case_id: int, token: str | None):
    """The record this form already made on the case, if it was sent before."""
    if not token:
        return None
    query = select(model).where(model.case_id == case_id, model.form_token == token)
    return db.session.execute(query).scalar_one_or_none()


def add_once(record):
    """Add a record made from a form with a one-time token. When two sendings of the same form
    race, the second finds the first's record and returns it, having written nothing."""
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:
        earlier = submitted_before(type(record), record.case_id, record.form_token)
        if earlier is None:
            raise
        return earlier
    return record


# -- references numbered per hub and year -----------------------------------------------------


def insert_numbered(record, column, prefix: str, attempts: int = 20) -> None:
    """Give `record` the next reference after the highest one starting with `prefix`
    ("CPL-2026-0042"), and insert it. Two requests numbering at once clash on the unique
    reference; the loser takes the number after the winner's."""
    for attempt in range(attempts):
        highest = db.session.execute(
            select(func.max(column)).where(column.like(prefix + "%"))
        ).scalar()
        number = int(highest[len(prefix) :]) + 1 if highest else 1
        setattr(record, column.key, f"{prefix}{number:04d}")
        try:
            with db.session.begin_nested():
                db.session.add(record)
                db.session.flush()
            return
        except IntegrityError:
            if attempt == attempts - 1:
                raise
