"""The period a report covers, and the period before it. Pure: "today" is passed in.

A period runs from its first to its last day inclusive, in UK local time; the period
before it is as long (in whole months, or else in days) and ends the day before it starts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from accord.workdays.wording import short_day

LONDON = ZoneInfo("Europe/London")
MAX_DAYS = 10 * 366  # a report covers at most ten years


class PeriodError(ValueError):
    """The period asked for is not one a report can cover; says why."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period just before: as many whole months when this one is whole months
        (so 2025 is compared with 2024, leap day and all), otherwise as many days."""
        last = self.first - dt.timedelta(days=1)
        after = self.last + dt.timedelta(days=1)
        if self.first.day == 1 and after.day == 1:
            months = (after.year - self.first.year) * 12 + after.month - self.first.month
            index = self.first.year * 12 + self.first.month - 1 - months
            return Period(dt.date(index // 12, index % 12 + 1, 1), last)
        return Period(last - dt.timedelta(days=self.days - 1), last)

    def start(self) -> dt.datetime:
        """The first instant of the period (inclusive)."""
        return dt.datetime.combine(self.first, dt.time(), tzinfo=LONDON)

    def end(self) -> dt.datetime:
        """The first instant after the period (exclusive)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=LONDON)

    @property
    def label(self) -> str:
        if (
            self.first.month == 1
            and self.first.day == 1
            and self.last == dt.date(self.first.year, 12, 31)
        ):
            return str(self.first.year)
        return f"{short_day(self.first)} to {short_day(self.last)}"


def last_complete_year(today: dt.date) -> Period:
    return Period(dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31))


def default_period(today: dt.date, latest_before_this_year: dt.date | None) -> tuple[Period, str]:
    """The period a report opens on, and why: the latest complete calendar year that
    has cases (`latest_before_this_year`: the last day a case was received before this
    year began), else — a new installation — the year to date."""
    if latest_before_this_year is not None:
        year = latest_before_this_year.year
        return (
            Period(dt.date(year, 1, 1), dt.date(year, 12, 31)),
            f"{year}, the latest complete year with cases",
        )
    return (
        Period(dt.date(today.year, 1, 1), today),
        "the year to date: no complete year has cases yet",
    )


def _day(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise PeriodError(f"'{value}' is not a date (use YYYY-MM-DD)", field) from None


def parse_period(first: str | None, last: str | None, today: dt.date) -> Period:
    """The period from `first` to `last` (ISO dates, inclusive); by default the last
    complete calendar year. A period may run past today (a year to date), but may not
    start after today, end before it starts, or last more than ten years."""
    if not (first or "").strip() and not (last or "").strip():
        return last_complete_year(today)
    if not (first or "").strip():
        raise PeriodError("give the first day of the period", "from")
    if not (last or "").strip():
        raise PeriodError("give the last day of the period", "to")
    assert first is not None
    assert last is not None
    period = Period(_day(first, "from"), _day(last, "to"))
    if period.last < period.first:
        raise PeriodError("the period ends before it starts", "to")
    if period.days > MAX_DAYS:
        raise PeriodError("a report covers at most ten years", "to")
    if period.first > today:
        raise PeriodError("the period starts in the future", "from")
    try:
        before: Period | None = period.previous()
    except (OverflowError, ValueError):  # the period before would start before year 1
        before = None
    if before is None or before.first.year < 1900:
        raise PeriodError("the period starts too long ago", "from")
    return period
