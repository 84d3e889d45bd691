"""One way of writing a deadline (`accord.workdays.wording`): the end of a day for a
working-day clock, the day and time for any other instant, in Europe/London whatever
the instant's own zone, and how near it is in working days."""

from __future__ import annotations

import datetime as dt

from accord.workdays.calendar import LONDON, Nation, WorkingCalendar
from accord.workdays.wording import (
    DueWords,
    due_day_words,
    due_words,
    last_day,
    month_label,
    opens_words,
    short_day,
    short_instant,
)

UTC = dt.UTC
ENGLAND = WorkingCalendar(Nation.ENGLAND_AND_WALES)
SCOTLAND = WorkingCalendar(Nation.SCOTLAND)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def test_an_instant_at_local_midnight_is_the_end_of_the_day_before():
    # What a working-day clock due on Friday 4 December 2026 is stored as.
    words = due_words(local(2026, 12, 5))
    assert words.text == "by the end of Friday 4 December 2026"
    assert "00:00" not in str(words)
    assert last_day(local(2026, 12, 5)) == dt.date(2026, 12, 4)


def test_any_other_instant_is_the_day_and_time_it_is():
    assert due_words(local(2026, 12, 4, 17)).text == "by 17:00 on Friday 4 December 2026"
    # Given in UTC, written in London time (British Summer Time in June).
    june = dt.datetime(2026, 6, 1, 9, 15, tzinfo=UTC)
    assert due_words(june).text == "by 10:15 on Monday 1 June 2026"


def test_the_end_of_october_when_the_clocks_go_back():
    # Sunday 25 October 2026: BST ends. Midnight starting the 25th is 23:00 UTC on the
    # 24th; midnight starting the 26th is 00:00 UTC.
    assert (
        due_words(dt.datetime(2026, 10, 24, 23, tzinfo=UTC)).text
        == "by the end of Saturday 24 October 2026"
    )
    assert (
        due_words(dt.datetime(2026, 10, 26, 0, tzinfo=UTC)).text
        == "by the end of Sunday 25 October 2026"
    )
    # 01:30 happens twice that night; both are on Sunday, neither is midnight.
    first = dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert due_words(first).text == "by 01:30 on Sunday 25 October 2026"
    assert due_words(second).text == "by 01:30 on Sunday 25 October 2026"


def test_the_end_of_march_when_the_clocks_go_forward():
    # Sunday 29 March 2026: BST starts. Midnight starting the 30th is 23:00 UTC on the 29th.
    assert (
        due_words(dt.datetime(2026, 3, 29, 23, tzinfo=UTC)).text
        == "by the end of Sunday 29 March 2026"
    )
    assert (
        due_words(dt.datetime(2026, 3, 29, 0, tzinfo=UTC)).text
        == "by the end of Saturday 28 March 2026"
    )
    # A day that is 23 hours long still counts as one day overdue.
    words = due_words(
        local(2026, 3, 30), now=dt.datetime(2026, 3, 30, 12, tzinfo=UTC), calendar=ENGLAND
    )
    assert words.relative == "1 day overdue"


def test_how_near_it_is():
    due = local(2026, 12, 5)  # the end of Friday 4 December
    near = {
        local(2026, 12, 4, 9): "today",
        local(2026, 12, 3, 9): "tomorrow",
        local(2026, 12, 2, 9): "2 working days left",
        local(2026, 11, 27, 9): "5 working days left",  # a weekend in between
        local(2026, 12, 5, 0): "1 day overdue",
        local(2026, 12, 7, 9): "3 days overdue",
    }
    for now, expected in near.items():
        assert due_words(due, now=now, calendar=ENGLAND).relative == expected, now
    assert due_words(due, now=local(2026, 12, 7, 9), calendar=ENGLAND).overdue
    assert not due_words(due, now=local(2026, 12, 4, 23, 59), calendar=ENGLAND).overdue
    # Passed earlier the same day: overdue, not "0 days overdue".
    assert due_words(local(2026, 12, 4, 17), now=local(2026, 12, 4, 18)).relative == "overdue"


def test_bank_holidays_are_not_working_days_left():
    # From Christmas Eve 2026 to the end of Tuesday 29 December: Christmas Day (Friday),
    # the weekend and Boxing Day observed (Monday 28th) are skipped.
    due = local(2026, 12, 30)
    now = local(2026, 12, 24, 10)
    assert due_words(due, now=now, calendar=ENGLAND).relative == "1 working day left"
    assert due_words(due, now=now, calendar=SCOTLAND).relative == "1 working day left"
    # Without a calendar it can only count days.
    assert due_words(due, now=now).relative == "5 days left"
    # St Andrew's Day (Monday 30 November 2026) is a holiday in Scotland only.
    due = local(2026, 12, 2)  # the end of Tuesday 1 December
    now = local(2026, 11, 27, 10)  # Friday
    assert due_words(due, now=now, calendar=ENGLAND).relative == "2 working days left"
    assert due_words(due, now=now, calendar=SCOTLAND).relative == "1 working day left"


def test_a_day_something_is_due_on_reads_like_a_clock():
    # An agreed action or a proposal's answer-by date: due by the end of that day,
    # the same words a working-day clock due that day gets.
    words = due_day_words(dt.date(2026, 12, 4), today=dt.date(2026, 12, 2), calendar=ENGLAND)
    assert words == DueWords("by the end of Friday 4 December 2026", "2 working days left")
    assert words.text == due_words(local(2026, 12, 5)).text
    assert str(words) == "by the end of Friday 4 December 2026 (2 working days left)"
    late = due_day_words(dt.date(2026, 12, 4), today=dt.date(2026, 12, 7))
    assert (late.relative, late.overdue) == ("3 days overdue", True)
    assert due_day_words(dt.date(2026, 12, 4)).relative == ""


def test_when_something_opens():
    assert opens_words(local(2027, 12, 3)) == "from the end of Thursday 2 December 2027"
    assert opens_words(local(2027, 12, 2, 10, 15)) == "from 10:15 on Thursday 2 December 2027"


def test_months_and_short_forms():
    assert month_label(dt.date(2026, 1, 1)) == "Jan 2026"
    assert month_label(dt.date(2025, 9, 30)) == "Sep 2025"
    assert short_day(dt.date(2026, 12, 4)) == "4 Dec 2026"
    assert short_instant(dt.datetime(2026, 7, 1, 9, 5, tzinfo=UTC)) == "1 Jul 2026, 10:05"
