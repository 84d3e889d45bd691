"""What the work queue sorts a case by where the column it shows is not the case's own:
the complainant's name, the handler's name and the stage's label. Each is kept on the
case row, case-folded, by whoever changes what it is made from (intake, assignment,
a step, a reopening), so every sort is a keyset walk over one index (cases/queue.py)."""

from __future__ import annotations

from accord.accounts.models import User
from accord.procedures.definition import Procedure

LENGTH = 200  # the columns' length


def complainant(name: str, business_name: str = "") -> str:
    """The complainant as the queue shows them (`Complainant.__str__`)."""
    return (business_name or name).casefold()[:LENGTH]


def handler(user: User | None) -> str | None:
    """The handler as the queue shows them (`User.__str__`); None when unassigned."""
    return str(user).casefold()[:LENGTH] if user is not None else None


def stage(procedure: Procedure, key: str) -> str:
    """The stage's label in the case's procedure."""
    found = procedure.stages.get(key)
    return (found.label if found is not None else key).casefold()[:LENGTH]
