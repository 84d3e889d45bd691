"""Deadlines: when a clock is due, and a plain-English account of why.

:func:`compute_due` turns a start instant, a :class:`Rule` (e.g. "8 weeks" or
"2 working days"), pauses and extensions into an :class:`Explanation` that
carries both the answer (``due_date``/``due_at``) and every step taken to reach
it, so the same object can drive the clock and be shown to a complainant.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import assert_never
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from accord.workdays.calendar import (
    LONDON,
    WorkingCalendar,
    _require_aware,
    _require_day,
    format_day,
    format_instant,
)

__all__ = [
    "ClockState",
    "DueTime",
    "Explanation",
    "Extension",
    "Pause",
    "PauseEffect",
    "Rule",
    "SkippedDay",
    "Unit",
    "add_amount",
    "add_working_days",
    "at_risk_from",
    "compute_due",
    "state_at",
    "subtract_working_days",
    "working_days_between",
]

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)

log = logging.getLogger(__name__)


class Unit(StrEnum):
    """The unit a deadline or extension is counted in."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    WEEKS = "weeks"
    MONTHS = "months"

    def describe(self, amount: int) -> str:
        """Describe ``amount`` of this unit, e.g. ``"1 working day"``, ``"6 months"``."""
        singular, plural = _UNIT_NOUNS[self]
        return f"{amount} {singular if amount == 1 else plural}"


_UNIT_NOUNS: dict[Unit, tuple[str, str]] = {
    Unit.WORKING_DAYS: ("working day", "working days"),
    Unit.CALENDAR_DAYS: ("calendar day", "calendar days"),
    Unit.WEEKS: ("week", "weeks"),
    Unit.MONTHS: ("month", "months"),
}


class DueTime(StrEnum):
    """Which instant on the due date the clock is breached at."""

    END_OF_DAY = "end_of_day"
    CLOSE_OF_BUSINESS = "close_of_business"


class ClockState(StrEnum):
    """Where a clock stands at a given instant."""

    RUNNING = "running"
    PAUSED = "paused"
    AT_RISK = "at_risk"
    MET = "met"
    BREACHED = "breached"


def _require_amount(amount: int, what: str) -> None:
    # bool is an int subclass; "True working days" is always a bug upstream.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"{what} must be an int, got {amount!r}")
    if amount < 0:
        raise ValueError(f"{what} must not be negative, got {amount}")


@dataclass(frozen=True)
class Rule:
    """A time limit: ``amount`` of ``unit`` from the start, breached at ``due_time``."""

    amount: int
    unit: Unit
    due_time: DueTime = DueTime.END_OF_DAY

    def __post_init__(self) -> None:
        _require_amount(self.amount, "Rule amount")

    def describe(self) -> str:
        """Describe the rule, e.g. ``"2 working days"`` or ``"8 weeks"``."""
        return self.unit.describe(self.amount)


@dataclass(frozen=True)
class Pause:
    """A period during which the clock stopped; ``end`` is ``None`` while still paused."""

    start: datetime
    end: datetime | None
    reason: str

    def __post_init__(self) -> None:
        _require_aware(self.start, "Pause start")
        if self.end is not None:
            _require_aware(self.end, "Pause end")
            if self.end < self.start:
                raise ValueError(
                    f"Pause ends ({self.end.isoformat()}) before it starts "
                    f"({self.start.isoformat()})"
                )


@dataclass(frozen=True)
class Extension:
    """Extra time granted at instant ``at``."""

    amount: int
    unit: Unit
    reason: str
    at: datetime

    def __post_init__(self) -> None:
        _require_amount(self.amount, "Extension amount")
        _require_aware(self.at, "Extension at")


@dataclass(frozen=True)
class SkippedDay:
    """A non-working day passed over while counting, and why it is not a working day."""

    day: date
    reason: str


@dataclass(frozen=True)
class PauseEffect:
    """How far a pause moved the due date, in the rule's day unit."""

    pause: Pause
    days_added: int


@dataclass(frozen=True)
class Explanation:
    """A computed deadline together with every step that produced it.

    ``due_date``/``due_at`` are ``None`` while a pause is open, in which case
    ``paused_since`` says when it started. ``skipped`` lists the non-working
    days passed over (working-day rules only). ``tz`` is the zone instants are
    shown in by :meth:`lines`.
    """

    started_at: datetime
    start_date: date
    deemed_reason: str | None
    rule: Rule
    skipped: tuple[SkippedDay, ...]
    pauses: tuple[PauseEffect, ...]
    extensions: tuple[Extension, ...]
    due_date: date | None
    due_at: datetime | None
    paused_since: datetime | None
    basis_label: str = "start"
    tz: ZoneInfo = LONDON
    # Why the due date may still move (holiday or closure data not yet published).
    provisional: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """Explain the deadline in plain English, one sentence per line."""
        day_unit = _pause_unit(self.rule.unit)
        out = [f"Started {format_instant(self.started_at, self.tz)} ({self.basis_label})."]
        if self.deemed_reason is not None:
            out.append(f"{self.deemed_reason[:1].upper()}{self.deemed_reason[1:]}.")
        out.append(f"Rule: {self.rule.describe()}.")
        for skipped in self.skipped:
            # "Skipped Saturday ...: Saturday." reads like a mistake to a
            # complainant; saying "weekend" keeps every line meaningful.
            reason = "weekend" if skipped.reason in ("Saturday", "Sunday") else skipped.reason
            out.append(f"Skipped {format_day(skipped.day)}: {reason}.")
        for effect in self.pauses:
            pause = effect.pause
            since = format_instant(pause.start, self.tz)
            if pause.end is None:
                out.append(f"Paused from {since}, not yet resumed: {pause.reason}.")
            else:
                until = format_instant(pause.end, self.tz)
                out.append(
                    f"Paused {day_unit.describe(effect.days_added)} "
                    f"(from {since} to {until}): {pause.reason}."
                )
        for ext in self.extensions:
            out.append(
                f"Extended by {ext.unit.describe(ext.amount)} on "
                f"{format_day(ext.at.astimezone(self.tz).date())}: {ext.reason}."
            )
        if self.due_date is None or self.due_at is None:
            since_text = format_instant(self.paused_since, self.tz) if self.paused_since else "now"
            out.append(f"Paused since {since_text}; the due date will move by the time paused.")
        elif self.rule.due_time is DueTime.CLOSE_OF_BUSINESS:
            closing = self.due_at.astimezone(self.tz)
            out.append(
                f"Due by close of business ({closing:%H:%M}) on {format_day(self.due_date)}."
            )
        else:
            out.append(f"Due by end of {format_day(self.due_date)}.")
        if self.provisional:
            out.append(f"Provisional: {'; '.join(self.provisional)}.")
        return out


def add_working_days(start: date, n: int, calendar: WorkingCalendar) -> date:
    """Return the ``n``-th working day after ``start``.

    ``start`` is day 0 and is not counted, whether or not it is a working day;
    ``n == 0`` returns ``start`` unchanged.
    """
    _require_day(start, "start")
    _require_amount(n, "Number of working days")
    day = start
    for _ in range(n):
        day = calendar.next_working_day(day)
    return day


def subtract_working_days(day: date, n: int, calendar: WorkingCalendar) -> date:
    """Return the ``n``-th working day before ``day``; ``n == 0`` returns ``day`` unchanged."""
    _require_day(day, "day")
    _require_amount(n, "Number of working days")
    for _ in range(n):
        day = calendar.previous_working_day(day)
    return day


def working_days_between(first: date, end: date, calendar: WorkingCalendar) -> int:
    """Count working days ``d`` with ``first <= d < end`` (0 if ``end <= first``)."""
    _require_day(first, "first")
    _require_day(end, "end")
    count = 0
    day = first
    while day < end:
        if calendar.is_working_day(day):
            count += 1
        day += _ONE_DAY
    return count


def add_amount(start: date, amount: int, unit: Unit, calendar: WorkingCalendar) -> date:
    """Add ``amount`` of ``unit`` to ``start``.

    Only working days skip non-working days; calendar days, weeks and months
    count every day. Months use calendar-month arithmetic, clamping to the end
    of a shorter month (31 January + 1 month = 28 or 29 February).
    """
    _require_day(start, "start")
    _require_amount(amount, "Amount")
    if unit is Unit.WORKING_DAYS:
        return add_working_days(start, amount, calendar)
    if unit is Unit.CALENDAR_DAYS:
        return start + timedelta(days=amount)
    if unit is Unit.WEEKS:
        return start + timedelta(weeks=amount)
    if unit is Unit.MONTHS:
        # dateutil is untyped; the annotation pins the result back to date.
        result: date = start + relativedelta(months=amount)
        return result
    assert_never(unit)


def _pause_unit(unit: Unit) -> Unit:
    # Paused time is measured in days: working days for a working-day rule,
    # calendar days for every calendar-based rule (weeks and months included).
    return Unit.WORKING_DAYS if unit is Unit.WORKING_DAYS else Unit.CALENDAR_DAYS


def _due_instant(due_date: date, due_time: DueTime, calendar: WorkingCalendar) -> datetime:
    if due_time is DueTime.END_OF_DAY:
        # Built from the next day's date in the calendar's zone, not by adding
        # 24 hours, so it is local midnight even on a day that is 23 or 25 hours long.
        return datetime.combine(due_date + _ONE_DAY, _MIDNIGHT, tzinfo=calendar.tz)
    if due_time is DueTime.CLOSE_OF_BUSINESS:
        return datetime.combine(due_date, calendar.closing_time, tzinfo=calendar.tz)
    assert_never(due_time)


def _utc(at: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo compare by wall-clock time, ignoring
    # `fold`, which is wrong in the repeated hour when the clocks go back.
    return at.astimezone(UTC)


def _pause_days(start: datetime, end: datetime, unit: Unit, calendar: WorkingCalendar) -> int:
    if unit is Unit.WORKING_DAYS:
        return working_days_between(
            calendar.deemed_receipt(start)[0], calendar.deemed_receipt(end)[0], calendar
        )
    return (calendar.local_date(end) - calendar.local_date(start)).days


def _skipped_between(first: date, end: date, calendar: WorkingCalendar) -> tuple[SkippedDay, ...]:
    skipped: list[SkippedDay] = []
    day = first + _ONE_DAY
    while day < end:
        reason = calendar.non_working_reason(day)
        if reason is not None:
            skipped.append(SkippedDay(day, reason))
        day += _ONE_DAY
    return tuple(skipped)


def compute_due(
    started_at: datetime,
    rule: Rule,
    calendar: WorkingCalendar,
    *,
    pauses: Sequence[Pause] = (),
    extensions: Sequence[Extension] = (),
    basis_label: str = "start",
    deem_receipt: bool = True,
) -> Explanation:
    """Compute when a clock started at ``started_at`` under ``rule`` is due.

    Working-day rules counted from something received (``deem_receipt``) count from
    the deemed day of receipt (the next working day if ``started_at`` falls on a
    non-working day or at/after closing time); other clocks — counted from the
    organisation's own act, such as an acknowledgement — and calendar-based rules
    count from the local date of ``started_at``.

    Pauses and extensions are applied in time order (a pause by its start, an
    extension by when it was granted; an extension first on a tie). A closed
    pause moves the due date later by the days it covered; time already covered
    by an earlier pause is not counted twice; a pause starting at or after the
    due instant as it then stands has no effect; an open pause leaves the
    clock paused with no due date. ``basis_label`` names what ``started_at``
    is (e.g. ``"receipt"``) in :meth:`Explanation.lines`.
    """
    _require_aware(started_at, "started_at")
    for pause in pauses:
        # Pause validates itself, but re-check in case one was built bypassing
        # __post_init__ (e.g. via object.__setattr__ or a copy from storage).
        if pause.end is not None and pause.end < pause.start:
            raise ValueError(f"Pause ends before it starts: {pause!r}")

    if rule.unit is Unit.WORKING_DAYS and deem_receipt:
        start_date, deemed_reason = calendar.deemed_receipt(started_at)
    else:
        start_date, deemed_reason = calendar.local_date(started_at), None

    pause_unit = _pause_unit(rule.unit)
    due_date = add_amount(start_date, rule.amount, rule.unit, calendar)
    due_at = _due_instant(due_date, rule.due_time, calendar)

    # Interleave pauses and extensions chronologically: whether a pause came
    # "after the clock was already due" depends on extensions granted before it.
    events: list[tuple[datetime, int, Pause | Extension]] = [
        (_utc(ext.at), 0, ext) for ext in extensions
    ]
    events += [(_utc(pause.start), 1, pause) for pause in pauses]
    events.sort(key=lambda event: (event[0], event[1]))

    effects: list[PauseEffect] = []
    applied_extensions: list[Extension] = []
    paused_since: datetime | None = None
    # The clock cannot stop twice over the same stretch, so overlapping pauses
    # only add the part not already covered by an earlier one.
    covered_until = _utc(started_at)
    # While paused, report only the days counting actually passed over.
    skip_limit: date | None = None

    for _, _, event in events:
        if isinstance(event, Extension):
            applied_extensions.append(event)
            if paused_since is None:
                due_date = add_amount(due_date, event.amount, event.unit, calendar)
                due_at = _due_instant(due_date, rule.due_time, calendar)
            continue

        pause = event
        effective_start = max(_utc(pause.start), covered_until)
        if paused_since is not None or effective_start >= _utc(due_at):
            effects.append(PauseEffect(pause, 0))
            continue
        if pause.end is None:
            effects.append(PauseEffect(pause, 0))
            paused_since = pause.start
            skip_limit = (
                calendar.deemed_receipt(effective_start)[0]
                if rule.unit is Unit.WORKING_DAYS
                else calendar.local_date(effective_start)
            )
            continue
        end = _utc(pause.end)
        days = (
            _pause_days(effective_start, end, rule.unit, calendar) if end > effective_start else 0
        )
        covered_until = max(covered_until, end)
        effects.append(PauseEffect(pause, days))
        due_date = add_amount(due_date, days, pause_unit, calendar)
        due_at = _due_instant(due_date, rule.due_time, calendar)

    skipped: tuple[SkippedDay, ...] = ()
    if rule.unit is Unit.WORKING_DAYS:
        # Count from the day it actually arrived, so the non-working days that deemed
        # receipt passed over (a bank holiday weekend, say) are named as well.
        received_on = calendar.local_date(started_at)
        first = min(received_on - _ONE_DAY, start_date)
        skipped = _skipped_between(first, skip_limit or due_date, calendar)

    paused = paused_since is not None
    provisional: tuple[str, ...] = ()
    if rule.unit is Unit.WORKING_DAYS:
        provisional = tuple(calendar.provisional_reasons(start_date, due_date))
        if provisional:
            log.warning(
                "provisional due date %s (%s): %s",
                due_date,
                rule.describe(),
                "; ".join(provisional),
            )
    return Explanation(
        started_at=started_at,
        start_date=start_date,
        deemed_reason=deemed_reason,
        rule=rule,
        skipped=skipped,
        pauses=tuple(effects),
        extensions=tuple(applied_extensions),
        due_date=None if paused else due_date,
        due_at=None if paused else due_at,
        paused_since=paused_since,
        basis_label=basis_label,
        tz=calendar.tz,
        provisional=provisional,
    )


def at_risk_from(
    explanation: Explanation, lead_working_days: int, calendar: WorkingCalendar
) -> datetime | None:
    """Return the instant a clock becomes at risk, or ``None`` while it is paused.

    That is local midnight at the start of the day ``lead_working_days``
    working days before the due date (``0`` means the start of the due date).
    """
    if explanation.due_date is None:
        return None
    day = subtract_working_days(explanation.due_date, lead_working_days, calendar)
    return datetime.combine(day, _MIDNIGHT, tzinfo=calendar.tz)


def state_at(
    now: datetime,
    explanation: Explanation,
    *,
    stopped_at: datetime | None,
    lead_working_days: int,
    calendar: WorkingCalendar,
) -> ClockState:
    """Return the state of the clock described by ``explanation`` at instant ``now``.

    A stopped clock is MET if it stopped before the due instant (or while
    paused), otherwise BREACHED. A running clock is PAUSED, BREACHED once the
    due instant arrives, AT_RISK from :func:`at_risk_from`, else RUNNING.
    """
    _require_aware(now, "now")
    due_at = explanation.due_at
    if stopped_at is not None:
        _require_aware(stopped_at, "stopped_at")
        if due_at is None or _utc(stopped_at) < _utc(due_at):
            return ClockState.MET
        return ClockState.BREACHED
    if due_at is None:
        return ClockState.PAUSED
    if _utc(now) >= _utc(due_at):
        return ClockState.BREACHED
    risk_from = at_risk_from(explanation, lead_working_days, calendar)
    if risk_from is not None and _utc(now) >= _utc(risk_from):
        return ClockState.AT_RISK
    return ClockState.RUNNING
