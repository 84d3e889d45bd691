"""Keeping a case's stored clocks equal to the projection of its timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from accord import rows
from accord.cases.choices import ClockBadge, ClockStatus, EventKind
from accord.cases.models import Case, Clock, Event
from accord.procedures.clocks import Happening, ProjectedClock, project
from accord.procedures.definition import Procedure
from accord.workdays.calendar import WorkingCalendar
from accord.workdays.deadlines import Explanation, at_risk_from

_CLOCKS = "clocks"


def clocks_of(case: Case) -> list[Clock]:
    """The case's stored clocks in the order they started: read once for this case
    object, and again after they are stored through it."""
    kept = rows.kept_related(case, _CLOCKS)
    if kept is None:
        kept = rows.where(Clock, "case", case.pk, ["started_at", "key"])
        rows.keep_related(case, _CLOCKS, kept)
    return kept


def clocks_written(case: Case, clocks: list[Clock]) -> None:
    """`clocks` are all the case's clocks, just inserted: `clocks_of` answers from them
    without reading them back (intake's receipt lists them)."""
    rows.keep_related(case, _CLOCKS, sorted(clocks, key=lambda c: (c.started_at, c.key)))


def happening_of(event: Event, procedure: Procedure) -> Happening | None:
    """The part of an event that clocks react to (None for events they ignore)."""
    data = event.data
    if event.kind == EventKind.RECEIVED:
        return Happening(at=event.at, action="receive")
    if event.kind == EventKind.TRANSITION:
        stage = procedure.stages.get(event.to_stage)
        return Happening(
            at=event.at,
            action=event.action,
            closes=stage is not None and stage.terminal,
            marks=tuple(data.get("marks", ())),
            inputs={str(k): str(v) for k, v in data.get("input", {}).items()},
            letters_owed=tuple(
                f"{owed['name']}:{owed['recipient']}" for owed in data.get("letters_owed", ())
            ),
            owed_discharges={
                f"{owed['name']}:{owed['recipient']}": tuple(owed["discharges"])
                for owed in data.get("letters_owed", ())
                if owed.get("discharges") is not None
            },
        )
    if event.kind == EventKind.LETTER_SENT:
        return Happening(
            at=event.at,
            letter_sent=f"{data.get('name') or event.action}:{data.get('recipient', '')}",
        )
    if event.kind == EventKind.CLOCK_PAUSED:
        return Happening(at=event.at, paused_clock=data["clock"], reason=event.reason)
    if event.kind == EventKind.CLOCK_RESUMED:
        return Happening(at=event.at, resumed_clock=data["clock"], reason=event.reason)
    if event.kind == EventKind.CLOCK_EXTENDED:
        return Happening(
            at=event.at,
            extended_clock=data["clock"],
            amount=int(data["amount"]),
            unit=str(data["unit"]),
            reason=event.reason,
        )
    return None


def project_events(
    events: Iterable[Event], procedure: Procedure, calendar: WorkingCalendar
) -> dict[str, ProjectedClock]:
    history = [h for event in events if (h := happening_of(event, procedure)) is not None]
    return project(procedure, history, calendar)


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    """The explanation as stored and served: the sentences, and the facts behind them."""

    def iso(value: dt.date | dt.datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "lines": explanation.lines(),
        "basis": explanation.basis_label,
        "started_at": iso(explanation.started_at),
        "start_date": iso(explanation.start_date),
        "deemed_reason": explanation.deemed_reason,
        "rule": explanation.rule.describe(),
        "skipped": [{"date": iso(s.day), "reason": s.reason} for s in explanation.skipped],
        "pauses": [
            {
                "from": iso(p.pause.start),
                "to": iso(p.pause.end),
                "reason": p.pause.reason,
                "days_added": p.days_added,
            }
            for p in explanation.pauses
        ],
        "extensions": [
            {"at": iso(e.at), "amount": e.amount, "unit": str(e.unit), "reason": e.reason}
            for e in explanation.extensions
        ],
        "due_date": iso(explanation.due_date),
        "due_at": iso(explanation.due_at),
        "paused_since": iso(explanation.paused_since),
        "provisional": list(explanation.provisional),
    }


def clock_rows(
    case: Case,
    projected: dict[str, ProjectedClock],
    calendar: WorkingCalendar,
    existing: dict[str, Clock],
) -> tuple[list[Clock], list[Clock]]:
    """The rows to create and the rows to update so storage matches `projected`."""
    to_create: list[Clock] = []
    to_update: list[Clock] = []
    for key, clock in projected.items():
        run = clock.run
        if run.stopped_at is not None:
            status = ClockStatus.ENDED if run.ended else ClockStatus.STOPPED
        elif run.is_paused:
            status = ClockStatus.PAUSED
        else:
            status = ClockStatus.RUNNING
        at_risk = (
            at_risk_from(clock.explanation, clock.at_risk_lead, calendar)
            if status == ClockStatus.RUNNING and not clock.window
            else None
        )
        values = {
            "label": clock.label,
            "status": status,
            "started_at": run.basis_at,
            "stopped_at": run.stopped_at,
            "due_at": clock.explanation.due_at,
            "at_risk_at": at_risk,
            "explanation": explanation_json(clock.explanation),
            "is_window": clock.window,
        }
        row = existing.get(key)
        if status == ClockStatus.PAUSED and row is not None:
            # Keep the last due instant while paused: a pause and resume on the same day
            # leaves it where it was, and the sweep's claims on it still stand.
            values["due_at"] = row.due_at
        if row is None:
            to_create.append(Clock(case=case, key=key, **values))
            continue
        if row.due_at != values["due_at"] or row.started_at != values["started_at"]:
            # A new due instant (restart, pause, extension) is watched afresh.
            values["at_risk_notified_at"] = None
            values["breach_recorded_at"] = None
        if any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            to_update.append(row)
    return to_create, to_update


CLOCK_FIELDS = [
    "label",
    "status",
    "started_at",
    "stopped_at",
    "due_at",
    "at_risk_at",
    "explanation",
    "is_window",
    "at_risk_notified_at",
    "breach_recorded_at",
]


def store_clocks(
    case: Case,
    projected: dict[str, ProjectedClock],
    calendar: WorkingCalendar,
    existing: dict[str, Clock],
) -> None:
    """Write the projection and the case's next deadline (the caller saves the case)."""
    to_create, to_update = clock_rows(case, projected, calendar, existing)
    if to_create:
        Clock.objects.bulk_create(to_create)
    if to_update:
        Clock.objects.bulk_update(to_update, CLOCK_FIELDS)
    set_next_deadline(case, [*to_create, *to_update, *_unchanged(existing, to_update)])
    rows.forget_related(case, _CLOCKS)


def _unchanged(existing: dict[str, Clock], updated: list[Clock]) -> list[Clock]:
    updated_keys = {row.key for row in updated}
    return [row for key, row in existing.items() if key not in updated_keys]


def set_next_deadline(case: Case, clocks: Iterable[Clock]) -> None:
    running = [
        c
        for c in clocks
        if c.status == ClockStatus.RUNNING and c.due_at is not None and not c.is_window
    ]
    case.next_deadline_at = min((c.due_at for c in running if c.due_at), default=None)
    case.next_at_risk_at = min((c.at_risk_at for c in running if c.at_risk_at), default=None)


def badge(
    next_deadline_at: dt.datetime | None, next_at_risk_at: dt.datetime | None, now: dt.datetime
) -> ClockBadge:
    """How the case's nearest deadline stands at `now`."""
    if next_deadline_at is None:
        return ClockBadge.NONE
    if now >= next_deadline_at:
        return ClockBadge.BREACHED
    if next_at_risk_at is not None and now >= next_at_risk_at:
        return ClockBadge.AT_RISK
    return ClockBadge.ON_TIME
