"""Times are stored in UTC and shown in Europe/London. Everything reads the clock through
utcnow() so tests can move it with time-machine."""

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC, so say so."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value).astimezone(LONDON)


@lru_cache(maxsize=4096)
def format_local(value: datetime | None, fmt: str = "%-d %B %Y at %-I:%M%p") -> str:
    """'4 December 2026 at 4:05pm', the GOV.UK style for dates and times. Remembered: a page
    shows the same few times over and over (a board's 125 cards, a conference's date)."""
    if value is None:
        return ""
    text = local(value).strftime(fmt)
    return text.replace("AM", "am").replace("PM", "pm")


def long_date(value) -> str:
    """'3 April 1952', the GOV.UK style for a date: from a date, a datetime (shown in London)
    or an ISO date string (as drafts keep them). Anything else is shown as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return local(value).strftime("%-d %B %Y")
    if isinstance(value, date):
        return value.strftime("%-d %B %Y")
    try:
        return date.fromisoformat(str(value)).strftime("%-d %B %Y")
    except ValueError:
        return str(value)
