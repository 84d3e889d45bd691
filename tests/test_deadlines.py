"""Deadline explanations: rules, pauses, extensions, due instants and clock states."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from accord.workdays import (
    LONDON,
    ClockState,
    DueTime,
    Explanation,
    Extension,
    Nation,
    Pause,
    PauseEffect,
    Rule,
    SkippedDay,
    Unit,
    WorkingCalendar,
    add_amount,
    add_working_days,
    at_risk_from,
    compute_due,
    state_at,
    subtract_working_days,
    working_days_between,
)

ENGLAND = WorkingCalendar(Nation.ENGLAND_AND_WALES)
TWENTY_WORKING_DAYS = Rule(20, Unit.WORKING_DAYS)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def november_case(**kwargs) -> Explanation:
    # Received Mon 2 Nov 2026 10:00 (no bank holidays in November in England).
    # 20 working days = four whole weeks: Tue 3 .. Fri 6 = 4, 9-13 -> 9, 16-20 -> 14,
    # 23-27 -> 19, Mon 30 Nov = 20. Due end of Mon 30 Nov 2026.
    return compute_due(london(2026, 11, 2, 10), TWENTY_WORKING_DAYS, ENGLAND, **kwargs)


# --- Rule -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (Rule(2, Unit.WORKING_DAYS), "2 working days"),
        (Rule(1, Unit.WORKING_DAYS), "1 working day"),
        (Rule(45, Unit.CALENDAR_DAYS), "45 calendar days"),
        (Rule(1, Unit.CALENDAR_DAYS), "1 calendar day"),
        (Rule(8, Unit.WEEKS), "8 weeks"),
        (Rule(1, Unit.WEEKS), "1 week"),
        (Rule(6, Unit.MONTHS), "6 months"),
        (Rule(1, Unit.MONTHS), "1 month"),
        (Rule(0, Unit.WORKING_DAYS), "0 working days"),
    ],
)
def test_rule_describes_itself_in_plain_english(rule, text):
    assert rule.describe() == text


# --- Explanation ------------------------------------------------------------------------------


def test_explanation_lists_skipped_days_with_their_names():
    explanation = compute_due(london(2026, 12, 24, 10), Rule(2, Unit.WORKING_DAYS), ENGLAND)
    assert explanation.skipped == (
        SkippedDay(date(2026, 12, 25), "Christmas Day"),
        SkippedDay(date(2026, 12, 26), "Saturday"),
        SkippedDay(date(2026, 12, 27), "Sunday"),
        SkippedDay(date(2026, 12, 28), "Boxing Day (observed)"),
    )


def test_lines_read_as_plain_english():
    explanation = compute_due(
        london(2026, 12, 24, 10, 15), Rule(2, Unit.WORKING_DAYS), ENGLAND, basis_label="receipt"
    )
    assert explanation.lines() == [
        "Started Thursday 24 December 2026 at 10:15 (receipt).",
        "Rule: 2 working days.",
        "Skipped Friday 25 December 2026: Christmas Day.",
        "Skipped Saturday 26 December 2026: weekend.",
        "Skipped Sunday 27 December 2026: weekend.",
        "Skipped Monday 28 December 2026: Boxing Day (observed).",
        "Due by end of Wednesday 30 December 2026.",
    ]


def test_lines_explain_deemed_receipt():
    # Sat 26 Dec 2026 -> day 0 is Tue 29 Dec; Wed 30 = 1, Thu 31 = 2.
    explanation = compute_due(
        london(2026, 12, 26, 11), Rule(2, Unit.WORKING_DAYS), ENGLAND, basis_label="receipt"
    )
    assert explanation.start_date == date(2026, 12, 29)
    assert explanation.due_date == date(2026, 12, 31)
    assert explanation.lines()[:3] == [
        "Started Saturday 26 December 2026 at 11:00 (receipt).",
        "Received on Saturday 26 December 2026 (Saturday); "
        "counts as received on Tuesday 29 December 2026.",
        "Rule: 2 working days.",
    ]


def test_default_basis_label_is_start():
    assert november_case().lines()[0] == "Started Monday 2 November 2026 at 10:00 (start)."


def test_lines_show_times_in_london_whatever_zone_the_instant_was_given_in():
    # 09:00 UTC on Mon 6 Jul 2026 is 10:00 BST.
    utc_instant = datetime(2026, 7, 6, 9, 0, tzinfo=UTC)
    explanation = compute_due(utc_instant, Rule(1, Unit.WORKING_DAYS), ENGLAND)
    assert explanation.lines()[0] == "Started Monday 6 July 2026 at 10:00 (start)."


def test_zero_working_days_is_due_on_the_deemed_day_of_receipt():
    # After closing time on Fri 6 Nov -> deemed Mon 9 Nov; 0 working days -> Mon 9 Nov.
    # The weekend that deemed receipt passed over is named.
    explanation = compute_due(london(2026, 11, 6, 18), Rule(0, Unit.WORKING_DAYS), ENGLAND)
    assert explanation.due_date == date(2026, 11, 9)
    assert [s.day for s in explanation.skipped] == [date(2026, 11, 7), date(2026, 11, 8)]


# --- Pauses ------------------------------------------------------------------------------------


def test_closed_pause_moves_due_date_by_the_working_days_paused():
    # Paused Wed 4 Nov 09:00 to Fri 6 Nov 14:00: deemed Wed 4 -> Fri 6, working days
    # Wed and Thu = 2. Mon 30 Nov + 2 working days = Wed 2 Dec.
    pause = Pause(london(2026, 11, 4, 9), london(2026, 11, 6, 14), "awaiting signed consent")
    explanation = november_case(pauses=[pause])
    assert explanation.pauses == (PauseEffect(pause, 2),)
    assert explanation.due_date == date(2026, 12, 2)
    assert explanation.due_at == london(2026, 12, 3)
    assert explanation.paused_since is None
    assert (
        "Paused 2 working days (from Wednesday 4 November 2026 at 09:00 to "
        "Friday 6 November 2026 at 14:00): awaiting signed consent."
    ) in explanation.lines()


def test_pause_over_a_weekend_only_adds_no_working_days():
    # Fri 6 Nov 18:00 (after closing -> Mon 9) to Mon 9 Nov 08:00 (-> Mon 9): 0 days.
    pause = Pause(london(2026, 11, 6, 18), london(2026, 11, 9, 8), "weekend")
    explanation = november_case(pauses=[pause])
    assert explanation.pauses == (PauseEffect(pause, 0),)
    assert explanation.due_date == date(2026, 11, 30)


def test_open_pause_leaves_the_clock_paused_with_no_due_date():
    pause = Pause(london(2026, 11, 4, 9), None, "awaiting signed consent")
    explanation = november_case(pauses=[pause])
    assert explanation.due_date is None
    assert explanation.due_at is None
    assert explanation.paused_since == london(2026, 11, 4, 9)
    assert explanation.lines()[-2:] == [
        "Paused from Wednesday 4 November 2026 at 09:00, not yet resumed: awaiting signed consent.",
        "Paused since Wednesday 4 November 2026 at 09:00; the due date will move by the time paused.",
    ]


def test_open_pause_lists_only_days_skipped_before_it_started():
    # Counting ran Mon 2 Nov to the pause on Wed 11 Nov: skipped Sat 7 and Sun 8 only.
    explanation = november_case(pauses=[Pause(london(2026, 11, 11, 9), None, "consent")])
    assert [s.day for s in explanation.skipped] == [date(2026, 11, 7), date(2026, 11, 8)]


def test_pause_starting_after_the_due_instant_has_no_effect():
    # Due end of Mon 30 Nov (breached 00:00 Tue 1 Dec); a pause on 1 Dec is too late.
    late = Pause(london(2026, 12, 1, 10), london(2026, 12, 4, 10), "too late")
    explanation = november_case(pauses=[late])
    assert explanation.pauses == (PauseEffect(late, 0),)
    assert explanation.due_date == date(2026, 11, 30)


def test_open_pause_starting_after_the_due_instant_does_not_stop_a_breached_clock():
    late = Pause(london(2026, 12, 1, 0), None, "too late")
    explanation = november_case(pauses=[late])
    assert explanation.due_date == date(2026, 11, 30)
    assert explanation.paused_since is None


def test_pauses_are_applied_in_order_of_start_whatever_order_they_are_given_in():
    # Pause A (Wed 4 - Fri 6 Nov) adds 2 -> due Wed 2 Dec. Pause B starts Tue 1 Dec,
    # after the original due instant but before the moved one, so it still counts:
    # Tue 1 Dec 10:00 - Thu 3 Dec 10:00 = Tue, Wed = 2 -> Fri 4 Dec.
    a = Pause(london(2026, 11, 4, 9), london(2026, 11, 6, 14), "consent")
    b = Pause(london(2026, 12, 1, 10), london(2026, 12, 3, 10), "records")
    explanation = november_case(pauses=[b, a])
    assert explanation.pauses == (PauseEffect(a, 2), PauseEffect(b, 2))
    assert explanation.due_date == date(2026, 12, 4)


def test_overlapping_pauses_do_not_count_the_same_days_twice():
    # A: Wed 4 09:00 - Fri 6 14:00 (Wed, Thu = 2). B: Thu 5 09:00 - Mon 9 09:00, of which
    # only Fri 6 14:00 - Mon 9 09:00 is new (Fri = 1). Union Wed-Fri = 3 -> Thu 3 Dec.
    a = Pause(london(2026, 11, 4, 9), london(2026, 11, 6, 14), "consent")
    b = Pause(london(2026, 11, 5, 9), london(2026, 11, 9, 9), "records")
    explanation = november_case(pauses=[a, b])
    assert explanation.pauses == (PauseEffect(a, 2), PauseEffect(b, 1))
    assert explanation.due_date == date(2026, 12, 3)


def test_pause_on_a_calendar_day_rule_counts_calendar_days():
    # 45 calendar days from Mon 2 Nov 2026 = Thu 17 Dec. Paused Tue 10 Nov 10:00 to
    # Fri 13 Nov 09:00 = 3 calendar days -> Sun 20 Dec.
    pause = Pause(london(2026, 11, 10, 10), london(2026, 11, 13, 9), "consent")
    explanation = compute_due(
        london(2026, 11, 2, 10), Rule(45, Unit.CALENDAR_DAYS), ENGLAND, pauses=[pause]
    )
    assert explanation.pauses == (PauseEffect(pause, 3),)
    assert explanation.due_date == date(2026, 12, 20)
    assert "Paused 3 calendar days" in explanation.lines()[2]


# --- Extensions -----------------------------------------------------------------------------------


def test_extension_adds_its_amount_to_the_due_date():
    # Mon 30 Nov + 10 working days: Tue 1 .. Fri 4 Dec = 4, 7-11 -> 9, Mon 14 Dec = 10.
    ext = Extension(10, Unit.WORKING_DAYS, "complex case", london(2026, 11, 20, 12))
    explanation = november_case(extensions=[ext])
    assert explanation.extensions == (ext,)
    assert explanation.due_date == date(2026, 12, 14)
    assert "Extended by 10 working days on Friday 20 November 2026: complex case." in (
        explanation.lines()
    )
    # The skipped days now run to the extended due date.
    assert explanation.skipped[-1] == SkippedDay(date(2026, 12, 13), "Sunday")


def test_extensions_are_applied_in_order_of_when_they_were_granted():
    # Mon 30 Nov + 1 month (granted first) = Wed 30 Dec; + 2 working days: Thu 31 Dec,
    # (skip Fri 1 Jan, Sat 2, Sun 3) Mon 4 Jan 2027.
    months = Extension(1, Unit.MONTHS, "ombudsman agreed", london(2026, 11, 10))
    days = Extension(2, Unit.WORKING_DAYS, "late evidence", london(2026, 11, 20))
    explanation = november_case(extensions=[days, months])
    assert explanation.extensions == (months, days)
    assert explanation.due_date == date(2027, 1, 4)


def test_extension_while_paused_is_recorded_but_due_stays_unknown():
    pause = Pause(london(2026, 11, 4, 9), None, "consent")
    ext = Extension(5, Unit.WORKING_DAYS, "complex", london(2026, 11, 20))
    explanation = november_case(pauses=[pause], extensions=[ext])
    assert explanation.extensions == (ext,)
    assert explanation.due_date is None
    assert explanation.due_at is None


def test_extension_granted_before_a_pause_keeps_that_pause_effective():
    # Extension granted Fri 20 Nov moves due to Mon 14 Dec. A pause Wed 2 - Fri 4 Dec
    # (Wed, Thu = 2) starts after the original due date but while the extended clock
    # runs, so it counts: Mon 14 Dec + 2 = Wed 16 Dec.
    ext = Extension(10, Unit.WORKING_DAYS, "complex case", london(2026, 11, 20, 12))
    pause = Pause(london(2026, 12, 2, 10), london(2026, 12, 4, 10), "consent")
    explanation = november_case(pauses=[pause], extensions=[ext])
    assert explanation.pauses == (PauseEffect(pause, 2),)
    assert explanation.due_date == date(2026, 12, 16)


# --- Calendar-based units --------------------------------------------------------------------


def test_calendar_day_rule_counts_every_day_and_does_not_deem_receipt():
    # Received Sat 26 Dec 2026 (no deeming for calendar units): 26 Dec + 45 days:
    # 5 days to 31 Dec, 31 in January -> 36, 9 more -> Tue 9 Feb 2027.
    explanation = compute_due(london(2026, 12, 26, 11), Rule(45, Unit.CALENDAR_DAYS), ENGLAND)
    assert explanation.start_date == date(2026, 12, 26)
    assert explanation.deemed_reason is None
    assert explanation.due_date == date(2027, 2, 9)
    assert explanation.skipped == ()


def test_calendar_day_rule_may_fall_on_a_weekend():
    # Thu 24 Dec 2026 + 45 days: 7 to 31 Dec, +31 = 38 on 31 Jan, +7 -> Sun 7 Feb 2027.
    explanation = compute_due(london(2026, 12, 24, 10), Rule(45, Unit.CALENDAR_DAYS), ENGLAND)
    assert explanation.due_date == date(2027, 2, 7)


def test_eight_weeks_is_56_days_and_ignores_bank_holidays():
    # Mon 2 Nov 2026 + 56 days: +28 = Mon 30 Nov, +28 = Mon 28 Dec (Boxing Day observed).
    explanation = compute_due(london(2026, 11, 2, 10), Rule(8, Unit.WEEKS), ENGLAND)
    assert explanation.due_date == date(2026, 12, 28)
    assert explanation.lines()[-1] == "Due by end of Monday 28 December 2026."


def test_months_use_calendar_month_arithmetic():
    # 15 Jan 2026 + 6 months = 15 Jul 2026.
    explanation = compute_due(london(2026, 1, 15, 10), Rule(6, Unit.MONTHS), ENGLAND)
    assert explanation.due_date == date(2026, 7, 15)


def test_months_clamp_to_the_end_of_a_shorter_month():
    # 31 Aug 2026 + 6 months -> February 2027 has 28 days -> 28 Feb 2027.
    assert add_amount(date(2026, 8, 31), 6, Unit.MONTHS, ENGLAND) == date(2027, 2, 28)


def test_received_after_closing_time_does_not_move_a_calendar_day_rule():
    explanation = compute_due(london(2026, 11, 2, 18), Rule(1, Unit.CALENDAR_DAYS), ENGLAND)
    assert explanation.start_date == date(2026, 11, 2)
    assert explanation.due_date == date(2026, 11, 3)


# --- Due instant ------------------------------------------------------------------------------------


def test_close_of_business_due_instant_is_closing_time_on_the_due_date():
    rule = Rule(2, Unit.WORKING_DAYS, DueTime.CLOSE_OF_BUSINESS)
    explanation = compute_due(london(2026, 12, 24, 10), rule, ENGLAND)
    assert explanation.due_at == london(2026, 12, 30, 17)
    assert explanation.lines()[-1] == (
        "Due by close of business (17:00) on Wednesday 30 December 2026."
    )


def test_close_of_business_uses_the_calendars_closing_time():
    calendar = WorkingCalendar(Nation.SCOTLAND, closing_time=time(16, 30))
    rule = Rule(1, Unit.WORKING_DAYS, DueTime.CLOSE_OF_BUSINESS)
    # Mon 2 Nov 2026 10:00 + 1 working day = Tue 3 Nov, 16:30.
    explanation = compute_due(london(2026, 11, 2, 10), rule, calendar)
    assert explanation.due_at == london(2026, 11, 3, 16, 30)
    assert explanation.lines()[-1] == "Due by close of business (16:30) on Tuesday 3 November 2026."


def test_end_of_day_due_instant_is_the_following_local_midnight():
    explanation = november_case()
    assert explanation.due_at == london(2026, 12, 1)


# --- At risk and clock states -----------------------------------------------------------------


def test_at_risk_from_goes_back_over_working_days_across_a_weekend():
    # Due Mon 30 Nov 2026. Two working days before: Fri 27 (1), Thu 26 (2).
    explanation = november_case()
    assert at_risk_from(explanation, 2, ENGLAND) == london(2026, 11, 26)
    assert at_risk_from(explanation, 1, ENGLAND) == london(2026, 11, 27)
    assert at_risk_from(explanation, 0, ENGLAND) == london(2026, 11, 30)


def test_at_risk_from_is_none_while_paused():
    explanation = november_case(pauses=[Pause(london(2026, 11, 4, 9), None, "consent")])
    assert at_risk_from(explanation, 2, ENGLAND) is None


def state(now: datetime, explanation: Explanation, stopped_at: datetime | None = None):
    return state_at(now, explanation, stopped_at=stopped_at, lead_working_days=2, calendar=ENGLAND)


def test_clock_is_running_before_the_at_risk_point():
    assert state(london(2026, 11, 25, 23, 59), november_case()) is ClockState.RUNNING


def test_clock_is_at_risk_from_the_start_of_the_lead_day():
    assert state(london(2026, 11, 26), november_case()) is ClockState.AT_RISK
    assert state(london(2026, 11, 30, 23, 59), november_case()) is ClockState.AT_RISK


def test_clock_is_breached_from_the_due_instant():
    assert state(london(2026, 12, 1), november_case()) is ClockState.BREACHED


def test_clock_is_paused_while_a_pause_is_open():
    explanation = november_case(pauses=[Pause(london(2026, 11, 4, 9), None, "consent")])
    assert state(london(2027, 6, 1), explanation) is ClockState.PAUSED


def test_stopped_clock_is_met_if_stopped_before_the_due_instant():
    due_at = london(2026, 12, 1)
    stopped = due_at - timedelta(seconds=1)
    assert state(london(2027, 1, 1), november_case(), stopped) is ClockState.MET


def test_stopped_clock_is_breached_if_stopped_at_or_after_the_due_instant():
    assert state(london(2027, 1, 1), november_case(), london(2026, 12, 1)) is ClockState.BREACHED


def test_clock_stopped_while_paused_is_met():
    explanation = november_case(pauses=[Pause(london(2026, 11, 4, 9), None, "consent")])
    assert state(london(2027, 1, 1), explanation, london(2026, 12, 20)) is ClockState.MET


# --- Working-day arithmetic -----------------------------------------------------------------------


def test_add_working_days_zero_returns_start_even_on_a_non_working_day():
    assert add_working_days(date(2026, 12, 25), 0, ENGLAND) == date(2026, 12, 25)


def test_subtract_working_days_skips_back_over_holidays():
    # Tue 29 Dec 2026 back 1: skip Mon 28 (Boxing Day observed), Sun 27, Sat 26,
    # Fri 25 (Christmas) -> Thu 24 Dec.
    assert subtract_working_days(date(2026, 12, 29), 1, ENGLAND) == date(2026, 12, 24)


def test_working_days_between_counts_first_but_not_end():
    # Thu 24 Dec 2026 (counted) .. Thu 31 Dec (not counted): 24, 29, 30 = 3.
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 31), ENGLAND) == 3
    assert working_days_between(date(2026, 12, 31), date(2026, 12, 24), ENGLAND) == 0


# --- Bad inputs ---------------------------------------------------------------------------------


def test_negative_rule_amount_is_rejected():
    with pytest.raises(ValueError, match="must not be negative"):
        Rule(-1, Unit.WORKING_DAYS)


def test_negative_amounts_are_rejected_by_the_arithmetic():
    with pytest.raises(ValueError, match="must not be negative"):
        add_working_days(date(2026, 11, 2), -1, ENGLAND)
    with pytest.raises(ValueError, match="must not be negative"):
        add_amount(date(2026, 11, 2), -3, Unit.CALENDAR_DAYS, ENGLAND)
    with pytest.raises(ValueError, match="must not be negative"):
        Extension(-5, Unit.WORKING_DAYS, "oops", london(2026, 11, 2))


def test_pause_ending_before_it_starts_is_rejected():
    with pytest.raises(ValueError, match="before it starts"):
        Pause(london(2026, 11, 6), london(2026, 11, 4), "backwards")


def test_naive_start_instant_is_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_due(datetime(2026, 11, 2, 10), TWENTY_WORKING_DAYS, ENGLAND)


# --- Calendar coverage -------------------------------------------------------------------------


def test_a_due_date_past_the_confirmed_holidays_is_provisional():
    calendar = WorkingCalendar(
        Nation.ENGLAND_AND_WALES, holidays_confirmed_through=date(2027, 12, 31)
    )
    inside = compute_due(london(2027, 12, 20, 10), Rule(5, Unit.WORKING_DAYS), calendar)
    assert inside.provisional == ()
    # 10 working days from Monday 20 December 2027 run into January 2028.
    beyond = compute_due(london(2027, 12, 20, 10), Rule(10, Unit.WORKING_DAYS), calendar)
    assert beyond.provisional == ("bank holidays are confirmed only until Friday 31 December 2027",)
    assert beyond.lines()[-1].startswith("Provisional: bank holidays are confirmed only until")


def test_a_due_date_past_the_published_closure_days_is_provisional():
    calendar = WorkingCalendar(Nation.SCOTLAND, closures_published_through=date(2026, 12, 31))
    explanation = compute_due(london(2026, 12, 29, 10), Rule(4, Unit.WORKING_DAYS), calendar)
    assert explanation.provisional == (
        "the organisation has published its closure days only until Thursday 31 December 2026",
    )


def test_calendar_day_clocks_do_not_depend_on_holidays_and_are_never_provisional():
    calendar = WorkingCalendar(
        Nation.ENGLAND_AND_WALES, holidays_confirmed_through=date(2026, 12, 31)
    )
    explanation = compute_due(london(2026, 12, 20, 10), Rule(45, Unit.CALENDAR_DAYS), calendar)
    assert explanation.provisional == ()


def test_a_provisional_due_date_logs_a_warning(caplog):
    calendar = WorkingCalendar(
        Nation.ENGLAND_AND_WALES, holidays_confirmed_through=date(2026, 12, 31)
    )
    with caplog.at_level("WARNING", logger="accord.workdays.deadlines"):
        compute_due(london(2026, 12, 30, 10), Rule(5, Unit.WORKING_DAYS), calendar)
    assert "provisional due date 2027-01-07" in caplog.text
