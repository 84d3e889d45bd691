"""The working-day calendar of an organisation.

`calendar_for` is called for every complaint received and every step taken, so the
calendar is kept per process and rebuilt only when what it is made of changes. The
key is that content itself — the organisation's nation, closing time, published-through
date, the confirmed-through year, and every closure day (date and name) read afresh
with one small query each time — so a closure day added, moved, renamed or removed by
any process, through the admin, the ORM or raw SQL, is seen at once: the cache can never
be stale, it only saves building the calendar and the ORM's query machinery."""

from __future__ import annotations

import datetime as dt
import threading

from django.conf import settings
from django.db import connection

from accord import rows
from accord.organisations.models import ClosureDay, Organisation
from accord.workdays.calendar import Nation, WorkingCalendar

_Key = tuple[object, ...]
_cache: dict[int, tuple[_Key, WorkingCalendar]] = {}
_lock = threading.Lock()


def holidays_confirmed_through() -> dt.date:
    """The last day whose bank holidays Accord treats as confirmed (see settings)."""
    return dt.date(settings.ACCORD_HOLIDAYS_CONFIRMED_THROUGH, 12, 31)


def _closure_rows(organisation: Organisation) -> tuple[tuple[dt.date, str], ...]:
    day, name, owner = (rows.column(ClosureDay, f) for f in ("date", "name", "organisation"))
    sql = (
        f"SELECT {day}, {name} FROM {rows.table(ClosureDay)} "  # noqa: S608
        f"WHERE {owner} = %s ORDER BY {day}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [organisation.pk])
        found = cursor.fetchall()
    # SQLite hands back ISO strings, PostgreSQL dates.
    return tuple(
        (on if isinstance(on, dt.date) else dt.date.fromisoformat(on), called)
        for on, called in found
    )


def calendar_for(organisation: Organisation) -> WorkingCalendar:
    """Weekends, the bank holidays of the organisation's nation, and its closure days."""
    closures = _closure_rows(organisation)
    key: _Key = (
        organisation.nation,
        organisation.closing_time,
        organisation.closures_published_through,
        holidays_confirmed_through(),
        closures,
    )
    cached = _cache.get(organisation.pk)
    if cached is not None and cached[0] == key:
        return cached[1]
    calendar = WorkingCalendar(
        nation=Nation(organisation.nation),
        closures=dict(closures),
        closing_time=organisation.closing_time,
        holidays_confirmed_through=key[3],  # type: ignore[arg-type]
        closures_published_through=organisation.closures_published_through,
    )
    with _lock:
        _cache[organisation.pk] = (key, calendar)
    return calendar


def calendar_changed(organisation: Organisation) -> None:
    """The one place told that an organisation's working days moved (its nation, closing
    time, closure days or closures published through): any cached calendar of it is
    dropped here, and every open case's due dates are re-projected (a deferred task, run
    after the change commits)."""
    from accord.cases.recompute import recompute_after_calendar_change

    with _lock:
        _cache.pop(organisation.pk, None)
    recompute_after_calendar_change.enqueue(organisation.pk)
