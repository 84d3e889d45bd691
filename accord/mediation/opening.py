"""Opening a case to the business complained about: until the mediator does, the
business does not know of the case (see `accord.policy.disclosure`). A pack may open it
as a step's effect (`open_to_respondent`, normally at acceptance for mediation); the
mediator may also open it by hand."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.engine import lock_case
from accord.cases.errors import ActionRefused, NotPermitted
from accord.cases.models import Case
from accord.cases.rules import apply_effect
from accord.cases.timeline import append_event
from accord.policy.disclosure import opening_refusal
from accord.policy.roles import standing
from accord.procedures.definition import Effect


def open_to_respondent(case_id: int, actor: User, *, now: dt.datetime) -> Case:
    """The mediator opens the case to the business: from now it sees the case, its own
    thread, what is put to it, and (with consent on file) who the complainant is."""
    with transaction.atomic():
        case = lock_case(case_id)
        st = standing(actor, case)
        if not st.handles:
            raise NotPermitted("only the case's handlers open a case to the business")
        problem = opening_refusal(case)
        if problem is not None:
            raise ActionRefused(problem)
        apply_effect(case, Effect.OPEN_TO_RESPONDENT, now)
        append_event(
            case,
            kind=EventKind.OPENED_TO_RESPONDENT,
            at=now,
            actor=actor,
            actor_role=str(st.role),
        )
        case.save()
    return case


def reach_respondent(case: Case, now: dt.datetime) -> bool:
    """Before an act addressed to the business (the caller holds the case locked and
    has checked `policy.disclosure.respondent_unreachable`): open the case to it if it
    is not open yet. True if this opened it; the caller's event records that."""
    if case.opened_to_respondent_at is not None:
        return False
    apply_effect(case, Effect.OPEN_TO_RESPONDENT, now)
    case.save(update_fields=["opened_to_respondent_at", "updated_at"])
    return case.opened_to_respondent_at is not None
