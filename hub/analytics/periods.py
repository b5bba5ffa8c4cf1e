"""The period and category a view is filtered by (always in the URL, so a view can be
shared), and the SQL that puts a UTC timestamp into its London month, hour and weekday on
PostgreSQL and SQLite alike."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, cast, extract, func, literal
from sqlalchemy.types import Integer

from hub.core.timeutil import LONDON
from hub.models.referral import AsbCategory

DEFAULT_MONTHS = 12
MAX_MONTHS = 36
CATEGORIES = {c.value: c.label for c in AsbCategory}


def add_months(day: date, n: int) -> date:
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def london_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class Filters:
    start: date  # the first day of the first month
    end: date  # the first day of the last month
    category: str | None = None

    @property
    def months(self) -> list[date]:
        count = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        return [add_months(self.start, i) for i in range(count)]

    @property
    def after(self) -> date:
        """The first day after the period."""
        return add_months(self.end, 1)

    @property
    def since(self) -> datetime:
        return london_midnight(self.start)

    @property
    def until(self) -> datetime:
        return london_midnight(self.after)

    def args(self) -> dict:
        values = {"from": f"{self.start:%Y-%m}", "to": f"{self.end:%Y-%m}"}
        if self.category:
            values["category"] = self.category
        return values

    @property
    def label(self) -> str:
        if self.start == self.end:
            return f"{self.start:%B %Y}"
        return f"{self.start:%B %Y} to {self.end:%B %Y}"


def _month(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip() + "-01")
    except ValueError:
        return None


def parse(args, today: date) -> tuple[Filters, dict]:
    """Filters from a query string: from/to months (YYYY-MM; default the 12 months to this
    one) and an ASB category. Returns (filters, errors by field); bad values fall back."""
    errors: dict = {}
    this_month = today.replace(day=1)
    end = this_month
    start = add_months(end, -(DEFAULT_MONTHS - 1))
    for key in ("from", "to"):
        raw = (args.get(key) or "").strip()
        if not raw:
            continue
        value = _month(raw)
        if value is None:
            errors[key] = ["Enter a month like 2026-11"]
        elif key == "from":
            start = value
        else:
            end = value
    if not errors and start > end:
        errors["from"] = ["The first month must be on or before the last"]
    elif not errors and (end.year - start.year) * 12 + end.month - start.month >= MAX_MONTHS:
        errors["from"] = [f"Choose {MAX_MONTHS} months or fewer"]
    if errors:
        end, start = this_month, add_months(this_month, -(DEFAULT_MONTHS - 1))
    category = (args.get("category") or "").strip() or None
    if category and category not in CATEGORIES:
        errors["category"] = ["Choose a category from the list"]
        category = None
    return Filters(start, end, category), errors


def for_month(first: date) -> Filters:
    return Filters(first, first)


# -- London time in SQL -------------------------------------------------------------------------


def month_index(column, filters: Filters):
    """SQL: which of the period's months (0, 1, …) a UTC timestamp falls in, London time. A
    CASE over the months' London midnights, so both databases agree exactly."""
    months = filters.months
    whens = [(column < london_midnight(add_months(m, 1)), literal(i)) for i, m in enumerate(months)]
    return case(*whens, else_=literal(len(months)))


def _summer_time(years: range):
    """(start, end) UTC instants of British Summer Time in each year."""
    spans = []
    for year in years:
        start = datetime(year, 3, 31, 1, tzinfo=UTC)
        start -= timedelta(days=(start.weekday() + 1) % 7)  # last Sunday of March, 01:00 UTC
        end = datetime(year, 10, 31, 1, tzinfo=UTC)
        end -= timedelta(days=(end.weekday() + 1) % 7)  # last Sunday of October, 01:00 UTC
        spans.append((start, end))
    return spans


def local_hour_and_weekday(column, dialect: str, filters: Filters):
    """SQL (hour 0-23, weekday 0 = Monday) of a UTC timestamp in London. PostgreSQL converts
    with its time zone database; SQLite has none, so the summer-time spans of the period's
    years are written into the statement."""
    if dialect == "postgresql":
        local = func.timezone("Europe/London", column)
        return (
            cast(extract("hour", local), Integer),
            cast(extract("isodow", local), Integer) - 1,
        )
    spans = _summer_time(range(filters.start.year, filters.after.year + 1))
    in_summer = case(
        *[((column >= s) & (column < e), literal("+1 hours")) for s, e in spans],
        else_=literal("+0 hours"),
    )
    hour = cast(func.strftime("%H", column, in_summer), Integer)
    weekday = (cast(func.strftime("%w", column, in_summer), Integer) + 6) % 7
    return hour, weekday
