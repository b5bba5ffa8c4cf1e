"""Optimistic locking: a save made from a form opened before someone else saved the same thing
is refused, never silently overwrites, and says so.

Two checks, both raising StaleForm (a marshmallow ValidationError, so every form shows it in
its error summary):
- check_version: the version the form was opened at (a hidden field) against the record's
  version now;
- flush_or_stale: two saves that passed that check together: the loser's UPDATE matches no
  row (SQLAlchemy's version_id_col counts the versions) and it is refused too.
"""

from collections.abc import Callable

from marshmallow import ValidationError
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


def flush_or_stale(stale: Callable[[], StaleForm]) -> None:
    """Write now; when another save won the race since the version check, roll back and
    refuse (raise stale())."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise stale() from None
