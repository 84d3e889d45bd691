"""What happens next on a case, read from its procedure alone: the one step the
procedure expects next among the steps an actor may take now, and which steps end a
case without resolving it (a person confirms those before they are taken).

Nothing here names a pack's keys: the expected step is the first of the offered steps
(in the pack's order) that meets the nearest running clock; failing that, the first
that the current stage names and that moves the case on; failing that, the first the
stage names. A step that ends the case unresolved is never the expected one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from accord.procedures.definition import Procedure, Transition


def ends_unresolved(procedure: Procedure, transition: Transition) -> bool:
    """The step closes the case (its target stage is terminal) and none of its outcomes
    is a resolution: a withdrawal, a closure out of remit, a referral elsewhere."""
    if transition.to is None:
        return False
    target = procedure.stages.get(transition.to)
    if target is None or not target.terminal:
        return False
    return not any(
        procedure.outcomes[name].resolved
        for name in transition.outcomes
        if name in procedure.outcomes
    )


def expected_step(
    procedure: Procedure,
    stage: str,
    offered: Sequence[str],
    running: Iterable[tuple[str, dt.datetime]],
) -> str | None:
    """The step the procedure expects next, of `offered` (keys in the pack's order);
    `running` is the case's running clocks as (key, due instant)."""
    candidates = [
        key
        for key in offered
        if key in procedure.transitions
        and not ends_unresolved(procedure, procedure.transitions[key])
    ]
    for key, _due in sorted(running, key=lambda clock: clock[1]):
        clock = procedure.clocks.get(key)
        if clock is None or clock.window:
            continue
        for step in candidates:
            if step in clock.stops_on:
                return step
    named = [key for key in candidates if stage in procedure.transitions[key].from_]
    moving = [key for key in named if procedure.transitions[key].to not in (None, stage)]
    return next(iter(moving or named), None)
