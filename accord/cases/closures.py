"""Closures kept as rows of their own (`CaseClosure`): written when a case closes,
marked (never removed) when it is reopened. The caller holds the case locked."""

from __future__ import annotations

import datetime as dt

from accord.cases.models import Case, CaseClosure


def record_closure(case: Case, now: dt.datetime) -> CaseClosure:
    """The case has just closed with its outcome (the engine's terminal step)."""
    return CaseClosure.objects.create(
        case=case,
        organisation_id=case.organisation_id,
        procedure_key=case.procedure_key,
        procedure_version=case.procedure_version,
        outcome=case.outcome,
        received_at=case.received_at,
        closed_at=now,
    )


def record_reopening(case: Case, now: dt.datetime) -> int:
    """The case is being reopened: its latest closure stays, marked reopened."""
    latest = (
        CaseClosure.objects.filter(case=case, reopened_at__isnull=True)
        .order_by("-closed_at", "-id")
        .first()
    )
    if latest is None:
        return 0
    latest.reopened_at = now
    latest.save(update_fields=["reopened_at"])
    return 1
