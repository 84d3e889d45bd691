"""A procedure tried out before anyone lives by it: a complaint received at some instant
and steps taken at others, replayed through the same clock projection cases use
(`clocks.project`) and the same rights (`rights.project_right`) on a given working
calendar. Nothing is stored. Pure: the procedure and the calendar are passed in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accord.procedures.clocks import Happening, project
from accord.procedures.definition import Procedure
from accord.procedures.rights import project_right
from accord.workdays.calendar import WorkingCalendar
from accord.workdays.wording import due_words


@dataclass(frozen=True)
class SimulatedStep:
    action: str
    at: dt.datetime
    inputs: dict[str, str]


@dataclass(frozen=True)
class ClockResult:
    key: str
    label: str
    due_at: dt.datetime | None
    due: str  # "by the end of Wednesday 18 March 2026"
    state: str  # "running", "met", "ended", "paused"
    lines: tuple[str, ...]


@dataclass(frozen=True)
class RightResult:
    label: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Simulation:
    clocks: tuple[ClockResult, ...]
    rights: tuple[RightResult, ...]
    stage: str
    # (index of the step, why it cannot be taken there): the replay stops at the first.
    refusal: tuple[int, str] | None = None


def simulate(
    procedure: Procedure,
    calendar: WorkingCalendar,
    received_at: dt.datetime,
    steps: list[SimulatedStep],
) -> Simulation:
    history = [Happening(at=received_at, action="receive")]
    stage = procedure.initial_stage
    taken: list[tuple[str, dt.datetime]] = []
    refusal: tuple[int, str] | None = None
    last = received_at
    for index, step in enumerate(steps):
        transition = procedure.transitions.get(step.action)
        why = ""
        if transition is None:
            why = f"there is no step '{step.action}'"
        elif not procedure.available_from(transition, stage):
            why = f"'{transition.label}' cannot be taken from '{procedure.stages[stage].label}'"
        elif step.at < last:
            why = "each step must come after the one before"
        else:
            missing = [
                spec.label
                for name, spec in transition.inputs.items()
                if spec.required and spec.kind == "date" and not step.inputs.get(name)
            ]
            if missing:
                why = f"'{transition.label}' needs a date: {', '.join(missing)}"
        if why or transition is None:
            refusal = (index, why)
            break
        closes = transition.to is not None and procedure.stages[transition.to].terminal
        history.append(
            Happening(
                at=step.at,
                action=step.action,
                closes=closes,
                marks=transition.marks,
                inputs=step.inputs,
            )
        )
        taken.append((step.action, step.at))
        stage = transition.to or stage
        last = step.at
    projected = project(procedure, history, calendar)
    clocks = []
    for key, clock in projected.items():
        explanation = clock.explanation
        run = clock.run
        if run.stopped_at is not None:
            state = "ended" if run.ended else "met"
        elif run.is_paused:
            state = "paused"
        else:
            state = "running"
        due_at = explanation.due_at
        clocks.append(
            ClockResult(
                key=key,
                label=clock.label,
                due_at=due_at,
                due=due_words(due_at, calendar=calendar).text if due_at else "paused",
                state=state,
                lines=tuple(explanation.lines()),
            )
        )
    rights = tuple(
        RightResult(
            right.label,
            project_right(
                key,
                right,
                procedure,
                received_at=received_at,
                steps=taken,
                applies=True,
                calendar=calendar,
            ).lines,
        )
        for key, right in procedure.rights.items()
    )
    return Simulation(tuple(clocks), rights, stage, refusal)
