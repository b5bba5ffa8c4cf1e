"""Working days and weekly conferences: bank holidays, Christmas, clock changes."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from scoring import (
    ConferenceSlot,
    add_working_days,
    bank_holidays,
    is_working_day,
    next_conference,
    next_working_day,
)

UTC = dt.UTC
D = dt.date
MON, TUE, WED, THU, FRI, SAT = range(6)


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# --------------------------------------------------------------------------- bank holidays


def test_bank_holidays_2026_england_and_wales():
    assert bank_holidays(2026) >= {
        D(2026, 1, 1),
        D(2026, 4, 3),  # Good Friday
        D(2026, 4, 6),  # Easter Monday
        D(2026, 5, 4),
        D(2026, 5, 25),
        D(2026, 8, 31),  # late summer bank holiday
        D(2026, 12, 25),
        D(2026, 12, 28),  # Boxing Day (substitute day)
    }
    assert isinstance(bank_holidays(2026), frozenset)
    assert bank_holidays(2026) is bank_holidays(2026)  # cached per year


def test_one_off_bank_holidays():
    assert D(2022, 9, 19) in bank_holidays(2022)  # State Funeral of Queen Elizabeth II
    assert D(2023, 5, 8) in bank_holidays(2023)  # Coronation of King Charles III


def test_scottish_holidays_are_not_included():
    assert D(2026, 1, 2) not in bank_holidays(2026)  # 2 January is Scotland only
    assert D(2026, 11, 30) not in bank_holidays(2026)  # St Andrew's Day


@pytest.mark.parametrize("year", range(2020, 2031))
def test_wales_has_the_same_bank_holidays_as_england(year):
    # Why subdiv "ENG" serves both nations.
    wales = frozenset(holidays.country_holidays("GB", subdiv="WLS", years=year))
    assert bank_holidays(year) == wales


# --------------------------------------------------------------------------- working days


def test_is_working_day():
    assert is_working_day(D(2026, 8, 28))  # Friday
    assert not is_working_day(D(2026, 8, 29))  # Saturday
    assert not is_working_day(D(2026, 8, 30))  # Sunday
    assert not is_working_day(D(2026, 8, 31))  # bank holiday Monday
    assert is_working_day(D(2026, 9, 1))
    assert not is_working_day(D(2026, 12, 28))  # substitute Boxing Day


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 8, 28), 0, D(2026, 8, 28)),
        (D(2026, 8, 28), 1, D(2026, 9, 1)),  # over the weekend and the bank holiday
        (D(2026, 8, 28), 3, D(2026, 9, 3)),
        (D(2026, 8, 29), 1, D(2026, 9, 1)),  # from a Saturday
        (D(2026, 12, 24), 1, D(2026, 12, 29)),  # Christmas, weekend, Boxing Day substitute
        (D(2026, 12, 24), 3, D(2026, 12, 31)),
        (D(2026, 12, 30), 2, D(2027, 1, 4)),  # New Year's Day 2027 is a Friday
        (D(2026, 12, 24), 10, D(2027, 1, 12)),
        (D(2026, 4, 2), 1, D(2026, 4, 7)),  # Easter: Good Friday to Easter Monday
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


def test_add_working_days_rejects_negative():
    with pytest.raises(ValueError, match="must not be negative"):
        add_working_days(D(2026, 1, 5), -1)


def test_next_working_day():
    assert next_working_day(D(2026, 9, 1)) == D(2026, 9, 1)
    assert next_working_day(D(2026, 8, 29)) == D(2026, 9, 1)


# --------------------------------------------------------------------------- conferences


def test_conference_slot_validation():
    assert ConferenceSlot(TUE, "10:00").time == dt.time(10)
    assert str(ConferenceSlot(TUE, dt.time(10))) == "Tuesdays at 10:00 (Europe/London)"
    with pytest.raises(ValueError, match="weekday must be 0-6"):
        ConferenceSlot(7, dt.time(10))
    with pytest.raises(ValueError, match="weekday must be an int"):
        ConferenceSlot("Tuesday", dt.time(10))
    with pytest.raises(ValueError, match="unknown time zone"):
        ConferenceSlot(TUE, dt.time(10), "Europe/Narnia")
    with pytest.raises(ValueError, match="HH:MM"):
        ConferenceSlot(TUE, "ten")
    with pytest.raises(ValueError, match="naive"):
        ConferenceSlot(TUE, dt.time(10, tzinfo=UTC))


def test_next_conference_simple_and_cutoff():
    tuesday = ConferenceSlot(TUE, dt.time(10))
    monday_11_bst = utc(2026, 6, 1, 10)
    # No cutoff: tomorrow's conference, 10:00 BST = 09:00 UTC.
    assert next_conference(monday_11_bst, tuesday, 0) == utc(2026, 6, 2, 9)
    # 24-hour agenda cutoff: tomorrow's is only 23 hours away, so the week after.
    assert next_conference(monday_11_bst, tuesday, 24) == utc(2026, 6, 9, 9)
    # Exactly 24 hours away is in time.
    assert next_conference(utc(2026, 6, 1, 9), tuesday, 24) == utc(2026, 6, 2, 9)


def test_conference_at_the_same_instant_is_not_next():
    tuesday = ConferenceSlot(TUE, dt.time(10))
    assert next_conference(utc(2026, 6, 2, 9), tuesday, 0) == utc(2026, 6, 9, 9)


def test_conference_on_a_bank_holiday_moves_to_the_next_working_day():
    monday = ConferenceSlot(MON, dt.time(10))
    # Monday 31 August 2026 is a bank holiday: held Tuesday 1 September 10:00 BST.
    assert next_conference(utc(2026, 8, 26, 12), monday, 24) == utc(2026, 9, 1, 9)
    # After the holiday itself, the moved conference is still ahead and still counts.
    assert next_conference(utc(2026, 8, 31, 6), monday, 24) == utc(2026, 9, 1, 9)
    assert next_conference(utc(2026, 8, 31, 9, 1), monday, 24) == utc(2026, 9, 7, 9)


def test_conference_over_christmas():
    friday = ConferenceSlot(FRI, dt.time(10))
    # Friday 25 December: 26-27 weekend, 28 substitute Boxing Day -> Tuesday 29th, GMT.
    assert next_conference(utc(2026, 12, 21, 12), friday, 24) == utc(2026, 12, 29, 10)
    # Friday 1 January 2027 -> Monday 4 January.
    assert next_conference(utc(2026, 12, 29, 11), friday, 24) == utc(2027, 1, 4, 10)


def test_weekend_slot_is_held_on_the_next_working_day():
    saturday = ConferenceSlot(SAT, dt.time(9, 30))
    assert next_conference(utc(2026, 6, 3, 12), saturday, 24) == utc(2026, 6, 8, 8, 30)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # Clocks go back on Sunday 25 October 2026: Monday 10:00 is GMT (= UTC).
        (utc(2026, 10, 22, 12), utc(2026, 10, 26, 10)),
        # Clocks go forward on Sunday 29 March 2026: Monday 10:00 is BST (09:00 UTC).
        (utc(2026, 3, 26, 12), utc(2026, 3, 30, 9)),
    ],
)
def test_conference_across_clock_changes(after, expected):
    assert next_conference(after, ConferenceSlot(MON, dt.time(10)), 24) == expected


def test_conference_in_another_time_zone():
    slot = ConferenceSlot(WED, dt.time(10), "UTC")
    assert next_conference(utc(2026, 6, 1, 12), slot, 24) == utc(2026, 6, 3, 10)


def test_next_conference_needs_an_aware_datetime():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_conference(dt.datetime(2026, 6, 1, 12), ConferenceSlot(MON, dt.time(10)))
