"""The working-day calendar of an organisation."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from accord.organisations.models import Organisation
from accord.workdays.calendar import Nation, WorkingCalendar


def holidays_confirmed_through() -> dt.date:
    """The last day whose bank holidays Accord treats as confirmed (see settings)."""
    return dt.date(settings.ACCORD_HOLIDAYS_CONFIRMED_THROUGH, 12, 31)


def calendar_for(organisation: Organisation) -> WorkingCalendar:
    """Weekends, the bank holidays of the organisation's nation, and its closure days."""
    closures = {day.date: day.name for day in organisation.closure_days.all()}
    return WorkingCalendar(
        nation=Nation(organisation.nation),
        closures=closures,
        closing_time=organisation.closing_time,
        holidays_confirmed_through=holidays_confirmed_through(),
        closures_published_through=organisation.closures_published_through,
    )


def calendar_changed(organisation: Organisation) -> None:
    """The one place told that an organisation's working days moved (its nation, closing
    time, closure days or closures published through): any cached calendar of it is
    dropped here, and every open case's due dates are re-projected (a deferred task, run
    after the change commits)."""
    from accord.cases.recompute import recompute_after_calendar_change

    recompute_after_calendar_change.enqueue(organisation.pk)
