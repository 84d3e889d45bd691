"""Recomputing stored clocks when an organisation's calendar changes (a closure day
added, the closing time or the nation changed). Due dates are a projection of the
timeline through the calendar; when the calendar moves, the projection is redone for
every open case, each in its own transaction with the case locked, so the sweeper never
works from stale due dates. No event is written: nothing happened to the case."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from accord.cases.engine import lock_case, procedure_of, refresh_clocks
from accord.cases.models import Case
from accord.cases.timeline import events_of


def recompute_open_cases(organisation_id: int) -> int:
    """Re-project the clocks of every open case of the organisation; return how many."""
    ids = list(
        Case.objects.filter(organisation_id=organisation_id, is_open=True).values_list(
            "pk", flat=True
        )
    )
    for case_id in ids:
        with transaction.atomic():
            case = lock_case(case_id)
            refresh_clocks(case, procedure_of(case), events_of(case))
            case.save(update_fields=["next_deadline_at", "next_at_risk_at", "updated_at"])
    return len(ids)


@task()
def recompute_after_calendar_change(organisation_id: int) -> int:
    return recompute_open_cases(organisation_id)
