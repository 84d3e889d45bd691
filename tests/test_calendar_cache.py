"""The organisation's working-day calendar is kept per process (intake asks for it with
every complaint) but always answers from the current closure days, nation and closing
time: whatever changes them, the next calendar sees it; nothing stale is ever served."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from accord.organisations.calendar import calendar_for
from accord.organisations.models import ClosureDay

pytestmark = pytest.mark.django_db

CHRISTMAS_EVE = dt.date(2026, 12, 24)


def test_the_same_calendar_is_reused_while_nothing_changes(ocasa) -> None:
    assert calendar_for(ocasa) is calendar_for(ocasa)


def test_a_closure_day_added_renamed_or_removed_is_seen_at_once(ocasa) -> None:
    assert calendar_for(ocasa).is_working_day(CHRISTMAS_EVE)
    day = ClosureDay.objects.create(organisation=ocasa, date=CHRISTMAS_EVE, name="Office move")
    assert calendar_for(ocasa).non_working_reason(CHRISTMAS_EVE) == "Closure: Office move"
    ClosureDay.objects.filter(pk=day.pk).update(name="Shutdown")  # no save(), no signal
    assert calendar_for(ocasa).non_working_reason(CHRISTMAS_EVE) == "Closure: Shutdown"
    with connection.cursor() as cursor:  # even raw SQL
        cursor.execute("DELETE FROM organisations_closureday WHERE id = %s", [day.pk])
    assert calendar_for(ocasa).is_working_day(CHRISTMAS_EVE)


def test_the_nation_and_the_closing_time_are_part_of_the_calendar(ocasa) -> None:
    before = calendar_for(ocasa)
    ocasa.closing_time = dt.time(16, 0)
    assert calendar_for(ocasa).closing_time == dt.time(16, 0)
    ocasa.nation = "SCT"
    assert calendar_for(ocasa).nation.value == "SCT"
    assert calendar_for(ocasa) is not before
    assert calendar_for(ocasa).is_working_day(dt.date(2026, 1, 2)) is False  # Scotland's 2 January
