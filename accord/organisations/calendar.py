"""The working-day calendar of an organisation."""

from __future__ import annotations

from accord.organisations.models import Organisation
from accord.workdays.calendar import Nation, WorkingCalendar


def calendar_for(organisation: Organisation) -> WorkingCalendar:
    """Weekends, the bank holidays of the organisation's nation, and its closure days."""
    closures = {day.date: day.name for day in organisation.closure_days.all()}
    return WorkingCalendar(
        nation=Nation(organisation.nation),
        closures=closures,
        closing_time=organisation.closing_time,
    )
