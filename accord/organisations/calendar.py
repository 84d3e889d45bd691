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
