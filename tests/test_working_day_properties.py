"""Properties of working-day arithmetic that must hold for every date, nation and closure set."""

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.workdays import (
    LONDON,
    Nation,
    Pause,
    Rule,
    Unit,
    WorkingCalendar,
    add_working_days,
    compute_due,
    working_days_between,
)

DATES = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
COUNTS = st.integers(min_value=0, max_value=60)
POSITIVE_COUNTS = st.integers(min_value=1, max_value=60)

# Closures are drawn near the dates under test so they actually get in the way;
# a closure somewhere in 2020-2035 would almost never be crossed.
CLOSURE_OFFSETS = st.sets(st.integers(min_value=0, max_value=120), max_size=15)


@st.composite
def calendars_and_days(draw: st.DrawFn) -> tuple[WorkingCalendar, date]:
    day = draw(DATES)
    offsets = draw(CLOSURE_OFFSETS)
    closures = {day + timedelta(days=offset): f"closure {offset}" for offset in offsets}
    calendar = WorkingCalendar(draw(st.sampled_from(Nation)), closures=closures)
    return calendar, day


@st.composite
def working_day_starts(draw: st.DrawFn) -> tuple[WorkingCalendar, date]:
    calendar, day = draw(calendars_and_days())
    # Move to a working day rather than filtering, so no examples are thrown away.
    if not calendar.is_working_day(day):
        day = calendar.next_working_day(day)
    return calendar, day


def instant(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=LONDON) + timedelta(minutes=minutes)


@settings(max_examples=300, deadline=None)
@given(calendars_and_days(), POSITIVE_COUNTS)
def test_a_due_date_in_working_days_is_a_working_day(cal_day, n):
    calendar, day = cal_day
    assert calendar.is_working_day(add_working_days(day, n, calendar))


@settings(max_examples=300, deadline=None)
@given(calendars_and_days(), COUNTS, COUNTS)
def test_adding_n_then_m_working_days_equals_adding_n_plus_m(cal_day, n, m):
    calendar, day = cal_day
    stepwise = add_working_days(add_working_days(day, n, calendar), m, calendar)
    assert stepwise == add_working_days(day, n + m, calendar)


@settings(max_examples=300, deadline=None)
@given(working_day_starts(), COUNTS)
def test_working_days_between_inverts_add_working_days_from_a_working_day(cal_day, n):
    calendar, day = cal_day
    assert working_days_between(day, add_working_days(day, n, calendar), calendar) == n


@settings(max_examples=300, deadline=None)
@given(calendars_and_days(), COUNTS)
def test_due_date_is_strictly_increasing_in_the_number_of_working_days(cal_day, n):
    calendar, day = cal_day
    assert add_working_days(day, n, calendar) < add_working_days(day, n + 1, calendar)


@settings(max_examples=300, deadline=None)
@given(
    calendars_and_days(),
    st.integers(min_value=0, max_value=60 * 24 - 1),
    st.sampled_from(Unit),
    COUNTS,
    st.integers(min_value=0, max_value=90 * 24 * 60),
    st.integers(min_value=0, max_value=30 * 24 * 60),
)
def test_a_pause_never_brings_a_due_date_earlier(
    cal_day, start_minute, unit, amount, pause_offset, pause_length
):
    calendar, day = cal_day
    started_at = instant(day, start_minute)
    pause_start = started_at + timedelta(minutes=pause_offset)
    pause = Pause(pause_start, pause_start + timedelta(minutes=pause_length), "random")
    rule = Rule(amount, unit)

    without = compute_due(started_at, rule, calendar)
    with_pause = compute_due(started_at, rule, calendar, pauses=[pause])

    assert without.due_date is not None
    assert with_pause.due_date is not None
    assert with_pause.due_date >= without.due_date
    assert with_pause.pauses[0].days_added >= 0


@settings(max_examples=300, deadline=None)
@given(calendars_and_days(), st.integers(min_value=0, max_value=60 * 24 - 1), COUNTS)
def test_skipped_days_are_the_non_working_days_passed_over_in_order(cal_day, minute, n):
    calendar, day = cal_day
    explanation = compute_due(instant(day, minute), Rule(n, Unit.WORKING_DAYS), calendar)
    assert explanation.due_date is not None
    days = [s.day for s in explanation.skipped]
    # Exactly the non-working days from the day it arrived up to the due date, in order:
    # those deemed receipt passed over and those passed over while counting.
    received_on = calendar.local_date(explanation.started_at)
    expected = [
        received_on + timedelta(days=offset)
        for offset in range((explanation.due_date - received_on).days)
        if not calendar.is_working_day(received_on + timedelta(days=offset))
    ]
    assert days == expected
    # Every calendar day between start and due is either counted or skipped.
    after_start = [d for d in days if d > explanation.start_date]
    span = (explanation.due_date - explanation.start_date).days - 1
    assert len(after_start) + max(n - 1, 0) == max(span, 0)
