"""A procedure definition in plain English, for the published page and PDF: its steps,
its time limits, the complaint window and the complainant's rights to go further.
Pure: the procedure and the organisation's external bodies are passed in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from accord.procedures.definition import (
    CLOCK_END_PREFIX,
    RECEIPT,
    Clock,
    Guard,
    Procedure,
    Right,
)

_CITATION = re.compile(r"\s*\([^()]*\)\s*$")


@dataclass(frozen=True)
class Body:
    """An external body's details, as the organisation records them."""

    kind: str
    name: str
    website: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    time_limit: str = ""


@dataclass(frozen=True)
class RightText:
    label: str
    lines: tuple[str, ...]
    body: Body | None


@dataclass(frozen=True)
class ProcedureText:
    """What the published procedure says."""

    name: str
    version: int
    summary: str
    steps: tuple[str, ...]
    time_limits: tuple[tuple[str, str], ...]  # (what we do, by when)
    raise_within: str | None
    rights: tuple[RightText, ...]
    # Bodies the organisation signposts that no right names (e.g. the regulator, for
    # what is outside a mediation service's remit).
    other_bodies: tuple[Body, ...] = field(default=())
    # What the complainant may do by e-mail (the pack's `inbound_email`).
    by_email: tuple[str, ...] = field(default=())


def _plain(text: str) -> str:
    """A label without its trailing citation, e.g. "Received (3.1.7.1)" -> "Received"."""
    return _CITATION.sub("", text).strip()


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _basis(procedure: Procedure, basis: str) -> str:
    if basis == RECEIPT:
        return "receiving your complaint"
    if basis.startswith(CLOCK_END_PREFIX):
        earlier = procedure.clocks.get(basis.removeprefix(CLOCK_END_PREFIX))
        label = _lower_first(_plain(earlier.label)) if earlier else "the earlier time limit"
        return f"the end of the time to {label}" if earlier else label
    return _plain(procedure.milestones.get(basis, basis.replace("_", " ")))


def _by_when(procedure: Procedure, clock: Clock) -> str:
    if clock.due_on_input is not None:
        return "By the date we give you when we tell you we need more time"
    assert clock.amount is not None
    assert clock.unit is not None
    return f"Within {clock.unit.describe(clock.amount)} of {_basis(procedure, clock.basis)}"


def _step_labels(procedure: Procedure, steps: tuple[str, ...]) -> list[str]:
    return [
        _lower_first(_plain(procedure.transitions[s].label))
        for s in steps
        if s in procedure.transitions
    ]


_CONDITIONS = {Guard.MICROBUSINESS: "This applies if you are a microbusiness."}


def _right(procedure: Procedure, right: Right, bodies: dict[str, Body]) -> RightText:
    lines = [_CONDITIONS[g] for g in right.applies_if if g in _CONDITIONS]
    when = []
    if right.opens_after is not None:
        period = right.opens_after.unit.describe(right.opens_after.amount)
        when.append(f"once {period} have passed since we received your complaint")
    opening_steps = _step_labels(procedure, right.opens_on)
    if opening_steps:
        when.append("as soon as we " + " or ".join(opening_steps))
    lines.append(
        f"You may do this {', or '.join(when)}." if when else "You may do this at any time."
    )
    if right.closes_after is not None:
        period = right.closes_after.unit.describe(right.closes_after.amount)
        closing_steps = _step_labels(procedure, right.closes_from)
        start = (
            "we " + " or ".join(closing_steps) if closing_steps else "we received your complaint"
        )
        lines.append(f"You must do so within {period} of when {start}.")
    return RightText(_plain(right.label), tuple(lines), bodies.get(right.body.value))


def describe(procedure: Procedure, bodies: list[Body]) -> ProcedureText:
    """The procedure in plain English, with the organisation's external bodies."""
    by_kind = {body.kind: body for body in bodies}
    steps = []
    for stage in procedure.stages.values():
        if stage.terminal:
            continue
        label = _plain(stage.label)
        if stage.separate_handler:
            label += " (by someone not involved in handling it before)"
        steps.append(label)
    raise_within = None
    if procedure.raise_within is not None:
        rule = procedure.raise_within
        raise_within = (
            f"Please raise your complaint within {rule.unit.describe(rule.amount)} of the issue "
            "arising. If you raise it later, a member of staff will decide whether we can "
            "still consider it."
        )
    return ProcedureText(
        name=procedure.name,
        version=procedure.version,
        summary=procedure.summary.strip(),
        steps=tuple(steps),
        time_limits=tuple(
            (_plain(clock.label), _by_when(procedure, clock)) for clock in procedure.clocks.values()
        ),
        raise_within=raise_within,
        by_email=tuple(
            f"{_plain(procedure.transitions[m.takes].label)}: e-mail us with "
            f"\u201c{m.subject_contains}\u201d in the subject. It counts from when your "
            "e-mail reaches us."
            for m in procedure.inbound_email
            if m.takes in procedure.transitions
        ),
        rights=tuple(_right(procedure, r, by_kind) for r in procedure.rights.values()),
        other_bodies=tuple(
            body
            for body in bodies
            if body.kind not in {r.body.value for r in procedure.rights.values()}
        ),
    )
