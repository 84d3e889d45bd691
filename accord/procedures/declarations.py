"""Declarations for versions published before the format could say them.

A published version never changes (cases are pinned to it). When the format gains a
field that code used to know by a pack's keys — which outcomes are upheld, which clocks
limit an agreement's obligations, which steps record the agreement — the next version
declares it in its own file, and `packs/<key>/declarations*.yaml` beside the pack says
the same of the versions published before, so their cases behave exactly as they did:

    declares:
      - versions: [1, 2, 3]
        outcomes:
          upheld: {upheld: true}
        clocks:
          agreement: {limits_obligations: true}
        transitions:
          agree_resolution: {adds_effects: [record_agreement]}
        inbound_email:
          - {label: ..., subject_contains: ..., takes: request_stage2}

Only these fields may be declared, only for published versions, only of keys the
version has; the result is checked like any pack. A declarations file is published
(locked) like a version: new declarations go in a new file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.procedures.definition import Effect, EmailMeaning, Procedure
from accord.procedures.loader import ProcedureError, coherence_faults

GLOB = "declarations*.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeDeclaration(_Strict):
    upheld: bool


class ClockDeclaration(_Strict):
    limits_obligations: bool


class TransitionDeclaration(_Strict):
    adds_effects: tuple[Literal[Effect.RECORD_AGREEMENT], ...] = Field(min_length=1)


class Declaration(_Strict):
    versions: tuple[int, ...] = Field(min_length=1)
    outcomes: dict[str, OutcomeDeclaration] = Field(default_factory=dict)
    clocks: dict[str, ClockDeclaration] = Field(default_factory=dict)
    transitions: dict[str, TransitionDeclaration] = Field(default_factory=dict)
    # What an inbound e-mail means (added to what the version says; its step must be
    # one of the version's, which the coherence checks see to).
    inbound_email: tuple[EmailMeaning, ...] = ()


class DeclarationsFile(_Strict):
    declares: tuple[Declaration, ...] = Field(min_length=1)


def read(path: Path) -> DeclarationsFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return DeclarationsFile.model_validate(raw)
    except yaml.YAMLError as exc:
        raise ProcedureError(str(path), [f"not valid YAML: {exc}"]) from exc
    except ValidationError as exc:
        raise ProcedureError(
            str(path),
            [
                f"{'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"
                for error in exc.errors()
            ],
        ) from exc


def declared(procedure: Procedure, declaration: Declaration) -> tuple[Procedure, list[str]]:
    """`procedure` with `declaration` applied, and every fault (unknown keys)."""
    faults: list[str] = []

    def known(section: str, names: Iterable[str], keys: Iterable[str]) -> None:
        for name in names:
            if name not in set(keys):
                faults.append(f"{procedure.ref} has no {section} '{name}'")

    known("outcome", declaration.outcomes, procedure.outcomes)
    known("clock", declaration.clocks, procedure.clocks)
    known("transition", declaration.transitions, procedure.transitions)
    if faults:
        return procedure, faults
    outcomes = {
        key: outcome.model_copy(update=declaration.outcomes[key].model_dump())
        if key in declaration.outcomes
        else outcome
        for key, outcome in procedure.outcomes.items()
    }
    clocks = {
        key: clock.model_copy(update=declaration.clocks[key].model_dump())
        if key in declaration.clocks
        else clock
        for key, clock in procedure.clocks.items()
    }
    transitions = {
        key: transition.model_copy(
            update={
                "effects": (
                    *transition.effects,
                    *(
                        effect
                        for effect in declaration.transitions[key].adds_effects
                        if effect not in transition.effects
                    ),
                )
            }
        )
        if key in declaration.transitions
        else transition
        for key, transition in procedure.transitions.items()
    }
    changed = procedure.model_copy(
        update={
            "outcomes": outcomes,
            "clocks": clocks,
            "transitions": transitions,
            "inbound_email": (*procedure.inbound_email, *declaration.inbound_email),
        }
    )
    # Declared only of shipped packs, whose wording (and so their letters) the
    # registry checks once it adds the wording beside them.
    faults = coherence_faults(changed, wording_beside=True)
    return changed, [f"{procedure.ref}: {fault}" for fault in faults]


def apply_file(
    path: Path, versions: dict[int, Procedure], published: set[int] | None
) -> dict[int, Procedure]:
    """The versions with the file's declarations applied (`published`: the versions
    in the lock file, or None when there is none). Raises `ProcedureError` with every
    fault."""
    document = read(path)
    faults: list[str] = []
    result = dict(versions)
    seen: set[int] = set()
    for declaration in document.declares:
        for version in declaration.versions:
            if version in seen:
                faults.append(f"version {version} is declared for twice")
                continue
            seen.add(version)
            if version not in result:
                faults.append(f"there is no version {version}")
                continue
            if published is not None and version not in published:
                faults.append(
                    f"version {version} is not published: declare it in its own file instead"
                )
                continue
            result[version], found = declared(result[version], declaration)
            faults.extend(found)
    if faults:
        raise ProcedureError(str(path), faults)
    return result
