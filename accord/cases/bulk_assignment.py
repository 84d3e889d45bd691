"""Assigning many cases at once (the work queue's checkboxes): each case through
`actions.assign`, so each change is one `assigned` event on that case's timeline with
the same checks as one at a time. The request is refused whole when it names a case
that is not one of the actor's organisation's open cases, or a handler or team of
another organisation; a case the assignment rules refuse (separation of duties) is
reported with its reason and left as it was."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from accord.accounts.models import User
from accord.cases import actions
from accord.cases.errors import ActionRefused, InvalidAction, NotPermitted
from accord.cases.models import Case
from accord.organisations.models import Team
from accord.policy.roles import can_assign_in_bulk, is_handler_of

MOST = 200  # cases in one request


@dataclass
class BulkAssigned:
    changed: list[str] = field(default_factory=list)  # references
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (reference, why)


def assign_many(
    references: list[str],
    actor: User,
    *,
    handler: User | None,
    team: Team | None,
    now: dt.datetime,
) -> BulkAssigned:
    organisation_id = actor.organisation_id
    if organisation_id is None or not can_assign_in_bulk(actor, organisation_id):
        raise NotPermitted("only managers, administrators and senior handlers assign cases")
    wanted = list(dict.fromkeys(r.strip() for r in references if r.strip()))
    if not wanted:
        raise InvalidAction("choose at least one case", field="cases")
    if len(wanted) > MOST:
        raise InvalidAction(f"choose at most {MOST} cases at a time", field="cases")
    if handler is None and team is None:
        raise InvalidAction("choose a handler or a team to assign them to", field="handler")
    if handler is not None and not is_handler_of(handler, organisation_id):
        raise InvalidAction("the handler must be a handler of this organisation", field="handler")
    if team is not None and team.organisation_id != organisation_id:
        raise InvalidAction("the team belongs to another organisation", field="team")
    found = dict(
        Case.objects.filter(
            organisation_id=organisation_id, is_open=True, reference__in=wanted
        ).values_list("reference", "pk")
    )
    unknown = [reference for reference in wanted if reference not in found]
    if unknown:
        raise InvalidAction(
            "not open cases of your organisation: " + ", ".join(unknown[:10]), field="cases"
        )
    result = BulkAssigned()
    keep = actions.KEEP
    for reference in wanted:
        try:
            assigned = actions.assign(
                found[reference],
                actor,
                handler=handler if handler is not None else keep,
                team=team,
                now=now,
            )
        except ActionRefused as exc:
            result.refused.append((reference, exc.message))
            continue
        (result.changed if assigned.changed else result.unchanged).append(reference)
    return result
