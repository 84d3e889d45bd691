"""The one way Accord writes a deadline, a day and a month for people to read.

Every due instant — a clock on the queue, the staff and party case pages, e-mails,
letters, the API's wording fields, a right's closing date — is written here, so the
same deadline reads the same everywhere:

- an instant at local midnight is the end of the day before it (a working-day clock,
  a right's last day): "by the end of Friday 4 December 2026";
- any other instant is the day and time it is in the organisation's zone:
  "by 17:00 on Friday 4 December 2026";
- beside it, where it helps, how near it is: "today", "tomorrow",
  "2 working days left", "3 days overdue".

Pure: "now" and the calendar are arguments; no Django.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from accord.workdays.calendar import LONDON, WorkingCalendar, format_day, format_instant
from accord.workdays.deadlines import working_days_between

__all__ = [
    "DueWords",
    "day_words",
    "due_day_words",
    "due_words",
    "fill_due",
    "format_day",
    "format_instant",
    "last_day",
    "month_label",
    "opens_words",
    "short_day",
    "short_instant",
]

_MIDNIGHT = time()
_ONE_DAY = timedelta(days=1)
_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class DueWords:
    """A deadline written out: ``text`` ("by the end of Friday 4 December 2026") and,
    where known, ``relative`` ("tomorrow", "2 working days left", "3 days overdue")."""

    text: str
    relative: str = ""
    overdue: bool = False

    def __str__(self) -> str:
        return f"{self.text} ({self.relative})" if self.relative else self.text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def last_day(due_at: datetime, tz: ZoneInfo = LONDON) -> date:
    """The last local day on which a thing due at ``due_at`` can still be done: the day
    before for an instant at local midnight (the end of that day), else its own day."""
    local = due_at.astimezone(tz)
    if local.time() == _MIDNIGHT:
        return local.date() - _ONE_DAY
    return local.date()


def _relative_to_day(
    day: date, *, today: date, passed: bool, calendar: WorkingCalendar | None
) -> str:
    if passed:
        late = (today - day).days
        return "overdue" if late <= 0 else f"{_plural(late, 'day')} overdue"
    if day == today:
        return "today"
    if day == today + _ONE_DAY:
        return "tomorrow"
    if calendar is not None:
        # Working days after today up to and including the last day.
        left = working_days_between(today + _ONE_DAY, day + _ONE_DAY, calendar)
        return f"{_plural(left, 'working day')} left"
    return f"{_plural((day - today).days, 'day')} left"


def due_words(
    due_at: datetime,
    *,
    now: datetime | None = None,
    calendar: WorkingCalendar | None = None,
    tz: ZoneInfo | None = None,
) -> DueWords:
    """Write the due instant ``due_at``; with ``now``, say how near it is (in working
    days when ``calendar`` is given). The zone is the calendar's, else ``tz``, else
    Europe/London."""
    zone = calendar.tz if calendar is not None else (tz or LONDON)
    local = due_at.astimezone(zone)
    if local.time() == _MIDNIGHT:
        text = f"by the end of {format_day(local.date() - _ONE_DAY)}"
    else:
        text = f"by {local:%H:%M} on {format_day(local.date())}"
    if now is None:
        return DueWords(text)
    passed = now >= due_at
    relative = _relative_to_day(
        last_day(due_at, zone),
        today=now.astimezone(zone).date(),
        passed=passed,
        calendar=calendar,
    )
    return DueWords(text, relative, passed)


def fill_due(
    text: str,
    due_at: datetime,
    *,
    calendar: WorkingCalendar | None = None,
    tz: ZoneInfo | None = None,
) -> str:
    """A party's promise with its due date filled in: ``{by}`` becomes the deadline in
    words ("by the end of Friday 4 December 2026"), ``{day}`` the day alone ("Friday
    4 December 2026")."""
    zone = calendar.tz if calendar is not None else (tz or LONDON)
    by = due_words(due_at, calendar=calendar, tz=zone).text
    return text.format(by=by, day=format_day(last_day(due_at, zone)))


def opens_words(at: datetime, tz: ZoneInfo = LONDON) -> str:
    """When something becomes possible: "from the end of Thursday 2 December 2027" for
    local midnight (the words a deadline at that instant gets), else "from 10:15 on
    Thursday 2 December 2027"."""
    local = at.astimezone(tz)
    if local.time() == _MIDNIGHT:
        return f"from the end of {format_day(local.date() - _ONE_DAY)}"
    return f"from {local:%H:%M} on {format_day(local.date())}"


def due_day_words(
    day: date,
    *,
    today: date | None = None,
    calendar: WorkingCalendar | None = None,
) -> DueWords:
    """Write something due on a whole day (an agreed action, records asked for, a
    proposal's answer-by date): it is due by the end of that day, the same words as a
    working-day clock's."""
    text = f"by the end of {format_day(day)}"
    if today is None:
        return DueWords(text)
    passed = today > day
    return DueWords(
        text, _relative_to_day(day, today=today, passed=passed, calendar=calendar), passed
    )


def day_words(day: date) -> str:
    """A day written out, e.g. ``Thursday 24 December 2026``."""
    return format_day(day)


def short_day(day: date) -> str:
    """A day in a table cell, e.g. ``24 Dec 2026``."""
    return f"{day.day} {_SHORT_MONTHS[day.month - 1]} {day.year}"


def short_instant(at: datetime, tz: ZoneInfo = LONDON) -> str:
    """A past instant in a table cell or a timeline, e.g. ``24 Dec 2026, 10:15``."""
    local = at.astimezone(tz)
    return f"{short_day(local.date())}, {local:%H:%M}"


def month_label(day: date) -> str:
    """A month on a chart or in a table, e.g. ``Jan 2026``."""
    return f"{_SHORT_MONTHS[day.month - 1]} {day.year}"
