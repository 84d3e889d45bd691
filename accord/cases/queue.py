"""The work queue: open cases ordered by next deadline, keyset-paginated.

Ordered by (next_deadline_at, id) with cases that have no running clock last. The
order is read in two segments — cases with a deadline, then cases without — so each
segment walks the partial index `open_case_queue` in its natural order on both SQLite
and PostgreSQL, and a page costs at most two queries whatever the table size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accord.accounts.models import User
from accord.cases import search
from accord.cases.choices import ClockBadge
from accord.cases.models import Case
from accord.keyset import Cursor as Cursor
from accord.keyset import after, first
from accord.permissions import cases_visible_to, staff_role


@dataclass(frozen=True)
class QueueFilters:
    """What the user narrowed the queue to."""

    organisation: str | None = None  # slug
    team_id: int | None = None
    handler: str | None = None  # username, "me" or "none"
    stage: str | None = None
    clock_state: ClockBadge | None = None
    search: str = ""  # words to find in the reference, names, description, business


def filtered(user: User, filters: QueueFilters, now: dt.datetime) -> QuerySet[Case]:
    # The queue is staff's: their organisation's cases, read straight off the
    # per-organisation index (the general visibility rule also admits a user's own
    # complaints, which costs a join the queue does not need).
    if user.is_superuser:
        cases = Case.objects.filter(is_open=True)
    elif staff_role(user) is not None and user.organisation_id is not None:
        cases = Case.objects.filter(organisation_id=user.organisation_id, is_open=True)
    else:
        cases = cases_visible_to(user).filter(is_open=True)
    if filters.organisation:
        cases = cases.filter(organisation__slug=filters.organisation)
    if filters.team_id is not None:
        cases = cases.filter(team_id=filters.team_id)
    if filters.handler == "me":
        cases = cases.filter(handler=user)
    elif filters.handler == "none":
        cases = cases.filter(handler__isnull=True)
    elif filters.handler:
        cases = cases.filter(handler__username=filters.handler)
    if filters.stage:
        cases = cases.filter(stage=filters.stage)
    if filters.clock_state is not None:
        cases = cases.filter(_clock_state_condition(filters.clock_state, now))
    if filters.search.strip():
        cases = search.matching(cases, filters.search)
    return cases


def _clock_state_condition(state: ClockBadge, now: dt.datetime) -> Q:
    if state == ClockBadge.NONE:
        return Q(next_deadline_at__isnull=True)
    if state == ClockBadge.BREACHED:
        return Q(next_deadline_at__lte=now)
    if state == ClockBadge.AT_RISK:
        return Q(next_deadline_at__gt=now, next_at_risk_at__lte=now)
    return Q(next_deadline_at__gt=now) & (
        Q(next_at_risk_at__isnull=True) | Q(next_at_risk_at__gt=now)
    )


def page(
    user: User,
    filters: QueueFilters,
    *,
    now: dt.datetime,
    cursor: Cursor | None = None,
    limit: int = 50,
) -> tuple[list[Case], Cursor | None]:
    """One page of the queue and the cursor for the next (None at the end)."""
    base = filtered(user, filters, now)
    shown = Case.objects.select_related("organisation", "complainant", "handler", "team")
    results: list[Case] = []
    if cursor is None or cursor.at is not None:
        with_deadline = base.filter(next_deadline_at__isnull=False)
        if cursor is not None:
            with_deadline = with_deadline.filter(after("next_deadline_at", cursor))
        results = first(with_deadline, ("next_deadline_at", "id"), limit + 1, shown)
    if len(results) <= limit:
        without_deadline = base.filter(next_deadline_at__isnull=True)
        if cursor is not None and cursor.at is None:
            without_deadline = without_deadline.filter(after("next_deadline_at", cursor))
        results += first(without_deadline, ("id",), limit + 1 - len(results), shown)
    if len(results) > limit:
        last = results[limit - 1]
        return results[:limit], Cursor(last.next_deadline_at, last.pk)
    return results, None
