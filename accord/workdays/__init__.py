"""Working days, bank holidays and complaint-handling deadlines.

Pure Python (no Django): :class:`WorkingCalendar` knows which days an
organisation in a given UK nation works and when something counts as received;
:func:`compute_due` turns a start instant and a :class:`Rule` (plus any pauses
and extensions) into an :class:`Explanation` of when the clock is due and why.
Instants are always timezone-aware datetimes; days are dates.
"""

from accord.workdays.calendar import (
    LONDON,
    Nation,
    WorkingCalendar,
    format_day,
    format_instant,
)
from accord.workdays.deadlines import (
    ClockState,
    DueTime,
    Explanation,
    Extension,
    Pause,
    PauseEffect,
    Rule,
    SkippedDay,
    Unit,
    add_amount,
    add_working_days,
    at_risk_from,
    compute_due,
    state_at,
    subtract_working_days,
    working_days_between,
)

__all__ = [
    "LONDON",
    "ClockState",
    "DueTime",
    "Explanation",
    "Extension",
    "Nation",
    "Pause",
    "PauseEffect",
    "Rule",
    "SkippedDay",
    "Unit",
    "WorkingCalendar",
    "add_amount",
    "add_working_days",
    "at_risk_from",
    "compute_due",
    "format_day",
    "format_instant",
    "state_at",
    "subtract_working_days",
    "working_days_between",
]
