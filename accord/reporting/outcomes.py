"""What each outcome counts as in the published figures, read from the procedure
definitions (each outcome says whether it is resolved, and resolved at an early stage).

"Early stage" is therefore whatever the pack marks `early: true`: resolved at the early
resolution step before records are gathered (occs-mediation), resolved quickly before
a proposal or escalation (client-services), resolved at stage 1 (lettings, housing
ombudsman), a summary resolution within three business days (fca-disp).

"Upheld" follows the FCA's complaints return (DISP 1.10): a complaint decided wholly or
partly in the complainant's favour, i.e. the outcomes the pack marks `upheld: true`
(versions published before the flag existed declare it in `declarations.yaml`).
Procedures with none (mediation never adjudicates) report none.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.procedures.registry import UnknownProcedure, registry


@dataclass(frozen=True)
class OutcomeKind:
    key: str
    label: str
    resolved: bool
    early: bool
    upheld: bool


def outcome_kind(procedure_key: str, version: int, outcome: str) -> OutcomeKind:
    """How `outcome` of that procedure version counts (unknown ones count as neither)."""
    try:
        defined = registry().get(procedure_key, version).outcomes.get(outcome)
    except UnknownProcedure:
        defined = None
    if defined is None:
        return OutcomeKind(
            outcome, outcome.replace("_", " ").capitalize() or "None", False, False, False
        )
    return OutcomeKind(outcome, defined.label, defined.resolved, defined.early, defined.upheld)


def has_upheld_outcomes(procedure_key: str) -> bool:
    """Whether any version of the procedure can end in an upheld outcome."""
    return any(
        any(defined.upheld for defined in loaded.procedure.outcomes.values())
        for loaded in registry().versions_of(procedure_key)
    )
