"""The work queue: open cases, keyset-paginated, in one of its sorts (next deadline —
the default —, received date, reference, complainant, stage or handler, each either way
round), narrowed by filters and by one of the views a person works from ("mine",
"unassigned", "at risk", "breached", "due this week", "letters owed"), each counted for
its link.

Every sort is (column, id) on a column of the case row — the complainant's and
handler's names and the stage's label are kept there (`sort_keys.py`) — over a partial
index of the open cases that ends with those two columns. By deadline cases with no
running clock come last, and by handler unassigned cases do, either way round: those
sorts are read in two segments — cases with a value, then cases without, by id — so
each segment walks a partial index in its natural order on both SQLite and PostgreSQL
(`open_case_queue`; `case_open_by_handler` for "mine" and "unassigned";
`case_letters_owed` for "letters owed"); by received date
it walks `case_open_received`, by the others `case_open_reference`,
`case_open_complainant`, `case_open_stage` and `case_open_handler_name`, whose included
columns let the views filter off the index. A page costs at most two queries whatever
the table size, and the view counts one more (`view_counts`: one statement of indexed
COUNTs, each stopping at COUNT_CAP).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models
from django.db.models import Q, QuerySet

from accord.accounts.models import User
from accord.cases import search
from accord.cases.choices import ClockBadge
from accord.cases.errors import InvalidAction
from accord.cases.models import Case
from accord.keyset import Cursor as Cursor
from accord.keyset import after, first
from accord.policy.disclosure import cases_visible_to
from accord.policy.roles import staff_role


class View(models.TextChoices):
    """The queue's views: each a link with its count."""

    MINE = "mine", "Mine"
    UNASSIGNED = "unassigned", "Unassigned"
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    DUE_THIS_WEEK = "due_this_week", "Due this week"
    LETTERS_OWED = "letters_owed", "Letters owed"


# Each column the queue sorts by, under the name a sort asks for it ("-name": the
# other way round).
SORT_COLUMNS = {
    "deadline": "next_deadline_at",
    "received": "received_at",
    "reference": "reference",
    "complainant": "complainant_sort",
    "stage": "stage_sort",
    "handler": "handler_sort",
}
# Each sort: the column it orders by and whether it runs backwards.
SORTS: dict[str, tuple[str, bool]] = {
    f"{sign}{name}": (column, sign == "-")
    for name, column in SORT_COLUMNS.items()
    for sign in ("", "-")
}
NULLABLE = {"next_deadline_at", "handler_sort"}  # those without a value come last
TEXT = {"reference", "complainant_sort", "stage_sort", "handler_sort"}
DEFAULT_SORT = "deadline"

# What a row of the queue shows (the pages' and the API's), read for its cases and
# nothing more: a page of 50 rows with every column of the case and its four related
# rows took half its CPU making them.
SHOWN_RELATED = ("organisation", "complainant", "handler", "team")
SHOWN_FIELDS = (
    "reference",
    "procedure_key",
    "procedure_version",
    "stage",
    "is_open",
    "received_at",
    "next_deadline_at",
    "next_at_risk_at",
    "letters_owed",
    *SORT_COLUMNS.values(),
    "organisation__slug",
    "organisation__name",
    "complainant__name",
    "complainant__business_name",
    "handler__username",
    "handler__first_name",
    "handler__last_name",
    "team__name",
)


def week_end(now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The end of the week `now` is in (the start of the next Monday), in `tz`."""
    today = now.astimezone(tz).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(), tzinfo=tz)


def view_condition(view: View, user: User, now: dt.datetime, tz: ZoneInfo) -> Q:
    if view == View.MINE:
        return Q(handler=user)
    if view == View.UNASSIGNED:
        return Q(handler__isnull=True)
    if view == View.AT_RISK:
        return _clock_state_condition(ClockBadge.AT_RISK, now)
    if view == View.BREACHED:
        return _clock_state_condition(ClockBadge.BREACHED, now)
    if view == View.LETTERS_OWED:
        return Q(letters_owed__gt=0)
    return Q(next_deadline_at__gt=now, next_deadline_at__lt=week_end(now, tz))


LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True)
class QueueFilters:
    """What the user narrowed the queue to."""

    organisation: str | None = None  # slug
    team_id: int | None = None
    handler: str | None = None  # username, "me" or "none"
    stage: str | None = None
    clock_state: ClockBadge | None = None
    search: str = ""  # words to find in the reference, names, description, business
    view: View | None = None
    tz: ZoneInfo = LONDON  # the organisation's, for "this week"


def open_cases(user: User) -> QuerySet[Case]:
    # The queue is staff's: their organisation's cases, read straight off the
    # per-organisation index (the general visibility rule also admits a user's own
    # complaints, which costs a join the queue does not need).
    if user.is_superuser:
        cases = Case.objects.filter(is_open=True)
    elif staff_role(user) is not None and user.organisation_id is not None:
        cases = Case.objects.filter(organisation_id=user.organisation_id, is_open=True)
    else:
        cases = cases_visible_to(user).filter(is_open=True)
    return cases


def filtered(user: User, filters: QueueFilters, now: dt.datetime) -> QuerySet[Case]:
    cases = open_cases(user)
    if filters.view is not None:
        cases = cases.filter(view_condition(filters.view, user, now, filters.tz))
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


# A view's count stops here ("1000+"): reading a count costs at most this many index
# entries a view, however many cases match (an exact count of a large range grows with
# it: "unassigned" was 12-25 ms at 100k cases, most of them unassigned).
COUNT_CAP = 1000


def view_counts(user: User, now: dt.datetime, tz: ZoneInfo) -> dict[View, int]:
    """How many of the user's open cases each view holds, up to COUNT_CAP: one
    statement of capped COUNTs, each an index range (see the module's docstring)."""
    base = open_cases(user).order_by()
    parts: list[str] = []
    params: list[Any] = []
    for view in View:
        capped = base.filter(view_condition(view, user, now, tz)).values("pk")[:COUNT_CAP]
        sql, more = capped.query.sql_with_params()
        # The SQL is the ORM's own, with its parameters kept apart.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS {view.value})")  # noqa: S608
        params.extend(more)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {view: int(count) for view, count in zip(View, row or (), strict=True)}


def page(
    user: User,
    filters: QueueFilters,
    *,
    now: dt.datetime,
    cursor: Cursor | None = None,
    limit: int = 50,
    sort: str = DEFAULT_SORT,
) -> tuple[list[Case], Cursor | None]:
    """One page of the queue in `sort` order and the cursor for the next (None at the
    end). A cursor holds the last row's sort value (None for a case without one: those
    come last, by id) and its id."""
    column, descending = SORTS[sort]
    if (
        cursor is not None
        and cursor.at is not None
        and isinstance(cursor.at, str) != (column in TEXT)
    ):
        raise InvalidAction("the cursor is not one this list gave out", field="cursor")
    sign = "-" if descending else ""
    base = filtered(user, filters, now)
    shown = Case.objects.select_related(*SHOWN_RELATED).only(*SHOWN_FIELDS)
    segments: list[tuple[QuerySet[Case], tuple[str, ...], bool]] = [
        (base, (f"{sign}{column}", f"{sign}id"), True)
    ]
    if column in NULLABLE:
        segments = [
            (base.filter(**{f"{column}__isnull": False}), segments[0][1], True),
            (base.filter(**{f"{column}__isnull": True}), (f"{sign}id",), False),
        ]
    results: list[Case] = []
    for found, order, keyed in segments:
        if cursor is not None:
            if keyed and cursor.at is None:
                continue  # the cursor is past this segment
            if keyed or cursor.at is None:
                found = found.filter(after(column, cursor, descending=descending))
        results += first(found, order, limit + 1 - len(results), shown)
        if len(results) > limit:
            break
    if len(results) > limit:
        last = results[limit - 1]
        return results[:limit], Cursor(getattr(last, column), last.pk)
    return results, None
