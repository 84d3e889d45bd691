"""Load procedure files and check that each one is coherent.

Every fault is reported with the file it is in, and all faults of a file are reported
together, so an author fixes a pack in one pass.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import ValidationError

from accord.procedures.definition import (
    ANY_OPEN_STAGE,
    CLOCK_END_PREFIX,
    PARTY_ROLES,
    RECEIPT,
    RECEIVE,
    PartyText,
    Procedure,
    Role,
    Text,
    Wording,
)

# What a clock's promise may fill in: its due date in words ("by the end of Friday
# 4 December 2026") and the day alone ("Friday 4 December 2026").
WORDING_PLACEHOLDERS = {"by": "", "day": ""}


class ProcedureError(Exception):
    """A procedure file that cannot be used, with every fault found in it."""

    def __init__(self, source: str, faults: Iterable[str]) -> None:
        self.source = source
        self.faults = list(faults)
        super().__init__(f"{source}: " + "; ".join(self.faults))


def load_file(path: Path, *, wording_beside: bool = False) -> Procedure:
    """Parse and validate one procedure file (`wording_beside`: see `parse`)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProcedureError(str(path), [f"not valid YAML: {exc}"]) from exc
    return parse(raw, source=str(path), wording_beside=wording_beside)


def parse(raw: object, *, source: str, wording_beside: bool = False) -> Procedure:
    """Validate a parsed document (a mapping) as a procedure. `wording_beside`: a
    shipped pack whose wording is kept in a file beside it (`missing_wording` checks
    it once the registry adds it), so its letters are checked then."""
    if not isinstance(raw, dict):
        raise ProcedureError(source, ["the file must contain a mapping at the top level"])
    try:
        procedure = Procedure.model_validate(raw)
    except ValidationError as exc:
        faults = [
            f"{'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise ProcedureError(source, faults) from exc
    faults = coherence_faults(procedure, wording_beside=wording_beside)
    if faults:
        raise ProcedureError(source, faults)
    return procedure


def coherence_faults(procedure: Procedure, *, wording_beside: bool = False) -> list[str]:
    """Everything that makes a well-formed procedure unusable (`wording_beside`: see
    `parse`)."""
    faults: list[str] = []
    stages = procedure.stages
    transitions = procedure.transitions
    actions = {RECEIVE, *transitions}
    milestones = {RECEIPT, *procedure.milestones}

    if procedure.initial_stage not in stages:
        faults.append(f"initial_stage '{procedure.initial_stage}' is not a stage")
    if procedure.initial_stage in stages and stages[procedure.initial_stage].terminal:
        faults.append(f"initial_stage '{procedure.initial_stage}' is terminal")
    if procedure.reopens_to is not None:
        if procedure.reopens_to not in stages:
            faults.append(f"reopens_to '{procedure.reopens_to}' is not a stage")
        elif stages[procedure.reopens_to].terminal:
            faults.append(f"reopens_to '{procedure.reopens_to}' is terminal")
    if not any(stage.terminal for stage in stages.values()):
        faults.append("no terminal stage: a case could never close")
    if procedure.revisions[-1].version.split(".")[0] != str(procedure.version):
        faults.append(
            f"the last revision ({procedure.revisions[-1].version}) is not of version "
            f"{procedure.version}"
        )

    for key, transition in transitions.items():
        where = f"transition '{key}'"
        if not transition.roles:
            faults.append(f"{where} has no role that may take it")
        if not transition.from_:
            faults.append(f"{where} has no 'from' stage")
        for source_stage in transition.from_:
            if source_stage == ANY_OPEN_STAGE:
                if len(transition.from_) > 1:
                    faults.append(f"{where}: '*' (any open stage) must stand alone in 'from'")
            elif source_stage not in stages:
                faults.append(f"{where} starts from unknown stage '{source_stage}'")
            elif stages[source_stage].terminal:
                faults.append(f"{where} leaves terminal stage '{source_stage}'")
        if transition.to is not None and transition.to not in stages:
            faults.append(f"{where} goes to unknown stage '{transition.to}'")
        closes = transition.to in stages and stages[transition.to].terminal
        for outcome in transition.outcomes:
            if outcome not in procedure.outcomes:
                faults.append(f"{where} sets unknown outcome '{outcome}'")
        if transition.outcomes and not closes:
            faults.append(f"{where} sets an outcome but does not close the case")
        if closes and not transition.outcomes:
            faults.append(f"{where} closes the case without an outcome")
        for milestone in transition.marks:
            if milestone not in procedure.milestones:
                faults.append(f"{where} marks undeclared milestone '{milestone}'")
        for letter in transition.letters:
            if letter not in procedure.letters:
                faults.append(f"{where} requires undeclared letter '{letter}'")
        for clock_key in transition.within:
            if clock_key not in procedure.clocks:
                faults.append(f"{where} is limited by unknown clock '{clock_key}'")

    for key, clock in procedure.clocks.items():
        where = f"clock '{key}'"
        for action in set(clock.stops_on) & set(clock.ends_on):
            faults.append(f"{where}: '{action}' both meets (stops_on) and ends it (ends_on)")
        for field_name in ("starts_on", "stops_on", "ends_on", "pauses_on", "resumes_on"):
            for action in getattr(clock, field_name):
                if action not in actions:
                    faults.append(f"{where}: {field_name} names unknown action '{action}'")
        if clock.basis.startswith(CLOCK_END_PREFIX):
            other = clock.basis.removeprefix(CLOCK_END_PREFIX)
            if other not in procedure.clocks or other == key:
                faults.append(f"{where} counts from the end of unknown clock '{other}'")
        elif clock.basis not in milestones:
            faults.append(f"{where} has unknown basis '{clock.basis}'")
        elif clock.basis != RECEIPT and not _marked_anywhere(procedure, clock.basis):
            faults.append(f"{where} counts from milestone '{clock.basis}' that nothing marks")
        if not clock.starts_on and not clock.basis.startswith(CLOCK_END_PREFIX):
            faults.append(f"{where} is never started")
        if clock.pauses_on and not clock.resumes_on:
            faults.append(f"{where} can be paused by a transition but nothing resumes it")
        if clock.due_on_input is None and (clock.amount is None or clock.unit is None):
            faults.append(f"{where} needs an amount and a unit (or due_on_input)")
        if clock.due_on_input is not None:
            if clock.amount is not None or clock.unit is not None:
                faults.append(f"{where} has both a length and due_on_input")
            for action in clock.starts_on:
                declared = (
                    transitions[action].inputs.get(clock.due_on_input)
                    if action in transitions
                    else None
                )
                if declared is None or declared.kind != "date" or not declared.required:
                    faults.append(
                        f"{where} is due on input '{clock.due_on_input}', which step '{action}' "
                        "does not require as a date"
                    )
        for letter in clock.letters_on_extension:
            if letter not in procedure.letters:
                faults.append(f"{where} requires undeclared letter '{letter}' on extension")
        if clock.window and (clock.on_breach or clock.pausable or clock.extendable):
            faults.append(f"{where} is a window: it cannot be breached, paused or extended")
        if clock.on_breach is not None and clock.on_breach not in transitions:
            faults.append(f"{where}: on_breach names unknown transition '{clock.on_breach}'")
        if clock.extension_cap is not None and not clock.extendable:
            faults.append(f"{where} has an extension cap but is not extendable")

    for key, right in procedure.rights.items():
        where = f"right '{key}'"
        for action in (*right.opens_on, *right.closes_from):
            if action not in transitions:
                faults.append(f"{where} names unknown step '{action}'")
        if right.opens_after is None and not right.opens_on:
            faults.append(f"{where} never opens")

    for index, meaning in enumerate(procedure.inbound_email):
        where = f"inbound_email {index + 1} ('{meaning.subject_contains}')"
        step = transitions.get(meaning.takes)
        if step is None:
            faults.append(f"{where} takes unknown step '{meaning.takes}'")
        elif Role(meaning.party) not in step.roles:
            faults.append(f"{where}: the {meaning.party} may not take step '{meaning.takes}'")
        elif step.inputs and any(i.required for i in step.inputs.values()):
            faults.append(f"{where}: step '{meaning.takes}' needs inputs an e-mail cannot give")
        elif step.reason_required:
            faults.append(f"{where}: step '{meaning.takes}' needs a reason an e-mail cannot give")

    for outcome in procedure.outcomes:
        if not any(outcome in t.outcomes for t in transitions.values()):
            faults.append(f"outcome '{outcome}' is never set by any transition")

    if procedure.wording is not None:
        faults.extend(missing_wording(procedure, procedure.wording))
        faults.extend(unknown_wording([procedure], procedure.wording))
    elif not wording_beside:
        faults.extend(_letter_faults(procedure, Wording()))

    if procedure.initial_stage in stages:
        reachable = _reachable(procedure)
        for stage in stages:
            if stage not in reachable:
                faults.append(f"stage '{stage}' is unreachable from '{procedure.initial_stage}'")
        for stage in reachable:
            if not stages[stage].terminal and not _can_close_from(procedure, stage):
                faults.append(f"a case in stage '{stage}' can never close")
    return faults


def _texts(text: Text) -> list[str]:
    if isinstance(text, PartyText):
        return [t for t in (text.complainant, text.respondent) if t]
    return [text]


def _placeholder_faults(where: str, text: Text) -> list[str]:
    faults = []
    for part in _texts(text):
        try:
            part.format(**WORDING_PLACEHOLDERS)
        except (KeyError, IndexError, ValueError) as exc:
            faults.append(f"wording of {where}: only {{by}} and {{day}} may be filled in ({exc!r})")
    return faults


def missing_wording(procedure: Procedure, wording: Wording) -> list[str]:
    """The stages, steps, clocks and outcomes of `procedure` that `wording` leaves
    without party wording (a party must never read a staff label or a key instead)."""
    faults = []
    for section, keys in (
        ("stages", procedure.stages),
        ("steps", procedure.transitions),
        ("clocks", procedure.clocks),
        ("outcomes", procedure.outcomes),
    ):
        declared = getattr(wording, section)
        for key in keys:
            if key not in declared:
                faults.append(f"wording: {section} has no party wording for '{key}'")
    for key, clock_text in wording.clocks.items():
        faults.extend(_placeholder_faults(f"clock '{key}'", clock_text))
    for key, letter in wording.letters.items():
        for party in letter.to:
            if party not in PARTY_ROLES:
                faults.append(f"wording: letter '{key}' goes to '{party}', not a party")
        for clock_key in letter.discharges or ():
            if clock_key not in procedure.clocks:
                faults.append(f"wording: letter '{key}' discharges unknown clock '{clock_key}'")
        if bool(letter.subject) != bool(letter.body):
            faults.append(
                f"wording.letters.{key}.{'body' if letter.subject else 'subject'}: "
                "a letter's own wording needs both a subject and a body, or neither"
            )
    faults.extend(_letter_faults(procedure, wording))
    return faults


def _letter_faults(procedure: Procedure, wording: Wording) -> list[str]:
    # A letter's kind (what it must say, its default wording) is the letters' own.
    from accord.letters.kinds import declaration_faults

    return declaration_faults(procedure, wording)


def unknown_wording(procedures: list[Procedure], wording: Wording) -> list[str]:
    """Wording for a stage, step, clock, outcome or letter that no version of the
    procedure has: a typo, or wording left behind by a renamed key."""
    faults = []
    for section, attribute in (
        ("stages", "stages"),
        ("steps", "transitions"),
        ("clocks", "clocks"),
        ("outcomes", "outcomes"),
        ("letters", "letters"),
    ):
        known = {key for procedure in procedures for key in getattr(procedure, attribute)}
        for key in getattr(wording, section):
            if key not in known:
                faults.append(f"wording: {section} names unknown '{key}'")
    return faults


def load_wording(path: Path) -> Wording:
    """Parse and validate a pack's wording file (its keys are checked by the registry
    against every version of the pack)."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProcedureError(str(path), [f"not valid YAML: {exc}"]) from exc
    if not isinstance(raw, dict):
        raise ProcedureError(str(path), ["the file must contain a mapping at the top level"])
    try:
        return Wording.model_validate(raw)
    except ValidationError as exc:
        faults = [
            f"{'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors()
        ]
        raise ProcedureError(str(path), faults) from exc


def _marked_anywhere(procedure: Procedure, milestone: str) -> bool:
    return any(milestone in t.marks for t in procedure.transitions.values())


def _next_stages(procedure: Procedure, stage: str) -> set[str]:
    found: set[str] = set()
    for transition in procedure.transitions.values():
        if transition.to is not None and transition.to in procedure.stages:
            if transition.from_ == (ANY_OPEN_STAGE,):
                if not procedure.stages[stage].terminal:
                    found.add(transition.to)
            elif stage in transition.from_:
                found.add(transition.to)
    return found


def _reachable(procedure: Procedure) -> set[str]:
    seen = {procedure.initial_stage}
    queue = deque([procedure.initial_stage])
    while queue:
        for nxt in _next_stages(procedure, queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _can_close_from(procedure: Procedure, start: str) -> bool:
    seen = {start}
    queue = deque([start])
    while queue:
        stage = queue.popleft()
        if procedure.stages[stage].terminal:
            return True
        for nxt in _next_stages(procedure, stage):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False
