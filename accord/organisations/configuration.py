"""What follows from an administrator changing their organisation's settings: an
in-house organisation is its own respondent; a change to its working days (nation,
closing time, closure days) goes through the calendar's one invalidation point."""

from __future__ import annotations

from collections.abc import Iterable

from accord.organisations.calendar import calendar_changed
from accord.organisations.models import ClosureDay, Organisation
from accord.organisations.respondents import self_business

CALENDAR_FIELDS = frozenset({"nation", "closing_time", "closures_published_through"})


def details_saved(organisation: Organisation, changed: Iterable[str]) -> None:
    """Called after the organisation's details are saved, with the fields that changed."""
    self_business(organisation)
    if CALENDAR_FIELDS & set(changed):
        calendar_changed(organisation)


def add_closure(organisation: Organisation, day: ClosureDay) -> None:
    day.organisation = organisation
    day.save()
    calendar_changed(organisation)


def remove_closure(organisation: Organisation, day: ClosureDay) -> None:
    day.delete()
    calendar_changed(organisation)
