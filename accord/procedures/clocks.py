"""Clocks projected from a case's history.

Due dates are never stored by hand and never drift: every clock on a case is the
result of replaying the case's events through the procedure's clock rules. The engine
calls `project` after each change and stores the result; a test replays the history
to check the stored clocks match. Pure: no Django, "now" is not needed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from accord.procedures.definition import CLOCK_END_PREFIX, RECEIPT, Procedure
from accord.workdays.calendar import WorkingCalendar
from accord.workdays.deadlines import Explanation, Extension, Pause, Rule, Unit, compute_due


@dataclass(frozen=True)
class Happening:
    """What the projection needs to know of one timeline event."""

    at: dt.datetime
    action: str = ""  # a transition key, or "receive"
    closes: bool = False  # the event entered a terminal stage
    marks: tuple[str, ...] = ()
    paused_clock: str = ""
    resumed_clock: str = ""
    extended_clock: str = ""
    amount: int = 0
    unit: str = ""
    reason: str = ""
    inputs: dict[str, str] = field(default_factory=dict)
    # Letters the step requires that were not sent with it (owed), each as
    # "<name>:<party>": a clock the step would stop runs on until they are sent.
    letters_owed: tuple[str, ...] = ()
    # An owed letter's clocks when it declares which it discharges (else: every clock
    # the step would meet).
    owed_discharges: dict[str, tuple[str, ...]] = field(default_factory=dict)
    letter_sent: str = ""  # a letter sent, as "<name>:<party>"


@dataclass
class ClockRun:
    """One clock's current run: when it started, pauses, extensions and its due date."""

    key: str
    basis_at: dt.datetime
    basis_label: str
    due_on: dt.date | None = None  # for a clock due on a date given as input
    stopped_at: dt.datetime | None = None
    # Stopped by a step that ends the clock without meeting it (the clock's `ends_on`).
    ended: bool = False
    pauses: list[Pause] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    # The owed letters this clock waits for before the step that met it counts: a
    # letter a step requires discharges the clock when it is sent, never before.
    awaiting_letters: set[str] = field(default_factory=set)

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None

    @property
    def is_paused(self) -> bool:
        return self.is_running and bool(self.pauses) and self.pauses[-1].end is None

    def pause(self, at: dt.datetime, reason: str) -> None:
        self.pauses.append(Pause(start=at, end=None, reason=reason))

    def resume(self, at: dt.datetime) -> None:
        last = self.pauses[-1]
        self.pauses[-1] = Pause(start=last.start, end=at, reason=last.reason)

    def stop(self, at: dt.datetime, *, ended: bool = False) -> None:
        if self.is_paused:
            self.resume(at)
        self.stopped_at = at
        self.ended = ended


@dataclass(frozen=True)
class ProjectedClock:
    """A clock as it stands after the whole history, with its explanation."""

    key: str
    label: str
    run: ClockRun
    explanation: Explanation
    at_risk_lead: int
    window: bool = False


def project(
    procedure: Procedure, history: list[Happening], calendar: WorkingCalendar
) -> dict[str, ProjectedClock]:
    """Replay `history` (in order) through the procedure's clocks."""
    milestones: dict[str, dt.datetime] = {}
    runs: dict[str, ClockRun] = {}
    for happening in history:
        if happening.letter_sent:
            _letter_sent(procedure, happening, runs)
            continue
        if happening.action == "receive":
            milestones[RECEIPT] = happening.at
        for milestone in happening.marks:
            milestones[milestone] = happening.at
        if happening.paused_clock:
            run = runs.get(happening.paused_clock)
            if run is not None and run.is_running and not run.is_paused:
                run.pause(happening.at, happening.reason)
            continue
        if happening.resumed_clock:
            run = runs.get(happening.resumed_clock)
            if run is not None and run.is_paused:
                run.resume(happening.at)
            continue
        if happening.extended_clock:
            run = runs.get(happening.extended_clock)
            if run is not None:
                run.extensions.append(
                    Extension(
                        amount=happening.amount,
                        unit=Unit(happening.unit),
                        reason=happening.reason,
                        at=happening.at,
                    )
                )
            continue
        _apply_step(procedure, happening, runs, milestones)

    projected = {}
    for key, run in runs.items():
        clock = procedure.clocks[key]
        if run.due_on is not None:
            # Due on the date given: counted in calendar days from the start, so the
            # explanation reads like any other clock's.
            days = max((run.due_on - calendar.local_date(run.basis_at)).days, 0)
            rule = Rule(amount=days, unit=Unit.CALENDAR_DAYS, due_time=clock.due_time)
        else:
            # Both are set whenever due_on_input is not: checked on load.
            assert clock.amount is not None
            assert clock.unit is not None
            rule = Rule(amount=clock.amount, unit=clock.unit, due_time=clock.due_time)
        explanation = compute_due(
            run.basis_at,
            rule,
            calendar,
            pauses=run.pauses,
            extensions=run.extensions,
            basis_label=run.basis_label,
            # Only what is received arrives after hours; the organisation's own acts
            # (an acknowledgement, a referral it makes) count from the day they happen.
            deem_receipt=clock.basis == RECEIPT,
        )
        projected[key] = ProjectedClock(
            key, clock.label, run, explanation, clock.at_risk_lead, window=clock.window
        )
    return projected


def _awaited(happening: Happening, clock_key: str) -> set[str]:
    """The owed letters of a step that the clock waits for before it is met."""
    return {
        token
        for token in happening.letters_owed
        if token not in happening.owed_discharges or clock_key in happening.owed_discharges[token]
    }


def _letter_sent(procedure: Procedure, happening: Happening, runs: dict[str, ClockRun]) -> None:
    for key, run in list(runs.items()):
        if run.is_running and happening.letter_sent in run.awaiting_letters:
            run.awaiting_letters.discard(happening.letter_sent)
            if not run.awaiting_letters:
                run.stop(happening.at)
                _start_chained(procedure, key, happening.at, runs)


def _start_chained(
    procedure: Procedure, ended_key: str, at: dt.datetime, runs: dict[str, ClockRun]
) -> None:
    for key, clock in procedure.clocks.items():
        if clock.basis == CLOCK_END_PREFIX + ended_key:
            runs[key] = ClockRun(key, at, f"end of {ended_key}")


def _apply_step(
    procedure: Procedure,
    happening: Happening,
    runs: dict[str, ClockRun],
    milestones: dict[str, dt.datetime],
) -> None:
    action = happening.action
    ended: list[str] = []
    for key, clock in procedure.clocks.items():
        run = runs.get(key)
        if run is None or not run.is_running:
            continue
        if action in clock.ends_on:
            run.stop(happening.at, ended=True)
            ended.append(key)
        elif (action in clock.stops_on or happening.closes) and _awaited(happening, key):
            # Met only once the step's letters are sent (see `_letter_sent`).
            run.awaiting_letters.update(_awaited(happening, key))
        elif action in clock.stops_on or happening.closes:
            run.stop(happening.at)
            ended.append(key)
        elif action in clock.pauses_on and not run.is_paused:
            run.pause(happening.at, f"paused by '{action}'")
        elif action in clock.resumes_on and run.is_paused:
            run.resume(happening.at)
    if happening.closes:
        return
    for key, clock in procedure.clocks.items():
        if action in clock.starts_on:
            basis_at = milestones.get(clock.basis, happening.at)
            run = ClockRun(key, basis_at, _basis_label(procedure, clock.basis))
            if clock.due_on_input is not None:
                run.due_on = dt.date.fromisoformat(happening.inputs[clock.due_on_input])
                run.basis_label = procedure.transitions[action].inputs[clock.due_on_input].label
            runs[key] = run
    for ended_key in ended:
        _start_chained(procedure, ended_key, happening.at, runs)


def _basis_label(procedure: Procedure, basis: str) -> str:
    if basis == RECEIPT:
        return "receipt"
    return basis.replace("_", " ")
