"""Reading the quality log: every case of an organisation LEFT JOIN its optional quality
record, with its corrective actions counted by subquery (per page, never per case in
Python), and the log's totals counted in SQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from accord.cases.models import Case, ReferenceCounter
from accord.keyset import Cursor, after, first
from accord.quality.choices import OUTSTANDING, ActionFilter, ActionStatus, LogFilter
from accord.quality.models import CaseQuality, CorrectiveAction


def overdue(today: dt.date) -> Q:
    """An action still to be done whose due date has passed."""
    return Q(status__in=OUTSTANDING, due_on__lt=today)


def log_entries(organisation_id: int, show: LogFilter, today: dt.date) -> QuerySet[Case]:
    """The organisation's complaints, newest first, each with its quality record (or
    none), its number of corrective actions and whether any is overdue."""
    linked = CorrectiveAction.objects.filter(cases=OuterRef("pk"))
    count = linked.order_by().values("cases").annotate(n=Count("pk")).values("n")
    entries = (
        Case.objects.filter(organisation_id=organisation_id)
        .select_related("quality__root_cause", "handler")
        .annotate(
            action_count=Coalesce(Subquery(count, output_field=IntegerField()), 0),
            has_overdue_action=Exists(linked.filter(overdue(today))),
        )
        .order_by("-received_at", "-pk")
    )
    if show == LogFilter.OPEN:
        entries = entries.filter(is_open=True)
    elif show == LogFilter.OVERDUE:
        entries = entries.filter(has_overdue_action=True)
    elif show == LogFilter.NO_ROOT_CAUSE:
        entries = entries.filter(Q(quality__isnull=True) | Q(quality__root_cause__isnull=True))
    return entries


def log_page(
    organisation_id: int,
    show: LogFilter,
    today: dt.date,
    *,
    cursor: Cursor | None = None,
    limit: int = 50,
) -> tuple[list[Case], Cursor | None]:
    """One page of the log, newest first, and the cursor of the next (None at the end):
    read from the index on (organisation, received_at, id) at any depth."""
    entries = log_entries(organisation_id, show, today)
    if cursor is not None:
        entries = entries.filter(after("received_at", cursor, descending=True))
    shown = log_entries(organisation_id, LogFilter.ALL, today)
    found = first(entries, ("-received_at", "-id"), limit + 1, shown)
    if len(found) > limit:
        last = found[limit - 1]
        return found[:limit], Cursor(last.received_at, last.pk)
    return found, None


def log_counts(organisation_id: int, today: dt.date) -> dict[str, int]:
    """The log's totals, four small aggregate queries (none counts every case)."""
    # Every case takes the next number of its organisation's yearly counter in the
    # transaction that makes it, and no case is ever deleted: the numbers issued are the
    # complaints, read from a row a year instead of counting every case.
    issued = ReferenceCounter.objects.filter(organisation_id=organisation_id)
    cases: dict[str, int] = {
        "complaints": issued.aggregate(n=Coalesce(Sum("last"), 0))["n"],
        # Off the partial index of open cases.
        "open": Case.objects.filter(organisation_id=organisation_id, is_open=True).count(),
    }
    # From the quality records (one per case that has one), not a join to every case.
    cases["with_root_cause"] = CaseQuality.objects.filter(
        case__organisation_id=organisation_id, root_cause__isnull=False
    ).count()
    actions = CorrectiveAction.objects.filter(organisation_id=organisation_id).aggregate(
        outstanding=Count("pk", filter=Q(status__in=OUTSTANDING)),
        overdue=Count("pk", filter=overdue(today)),
        awaiting_verification=Count("pk", filter=Q(status=ActionStatus.COMPLETED)),
        verified=Count("pk", filter=Q(status=ActionStatus.VERIFIED)),
    )
    return {**cases, **actions}


def actions_of(
    organisation_id: int, show: ActionFilter, today: dt.date
) -> QuerySet[CorrectiveAction]:
    """The organisation's corrective actions, soonest due first, each knowing whether it
    is overdue and how many cases it concerns."""
    actions = (
        CorrectiveAction.objects.filter(organisation_id=organisation_id)
        .select_related("owner", "root_cause", "verified_by")
        # The references each row shows, in one query per page, not one per action.
        .prefetch_related(Prefetch("cases", queryset=Case.objects.only("pk", "reference")))
        .annotate(case_count=Count("cases"))
        .order_by("due_on", "pk")
    )
    if show == ActionFilter.OUTSTANDING:
        actions = actions.filter(status__in=OUTSTANDING)
    elif show == ActionFilter.OVERDUE:
        actions = actions.filter(overdue(today))
    elif show == ActionFilter.AWAITING_VERIFICATION:
        actions = actions.filter(status=ActionStatus.COMPLETED)
    return actions


def is_overdue(action: CorrectiveAction, today: dt.date) -> bool:
    return action.status in OUTSTANDING and action.due_on < today


def action_context(action: CorrectiveAction, today: dt.date) -> dict[str, Any]:
    """What the pages and the API show of an action."""
    return {
        "id": action.pk,
        "what": action.what,
        "owner": action.owner.username,
        "owner_name": str(action.owner),
        "due_on": action.due_on,
        "status": action.status,
        "status_label": action.get_status_display(),
        "overdue": is_overdue(action, today),
        "root_cause": action.root_cause.name if action.root_cause else None,
        "cases": sorted(case.reference for case in action.cases.all()),
        "completed_at": action.completed_at,
        "verified_by": action.verified_by.username if action.verified_by else None,
        "verified_at": action.verified_at,
        "created_at": action.created_at,
    }
