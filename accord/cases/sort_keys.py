"""What the work queue sorts a case by where the column it shows is not the case's own:
the complainant's name, the handler's name and the stage's place in its procedure. Each
is kept on the case row by whoever changes what it is made from (intake, assignment, a
step, a reopening, a member of staff renamed: `organisations.staffing.rename`), so
every sort is a keyset walk over one index (cases/queue.py)."""

from __future__ import annotations

from typing import Any

from accord.accounts.models import User
from accord.procedures.definition import Procedure
from accord.procedures.registry import UnknownProcedure, registry

LENGTH = 200  # the columns' length
# The digits of a stage's place, so that the text sorts in the order of the numbers
# (place 10 after place 9); no procedure comes near 10,000 stages.
PLACE_DIGITS = 4
UNKNOWN_PLACE = 10**PLACE_DIGITS - 1  # a stage of a procedure no longer known: last


def complainant(name: str, business_name: str = "") -> str:
    """The complainant as the queue shows them (`Complainant.__str__`)."""
    return (business_name or name).casefold()[:LENGTH]


def handler(user: User | None) -> str | None:
    """The handler as the queue shows them (`User.__str__`); None when unassigned."""
    return str(user).casefold()[:LENGTH] if user is not None else None


def stage(procedure: Procedure, key: str) -> str:
    """The stage's place in the case's procedure, then its label: by stage the queue
    lists cases in the order the procedure declares its stages — the order a case moves
    through them, received first and closed last, as the stage filter and the dashboard
    list them — and stages at the same place (other procedures, other versions) by
    label. A stage the procedure does not have comes after all of its own."""
    places = list(procedure.stages)
    found = procedure.stages.get(key)
    if found is None:
        return _key(len(places), key)
    return _key(places.index(key), found.label)


def _key(place: int, label: str) -> str:
    return f"{place:0{PLACE_DIGITS}d} {label.casefold()}"[:LENGTH]


def refill_stages(cases: Any) -> None:
    """Work out every case's stage key afresh, one UPDATE per procedure version and
    stage: for the migrations that add or change it (`cases` is the historical Case
    model's manager)."""
    found = cases.values_list("procedure_key", "procedure_version", "stage").distinct()
    for key, version, stage_key in found:
        try:
            value = stage(registry().get(key, version), stage_key)
        except UnknownProcedure:
            value = _key(UNKNOWN_PLACE, stage_key)
        cases.filter(procedure_key=key, procedure_version=version, stage=stage_key).update(
            stage_sort=value
        )
