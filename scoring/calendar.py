"""Working days and weekly case conferences in England and Wales.

A working day is Monday to Friday and not an England and Wales bank holiday
(the ``holidays`` package, subdivision ``ENG``; its ``WLS`` calendar is
identical, and tests check that). Holiday sets are built once per year and
cached, because building one with ``holidays`` costs milliseconds.

Times are computed in the hub's local zone with ``zoneinfo`` so deadlines stay
at 17:00 local time across the clock changes, and are returned as aware UTC
datetimes for storage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

UTC = dt.UTC
_ONE_DAY = dt.timedelta(days=1)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@cache
def bank_holidays(year: int) -> frozenset[dt.date]:
    """England and Wales bank holidays in ``year``, including substitute ("observed") days."""
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def next_working_day(day: dt.date) -> dt.date:
    """``day`` itself if it is a working day, otherwise the first working day after it."""
    while not is_working_day(day):
        day += _ONE_DAY
    return day


@lru_cache(maxsize=16384)
def add_working_days(day: dt.date, n: int) -> dt.date:
    """The date ``n`` working days after ``day`` (``day`` itself need not be a working day).

    ``add_working_days(friday, 1)`` is the next Monday unless that is a bank holiday.
    ``n == 0`` returns ``day`` unchanged.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    while n:
        day += _ONE_DAY
        if is_working_day(day):
            n -= 1
    return day


@lru_cache(maxsize=65536)
def end_of_working_day(
    local_date: dt.date, n: int, end_of_day: dt.time, tz: ZoneInfo
) -> dt.datetime:
    """End of the working day ``n`` working days after ``local_date``, as aware UTC.

    Cached: referrals on the same local date share their deadlines.
    """
    day = add_working_days(local_date, n)
    return dt.datetime.combine(day, end_of_day, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class ConferenceSlot:
    """A hub's weekly case conference: ``weekday`` (0 = Monday) at local ``time``.

    ``time`` may be given as ``datetime.time`` or ``"HH:MM"``.
    """

    weekday: int
    time: dt.time
    timezone: str = "Europe/London"
    tzinfo: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int):
            raise ValueError(f"weekday must be an int 0-6 (0 = Monday), got {self.weekday!r}")
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0-6 (0 = Monday), got {self.weekday}")
        if isinstance(self.time, str):
            try:
                object.__setattr__(self, "time", dt.datetime.strptime(self.time, "%H:%M").time())
            except ValueError:
                raise ValueError(f"time must be 'HH:MM', got {self.time!r}") from None
        if not isinstance(self.time, dt.time) or self.time.tzinfo is not None:
            raise ValueError("time must be a naive datetime.time (local to the slot's time zone)")
        try:
            tz = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        object.__setattr__(self, "tzinfo", tz)

    def __str__(self) -> str:
        return f"{_WEEKDAYS[self.weekday]}s at {self.time:%H:%M} ({self.timezone})"


def next_conference(
    after: dt.datetime, slot: ConferenceSlot, cutoff_hours: float = 0
) -> dt.datetime:
    """Start (aware UTC) of the first weekly conference at least ``cutoff_hours`` after ``after``.

    If the slot's day is not a working day (a bank holiday, or a slot set on a
    weekend) that week's conference moves to the next working day at the same
    local time. The result is always strictly after ``after``.
    """
    if after.tzinfo is None:
        raise ValueError("after must be timezone-aware")
    threshold = after + dt.timedelta(hours=cutoff_hours)
    local_date = threshold.astimezone(slot.tzinfo).date()
    # Start a week early: last week's conference, moved off a bank holiday, can land after
    # this week's slot day has already been passed.
    day = local_date - dt.timedelta(days=(local_date.weekday() - slot.weekday) % 7 + 7)
    week = dt.timedelta(days=7)
    while True:
        at = _conference_held(slot, day)
        if at >= threshold and at > after:
            return at
        day += week


@lru_cache(maxsize=16384)
def _conference_held(slot: ConferenceSlot, slot_day: dt.date) -> dt.datetime:
    """When the conference scheduled for ``slot_day`` is actually held (aware UTC). Cached."""
    held_on = next_working_day(slot_day)
    return dt.datetime.combine(held_on, slot.time, tzinfo=slot.tzinfo).astimezone(UTC)
