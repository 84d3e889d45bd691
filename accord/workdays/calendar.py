"""Which days an organisation works, and when something counts as received.

A :class:`WorkingCalendar` combines weekends, the bank holidays of one UK
nation (from the ``holidays`` package) and the organisation's own closure days.
It answers two questions everything else is built on: "is this a working day,
and if not, why not?" and "on which working day does something that arrived at
this instant count as received?".
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "DEFAULT_CLOSING_TIME",
    "LONDON",
    "Nation",
    "WorkingCalendar",
    "format_day",
    "format_instant",
]

LONDON = ZoneInfo("Europe/London")
DEFAULT_CLOSING_TIME = time(17, 0)

# Spelled out rather than using strftime("%A"/"%B") because those follow the
# process locale, and these words end up in letters to complainants.
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class Nation(StrEnum):
    """The part of the UK whose bank holidays apply.

    The values are the ``holidays`` package's subdivision codes for ``GB``.
    Wales has exactly the same bank holidays as England, so one member covers both.
    """

    ENGLAND_AND_WALES = "ENG"
    SCOTLAND = "SCT"
    NORTHERN_IRELAND = "NIR"

    @property
    def label(self) -> str:
        """The nation's name as shown to people."""
        return _NATION_LABELS[self]


_NATION_LABELS: dict[Nation, str] = {
    Nation.ENGLAND_AND_WALES: "England and Wales",
    Nation.SCOTLAND: "Scotland",
    Nation.NORTHERN_IRELAND: "Northern Ireland",
}


def format_day(day: date) -> str:
    """Format a day the way it appears in explanations, e.g. ``Thursday 24 December 2026``."""
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def format_instant(at: datetime, tz: ZoneInfo = LONDON) -> str:
    """Format an instant in ``tz``, e.g. ``Thursday 24 December 2026 at 10:15``."""
    local = _require_aware(at, "at").astimezone(tz)
    return f"{format_day(local.date())} at {local:%H:%M}"


def _require_aware(value: datetime, name: str) -> datetime:
    # A naive datetime has no defined instant; guessing a zone for it is how
    # deadlines end up an hour out twice a year, so refuse it outright.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    return value


def _require_day(value: date, name: str) -> date:
    # datetime is a subclass of date, and a datetime never compares equal to a
    # date, so one slipping through would silently miss every holiday/closure.
    if isinstance(value, datetime):
        raise TypeError(f"{name} must be a date, not a datetime: {value!r}")
    return value


@functools.lru_cache(maxsize=256)
def bank_holidays(nation: Nation, year: int) -> Mapping[date, str]:
    # Building a holidays object evaluates every rule for the year, which is far
    # too slow to repeat for each day examined; a plain read-only dict of one
    # year also stops the object silently expanding to other years on lookup.
    generated = holidays.country_holidays("GB", subdiv=nation.value, years=year)
    return MappingProxyType({day: name for day, name in generated.items() if day.year == year})


@dataclass(frozen=True)
class WorkingCalendar:
    """The working days of one organisation in one UK nation.

    ``closures`` maps the organisation's own closure days (office moves,
    shutdowns) to a name. ``closing_time`` is the local time from which
    anything received counts as received on the next working day.
    """

    nation: Nation
    closures: Mapping[date, str] = field(default_factory=dict)
    closing_time: time = DEFAULT_CLOSING_TIME
    tz: ZoneInfo = LONDON
    # The last day for which the bank holidays are confirmed (one-off holidays are
    # proclaimed only a year or two ahead), and the last day for which the
    # organisation has published its closure days (None: it publishes none). A due
    # date counted past either is provisional.
    holidays_confirmed_through: date | None = None
    closures_published_through: date | None = None

    def provisional_reasons(self, first: date, last: date) -> list[str]:
        """Why working days counted from ``first`` to ``last`` may still change."""
        reasons = []
        if self.holidays_confirmed_through is not None and last > self.holidays_confirmed_through:
            reasons.append(
                f"bank holidays are confirmed only until {format_day(self.holidays_confirmed_through)}"
            )
        if self.closures_published_through is not None and last > self.closures_published_through:
            reasons.append(
                "the organisation has published its closure days only until "
                f"{format_day(self.closures_published_through)}"
            )
        return reasons

    def __post_init__(self) -> None:
        for day in self.closures:
            _require_day(day, "closure day")
        if self.closing_time.tzinfo is not None:
            raise ValueError("closing_time must be a local wall-clock time without a tzinfo")
        # Take a read-only copy so a caller mutating their dict later cannot
        # change the answers of a calendar that is meant to be immutable.
        object.__setattr__(self, "closures", MappingProxyType(dict(self.closures)))

    def __hash__(self) -> int:
        """Hash by value, so calendars can be used as cache keys despite holding a mapping."""
        return hash(
            (
                self.nation,
                frozenset(self.closures.items()),
                self.closing_time,
                self.tz,
                self.holidays_confirmed_through,
                self.closures_published_through,
            )
        )

    def non_working_reason(self, day: date) -> str | None:
        """Return why ``day`` is not a working day, or ``None`` if it is one.

        Reasons are checked in order: ``"Saturday"``, ``"Sunday"``, the bank
        holiday's name (e.g. ``"Boxing Day (observed)"``), then
        ``"Closure: <name>"`` for the organisation's own closure days.
        """
        _require_day(day, "day")
        weekday = day.weekday()
        # Weekends come first: the holidays package lists e.g. Boxing Day on the
        # Saturday *and* "Boxing Day (observed)" on the Monday, and telling
        # someone a Saturday was skipped because of Boxing Day would imply the
        # Monday was an ordinary working day.
        if weekday >= 5:
            return _DAY_NAMES[weekday]
        holiday = bank_holidays(self.nation, day.year).get(day)
        if holiday is not None:
            return holiday
        closure = self.closures.get(day)
        if closure is not None:
            return f"Closure: {closure}"
        return None

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day."""
        return self.non_working_reason(day) is None

    def next_working_day(self, day: date) -> date:
        """Return the first working day strictly after ``day``."""
        candidate = _require_day(day, "day") + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def previous_working_day(self, day: date) -> date:
        """Return the last working day strictly before ``day``."""
        candidate = _require_day(day, "day") - timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate -= timedelta(days=1)
        return candidate

    def local_date(self, at: datetime) -> date:
        """Return the date of the instant ``at`` in this calendar's time zone."""
        return _require_aware(at, "at").astimezone(self.tz).date()

    def deemed_receipt(self, at: datetime) -> tuple[date, str | None]:
        """Return the working day on which something received at ``at`` counts as received.

        The second element explains why that day differs from the local date of
        ``at`` (``None`` if it does not): received on a non-working day, or at
        or after ``closing_time`` on a working day, it counts as received on the
        next working day.
        """
        local = _require_aware(at, "at").astimezone(self.tz)
        day = local.date()
        reason = self.non_working_reason(day)
        if reason is not None:
            deemed = self.next_working_day(day)
            return deemed, (
                f"received on {format_day(day)} ({reason}); "
                f"counts as received on {format_day(deemed)}"
            )
        if local.time() >= self.closing_time:
            deemed = self.next_working_day(day)
            return deemed, (
                f"received after closing time ({self.closing_time:%H:%M}) on {format_day(day)}; "
                f"counts as received on {format_day(deemed)}"
            )
        return day, None
