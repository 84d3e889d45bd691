"""Hand-checked calendar facts for UK working days, bank holidays and deemed receipt.

Every expected date below is worked out by hand in a comment, so a failure
means either the code or the published bank holidays changed.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from accord.workdays import (
    LONDON,
    Nation,
    Rule,
    SkippedDay,
    Unit,
    WorkingCalendar,
    add_working_days,
    compute_due,
    format_day,
)

ENGLAND = WorkingCalendar(Nation.ENGLAND_AND_WALES)
SCOTLAND = WorkingCalendar(Nation.SCOTLAND)
NORTHERN_IRELAND = WorkingCalendar(Nation.NORTHERN_IRELAND)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def due_date(calendar: WorkingCalendar, received: datetime, days: int) -> date | None:
    return compute_due(received, Rule(days, Unit.WORKING_DAYS), calendar).due_date


# --- The regulations' worked example ------------------------------------------------


def test_regulations_example_two_working_days_from_christmas_eve_is_30_december():
    # Received Thu 24 Dec 2026 10:00 (a working day, before 17:00) -> day 0 = 24 Dec.
    # Fri 25 Christmas Day, Sat 26, Sun 27, Mon 28 Boxing Day (observed): skipped.
    # Tue 29 = 1, Wed 30 = 2 -> due Wed 30 Dec, breached at local midnight 31 Dec.
    explanation = compute_due(
        london(2026, 12, 24, 10), Rule(2, Unit.WORKING_DAYS), ENGLAND, basis_label="receipt"
    )
    assert explanation.start_date == date(2026, 12, 24)
    assert explanation.deemed_reason is None
    assert explanation.due_date == date(2026, 12, 30)
    assert explanation.due_at == datetime(2026, 12, 31, 0, 0, tzinfo=LONDON)
    assert [(s.day, s.reason) for s in explanation.skipped] == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 26), "Saturday"),
        (date(2026, 12, 27), "Sunday"),
        (date(2026, 12, 28), "Boxing Day (observed)"),
    ]


# --- England and Wales across Christmas and New Year 2026/27 -------------------------


def test_england_four_working_days_from_23_december_2026_is_31_december():
    # Day 0 Wed 23 Dec. Thu 24 = 1; skip 25 (Christmas), 26 (Sat), 27 (Sun),
    # 28 (Boxing Day observed); Tue 29 = 2, Wed 30 = 3, Thu 31 = 4.
    assert due_date(ENGLAND, london(2026, 12, 23, 10), 4) == date(2026, 12, 31)


def test_england_five_working_days_from_23_december_2026_crosses_new_year_to_4_january():
    # As above to Thu 31 Dec = 4; skip Fri 1 Jan 2027 (New Year's Day), Sat 2, Sun 3;
    # Mon 4 Jan = 5.
    explanation = compute_due(london(2026, 12, 23, 10), Rule(5, Unit.WORKING_DAYS), ENGLAND)
    assert explanation.due_date == date(2027, 1, 4)
    assert SkippedDay(date(2027, 1, 1), "New Year's Day") in explanation.skipped


def test_england_ten_working_days_from_christmas_eve_2026():
    # Day 0 Thu 24 Dec. Skip 25-28. Tue 29 = 1, Wed 30 = 2, Thu 31 = 3; skip Fri 1 Jan,
    # Sat 2, Sun 3; Mon 4 = 4, Tue 5 = 5, Wed 6 = 6, Thu 7 = 7, Fri 8 = 8; skip 9, 10;
    # Mon 11 = 9, Tue 12 = 10.
    assert due_date(ENGLAND, london(2026, 12, 24, 10), 10) == date(2027, 1, 12)


def test_wales_uses_the_england_and_wales_bank_holidays():
    assert Nation.ENGLAND_AND_WALES.label == "England and Wales"
    assert ENGLAND.non_working_reason(date(2026, 8, 31)) == "Late Summer Bank Holiday"


def test_nation_labels():
    assert [n.label for n in Nation] == ["England and Wales", "Scotland", "Northern Ireland"]


# --- Scotland ----------------------------------------------------------------------------


def test_scotland_2_january_2026_is_a_bank_holiday_but_not_in_england():
    assert SCOTLAND.non_working_reason(date(2026, 1, 2)) == "New Year Holiday"
    assert ENGLAND.is_working_day(date(2026, 1, 2))


def test_scotland_one_working_day_from_31_december_2025_skips_both_new_year_days():
    # Day 0 Wed 31 Dec 2025. Scotland: skip Thu 1 Jan, Fri 2 Jan (New Year Holiday),
    # Sat 3, Sun 4 -> Mon 5 Jan = 1. England: Fri 2 Jan = 1.
    assert due_date(SCOTLAND, london(2025, 12, 31, 10), 1) == date(2026, 1, 5)
    assert due_date(ENGLAND, london(2025, 12, 31, 10), 1) == date(2026, 1, 2)


def test_scotland_2027_new_year_holiday_on_saturday_is_observed_on_monday_4_january():
    # 1 Jan 2027 is a Friday, so 2 Jan is a Saturday and the holiday moves to Mon 4 Jan.
    assert SCOTLAND.non_working_reason(date(2027, 1, 1)) == "New Year's Day"
    assert SCOTLAND.non_working_reason(date(2027, 1, 2)) == "Saturday"
    assert SCOTLAND.non_working_reason(date(2027, 1, 4)) == "New Year Holiday (observed)"
    assert ENGLAND.is_working_day(date(2027, 1, 4))


def test_scotland_five_working_days_from_23_december_2026_is_a_day_later_than_england():
    # Day 0 Wed 23 Dec. Thu 24 = 1; skip 25-28; 29 = 2, 30 = 3, 31 = 4; skip Fri 1 Jan,
    # Sat 2, Sun 3 and (Scotland only) Mon 4 Jan -> Tue 5 Jan = 5. England: Mon 4 Jan.
    assert due_date(SCOTLAND, london(2026, 12, 23, 10), 5) == date(2027, 1, 5)
    assert due_date(ENGLAND, london(2026, 12, 23, 10), 5) == date(2027, 1, 4)


def test_st_andrews_day_30_november_2026_is_a_holiday_in_scotland_only():
    # Received Fri 27 Nov 2026 10:00, 1 working day. Skip Sat 28, Sun 29.
    # Scotland also skips Mon 30 (St Andrew's Day) -> Tue 1 Dec; England -> Mon 30 Nov.
    assert SCOTLAND.non_working_reason(date(2026, 11, 30)) == "Saint Andrew's Day"
    assert ENGLAND.is_working_day(date(2026, 11, 30))
    assert NORTHERN_IRELAND.is_working_day(date(2026, 11, 30))
    assert due_date(SCOTLAND, london(2026, 11, 27, 10), 1) == date(2026, 12, 1)
    assert due_date(ENGLAND, london(2026, 11, 27, 10), 1) == date(2026, 11, 30)


def test_scotland_has_no_easter_monday():
    # Received Thu 2 Apr 2026 10:00, 1 working day. Fri 3 Apr is Good Friday everywhere;
    # skip Sat 4, Sun 5. Scotland: Mon 6 Apr = 1. England skips Easter Monday -> Tue 7 Apr.
    assert SCOTLAND.is_working_day(date(2026, 4, 6))
    assert ENGLAND.non_working_reason(date(2026, 4, 6)) == "Easter Monday"
    assert due_date(SCOTLAND, london(2026, 4, 2, 10), 1) == date(2026, 4, 6)
    assert due_date(ENGLAND, london(2026, 4, 2, 10), 1) == date(2026, 4, 7)


def test_scotland_summer_holiday_is_the_first_monday_of_august():
    # 3 Aug 2026 is the first Monday of August; England's is the last (31 Aug).
    assert SCOTLAND.non_working_reason(date(2026, 8, 3)) == "Summer Bank Holiday"
    assert ENGLAND.is_working_day(date(2026, 8, 3))
    assert SCOTLAND.is_working_day(date(2026, 8, 31))


# --- Northern Ireland --------------------------------------------------------------------


def test_northern_ireland_st_patricks_day_17_march_2026():
    # Received Mon 16 Mar 2026 10:00, 1 working day: NI skips Tue 17 -> Wed 18 Mar;
    # England -> Tue 17 Mar, an ordinary working day there.
    assert NORTHERN_IRELAND.non_working_reason(date(2026, 3, 17)) == "Saint Patrick's Day"
    assert ENGLAND.is_working_day(date(2026, 3, 17))
    assert due_date(NORTHERN_IRELAND, london(2026, 3, 16, 10), 1) == date(2026, 3, 18)
    assert due_date(ENGLAND, london(2026, 3, 16, 10), 1) == date(2026, 3, 17)


def test_northern_ireland_battle_of_the_boyne_on_sunday_is_observed_on_monday_13_july_2026():
    # Sun 12 Jul 2026 reports as a Sunday; the holiday is observed on Mon 13 Jul.
    # Received Fri 10 Jul 10:00, 1 working day: NI skips 11, 12, 13 -> Tue 14 Jul;
    # England skips 11, 12 -> Mon 13 Jul.
    assert NORTHERN_IRELAND.non_working_reason(date(2026, 7, 12)) == "Sunday"
    assert (
        NORTHERN_IRELAND.non_working_reason(date(2026, 7, 13)) == "Battle of the Boyne (observed)"
    )
    assert ENGLAND.is_working_day(date(2026, 7, 13))
    assert due_date(NORTHERN_IRELAND, london(2026, 7, 10, 10), 1) == date(2026, 7, 14)
    assert due_date(ENGLAND, london(2026, 7, 10, 10), 1) == date(2026, 7, 13)


# --- Reasons and their precedence -----------------------------------------------------------


def test_weekend_is_reported_rather_than_a_holiday_falling_on_it():
    # Boxing Day 2026 is a Saturday; the holidays package lists it there too.
    assert ENGLAND.non_working_reason(date(2026, 12, 26)) == "Saturday"
    assert ENGLAND.non_working_reason(date(2026, 12, 27)) == "Sunday"


def test_bank_holiday_takes_precedence_over_an_organisation_closure():
    calendar = WorkingCalendar(
        Nation.ENGLAND_AND_WALES,
        closures={date(2026, 12, 25): "Christmas shutdown", date(2026, 12, 26): "Shutdown"},
    )
    assert calendar.non_working_reason(date(2026, 12, 25)) == "Christmas Day"
    assert calendar.non_working_reason(date(2026, 12, 26)) == "Saturday"


def test_organisation_closure_day_is_not_a_working_day():
    calendar = WorkingCalendar(
        Nation.ENGLAND_AND_WALES, closures={date(2026, 11, 4): "Office move"}
    )
    assert calendar.non_working_reason(date(2026, 11, 4)) == "Closure: Office move"
    assert ENGLAND.is_working_day(date(2026, 11, 4))
    # Day 0 Mon 2 Nov; Tue 3 = 1; skip Wed 4 (closure); Thu 5 = 2.
    assert add_working_days(date(2026, 11, 2), 2, calendar) == date(2026, 11, 5)


def test_closures_are_copied_so_later_changes_to_the_callers_dict_do_not_leak_in():
    closures = {date(2026, 11, 4): "Office move"}
    calendar = WorkingCalendar(Nation.ENGLAND_AND_WALES, closures=closures)
    closures[date(2026, 11, 5)] = "Added later"
    assert calendar.is_working_day(date(2026, 11, 5))
    assert hash(calendar) == hash(
        WorkingCalendar(Nation.ENGLAND_AND_WALES, closures={date(2026, 11, 4): "Office move"})
    )


def test_next_working_day_is_strictly_after_the_given_day():
    # Thu 24 Dec 2026 -> skip 25, 26, 27, 28 -> Tue 29 Dec.
    assert ENGLAND.next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    assert ENGLAND.next_working_day(date(2026, 11, 2)) == date(2026, 11, 3)


def test_a_datetime_is_refused_where_a_day_is_expected():
    with pytest.raises(TypeError):
        ENGLAND.non_working_reason(london(2026, 12, 25))


def test_naive_datetimes_are_refused_for_instants():
    with pytest.raises(ValueError, match="timezone-aware"):
        ENGLAND.deemed_receipt(datetime(2026, 12, 24, 10))


def test_format_day_does_not_zero_pad_and_uses_english_names():
    assert format_day(date(2027, 1, 4)) == "Monday 4 January 2027"


# --- Deemed receipt -----------------------------------------------------------------------


def test_received_on_a_saturday_counts_as_received_on_the_next_working_day():
    # Sat 26 Dec 2026 -> Sun 27, Mon 28 (Boxing Day observed) -> Tue 29 Dec.
    day, reason = ENGLAND.deemed_receipt(london(2026, 12, 26, 11))
    assert day == date(2026, 12, 29)
    assert reason == (
        "received on Saturday 26 December 2026 (Saturday); "
        "counts as received on Tuesday 29 December 2026"
    )


def test_received_after_closing_time_counts_as_received_next_working_day():
    # Mon 2 Nov 2026 17:30 is after 17:00 -> Tue 3 Nov.
    day, reason = ENGLAND.deemed_receipt(london(2026, 11, 2, 17, 30))
    assert day == date(2026, 11, 3)
    assert reason == (
        "received after closing time (17:00) on Monday 2 November 2026; "
        "counts as received on Tuesday 3 November 2026"
    )


def test_received_after_closing_time_on_friday_counts_from_monday():
    # Fri 6 Nov 2026 18:00 -> skip Sat 7, Sun 8 -> Mon 9 Nov.
    assert ENGLAND.deemed_receipt(london(2026, 11, 6, 18))[0] == date(2026, 11, 9)


def test_received_exactly_at_closing_time_counts_as_next_working_day():
    assert ENGLAND.deemed_receipt(london(2026, 11, 2, 17, 0))[0] == date(2026, 11, 3)


def test_received_just_before_closing_time_counts_that_day():
    just_before = london(2026, 11, 2, 17, 0) - timedelta(seconds=1)
    assert ENGLAND.deemed_receipt(just_before) == (date(2026, 11, 2), None)


def test_received_on_an_organisation_closure_day():
    calendar = WorkingCalendar(
        Nation.ENGLAND_AND_WALES, closures={date(2026, 11, 4): "Office move"}
    )
    day, reason = calendar.deemed_receipt(london(2026, 11, 4, 9))
    assert day == date(2026, 11, 5)
    assert reason == (
        "received on Wednesday 4 November 2026 (Closure: Office move); "
        "counts as received on Thursday 5 November 2026"
    )


def test_custom_closing_time():
    calendar = WorkingCalendar(Nation.ENGLAND_AND_WALES, closing_time=time(16, 30))
    day, reason = calendar.deemed_receipt(london(2026, 11, 2, 16, 45))
    assert day == date(2026, 11, 3)
    assert reason is not None
    assert reason.startswith("received after closing time (16:30)")


def test_deemed_receipt_uses_london_time_not_the_instants_own_zone():
    # 16:30 UTC on Mon 6 Jul 2026 is 17:30 BST: after closing time in London.
    assert ENGLAND.deemed_receipt(datetime(2026, 7, 6, 16, 30, tzinfo=UTC))[0] == date(2026, 7, 7)
    # 23:30 UTC on Thu 2 Jul 2026 is 00:30 BST on Fri 3 Jul.
    assert ENGLAND.local_date(datetime(2026, 7, 2, 23, 30, tzinfo=UTC)) == date(2026, 7, 3)
    # In winter London is on GMT, so 16:30 UTC is 16:30 local: before closing time.
    assert ENGLAND.deemed_receipt(datetime(2026, 11, 2, 16, 30, tzinfo=UTC))[0] == date(2026, 11, 2)


# --- Clock changes ----------------------------------------------------------------------------


def test_due_at_is_local_midnight_after_clocks_go_back_on_25_october_2026():
    # Clocks go back at 02:00 BST on Sun 25 Oct 2026.
    # Received Thu 22 Oct 10:00; Fri 23 = 1; skip Sat 24, Sun 25; Mon 26 = 2.
    # Due end of Mon 26 -> midnight starting Tue 27 Oct, which is GMT (00:00 UTC).
    explanation = compute_due(london(2026, 10, 22, 10), Rule(2, Unit.WORKING_DAYS), ENGLAND)
    assert explanation.due_date == date(2026, 10, 26)
    assert explanation.due_at is not None
    assert explanation.due_at.astimezone(UTC) == datetime(2026, 10, 27, 0, 0, tzinfo=UTC)
    assert explanation.due_at.astimezone(LONDON).time() == time(0, 0)


def test_due_at_on_the_day_the_clocks_go_back_is_local_midnight_not_24_hours_later():
    # A calendar-day rule can fall on Sun 25 Oct 2026, a 25-hour day:
    # Thu 22 Oct + 3 days = Sun 25 Oct. It starts at 23:00 UTC on the 24th (BST)
    # and is breached at 00:00 UTC on the 26th (GMT).
    explanation = compute_due(london(2026, 10, 22, 10), Rule(3, Unit.CALENDAR_DAYS), ENGLAND)
    assert explanation.due_date == date(2026, 10, 25)
    assert explanation.due_at is not None
    assert explanation.due_at.astimezone(UTC) == datetime(2026, 10, 26, 0, 0, tzinfo=UTC)


def test_due_at_is_local_midnight_after_clocks_go_forward_on_28_march_2027():
    # Clocks go forward at 01:00 GMT on Sun 28 Mar 2027 (Easter Sunday).
    # Received Wed 24 Mar 10:00; Thu 25 = 1; skip Fri 26 (Good Friday), Sat 27, Sun 28,
    # Mon 29 (Easter Monday); Tue 30 = 2. Midnight starting Wed 31 Mar is BST = 23:00 UTC.
    explanation = compute_due(london(2027, 3, 24, 10), Rule(2, Unit.WORKING_DAYS), ENGLAND)
    assert explanation.due_date == date(2027, 3, 30)
    assert explanation.due_at is not None
    assert explanation.due_at.astimezone(UTC) == datetime(2027, 3, 30, 23, 0, tzinfo=UTC)


def test_due_at_on_the_day_the_clocks_go_forward_is_local_midnight():
    # Thu 25 Mar 2027 + 3 calendar days = Sun 28 Mar, a 23-hour day: breached at
    # 00:00 BST on Mon 29 Mar = 23:00 UTC on Sun 28 Mar.
    explanation = compute_due(london(2027, 3, 25, 10), Rule(3, Unit.CALENDAR_DAYS), ENGLAND)
    assert explanation.due_date == date(2027, 3, 28)
    assert explanation.due_at is not None
    assert explanation.due_at.astimezone(UTC) == datetime(2027, 3, 28, 23, 0, tzinfo=UTC)
