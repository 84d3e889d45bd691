"""Which parts of a mediation a stage can use, read from the procedure: the page shows
a panel where the stage's own steps (or the stages after consent) make use of it, and
wherever the case already has something of that kind."""

from __future__ import annotations

from accord.procedures.definition import Effect, Guard, Procedure

# The guards and effects of the closed vocabulary that are about each part.
AGREEMENT_GUARDS = frozenset({Guard.AGREEMENT_BINDING, Guard.AGREEMENT_TERMS_DONE})
CONSENT_GUARDS = frozenset({Guard.CONSENT_ON_FILE, Guard.CONSENT_FORM_SIGNED})
CONSENT_EFFECTS = frozenset({Effect.RECORD_CONSENT})


def uses_agreement(procedure: Procedure, stage: str) -> bool:
    """A step that the stage names needs an agreement (binding, or its terms done):
    proposals are put and the agreement drawn up at this stage. A procedure whose steps
    never name the agreement uses it wherever records can be asked for."""
    gated = [
        transition
        for transition in procedure.transitions.values()
        if AGREEMENT_GUARDS & set(transition.guards)
    ]
    if not gated:
        return after_consent(procedure, stage)
    return any(stage in transition.from_ for transition in gated)


def after_consent(procedure: Procedure, stage: str) -> bool:
    """The stage comes after consent is given (a step into it needs consent, records
    it, or the stage is reached from such a stage): records can be asked for."""
    reached = {
        transition.to
        for transition in procedure.transitions.values()
        if transition.to
        and (CONSENT_GUARDS & set(transition.guards) or CONSENT_EFFECTS & set(transition.effects))
    }
    frontier = list(reached)
    while frontier:
        current = frontier.pop()
        for transition in procedure.transitions.values():
            target = transition.to
            if current in transition.from_ and target and target not in reached:
                reached.add(target)
                frontier.append(target)
    found = procedure.stages.get(stage)
    return stage in reached and found is not None and not found.terminal
