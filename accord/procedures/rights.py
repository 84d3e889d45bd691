"""The complainant's own clocks: when they may take a complaint to an ombudsman,
redress scheme or regulator, and until when. Pure: history and calendar passed in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accord.procedures.definition import BodyKind, Period, Procedure, Right
from accord.workdays.calendar import WorkingCalendar, format_day
from accord.workdays.deadlines import add_amount
from accord.workdays.wording import due_words, opens_words


@dataclass(frozen=True)
class RightState:
    """Where one right stands."""

    key: str
    label: str
    body: BodyKind
    applies: bool
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    lines: tuple[str, ...]

    def is_open(self, now: dt.datetime) -> bool:
        if not self.applies or self.opens_at is None or now < self.opens_at:
            return False
        return self.closes_at is None or now < self.closes_at


def _end_of(day: dt.date, calendar: WorkingCalendar) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=calendar.tz)


def _after(start: dt.datetime, period: Period, calendar: WorkingCalendar) -> dt.date:
    return add_amount(calendar.local_date(start), period.amount, period.unit, calendar)


def _describe(period: Period) -> str:
    return period.unit.describe(period.amount)


def project_right(
    key: str,
    right: Right,
    procedure: Procedure,
    *,
    received_at: dt.datetime,
    steps: list[tuple[str, dt.datetime]],
    applies: bool,
    calendar: WorkingCalendar,
) -> RightState:
    """When the right opens and closes, given the steps taken so far (in order)."""
    lines: list[str] = []
    candidates: list[dt.datetime] = []
    if right.opens_after is not None:
        day = _after(received_at, right.opens_after, calendar)
        candidates.append(_end_of(day, calendar))
        lines.append(
            f"Available once {_describe(right.opens_after)} have passed since receipt: "
            f"{opens_words(_end_of(day, calendar), calendar.tz)}."
        )
    opened_by = next(((a, at) for a, at in steps if a in right.opens_on), None)
    if opened_by is not None:
        candidates.append(opened_by[1])
        label = procedure.transitions[opened_by[0]].label
        lines.append(f"Available from {format_day(calendar.local_date(opened_by[1]))}: {label}.")
    elif right.opens_on:
        names = " or ".join(procedure.transitions[a].label.lower() for a in right.opens_on)
        lines.append(f"Available at once on: {names}.")
    closes_at = None
    if right.closes_after is not None:
        closed_from = next(((a, at) for a, at in steps if a in right.closes_from), None)
        if closed_from is not None:
            day = _after(closed_from[1], right.closes_after, calendar)
            closes_at = _end_of(day, calendar)
            label = procedure.transitions[closed_from[0]].label.lower()
            lines.append(
                f"Must be used within {_describe(right.closes_after)} of {label}: "
                f"{due_words(closes_at, calendar=calendar).text}."
            )
        else:
            lines.append(
                f"Must be used within {_describe(right.closes_after)} of the final response."
            )
    if not applies:
        lines.insert(0, "Does not apply to this complainant.")
    return RightState(
        key=key,
        label=right.label,
        body=right.body,
        applies=applies,
        opens_at=min(candidates) if candidates else None,
        closes_at=closes_at,
        lines=tuple(lines),
    )
