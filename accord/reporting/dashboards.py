"""Managers' dashboards: the organisation's open cases by stage and age, its at-risk and
breached deadlines (per clock, per team, per handler) and the last twelve months.
Every figure is one grouped SQL query; "now" is passed in.

Age is counted in calendar days since receipt, in bands that meet the FCA's 4 and 8
week buckets: the organisations' clocks mix working and calendar days, and a calendar
age reads the same for every procedure (each clock's own unit is on its due date).
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncMonth
from ninja import Schema

from accord.accounts.models import User
from accord.cases.choices import ClockStatus
from accord.cases.models import Case, CaseClosure, Clock
from accord.organisations.models import Organisation, Team
from accord.procedures.registry import registry
from accord.reporting.outcomes import outcome_kind
from accord.reporting.periods import LONDON
from accord.workdays.wording import month_label

# (key, label, older than this many days, at most this many days)
AGE_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("up_to_7", "0-7 days", -1, 7),
    ("8_to_14", "8-14 days", 7, 14),
    ("15_to_28", "15-28 days", 14, 28),
    ("29_to_56", "29-56 days", 28, 56),
    ("over_56", "Over 56 days", 56, None),
)
TREND_MONTHS = 12


class StageRow(Schema):
    stage: str
    label: str
    open: int
    ages: dict[str, int]


class DeadlineRow(Schema):
    key: str
    label: str
    open: int
    at_risk: int
    breached: int
    oldest_received_at: dt.datetime | None = None


class ClockRow(Schema):
    key: str
    label: str
    running: int
    at_risk: int
    breached: int


class TrendRow(Schema):
    month: str
    label: str = ""  # "Jan 2026"
    received: int
    closed: int
    resolved_early: int


class Dashboard(Schema):
    organisation: str
    now: dt.datetime
    age_bands: dict[str, str]
    open: int
    at_risk: int
    breached: int
    stages: list[StageRow]
    clocks: list[ClockRow]
    teams: list[DeadlineRow]
    handlers: list[DeadlineRow]
    months: list[TrendRow]


def _age_counts(now: dt.datetime) -> dict[str, Count]:
    counts = {}
    for key, _, older_than, at_most in AGE_BANDS:
        condition = Q()
        if older_than >= 0:
            condition &= Q(received_at__lte=now - dt.timedelta(days=older_than))
        if at_most is not None:
            condition &= Q(received_at__gt=now - dt.timedelta(days=at_most))
        counts[key] = Count("organisation", filter=condition)
    return counts


def _deadline_counts(now: dt.datetime) -> dict[str, Count]:
    # The case's stored next deadline: breached once it has passed, at risk from its
    # at-risk instant (the same reading as the work queue's badge).
    return {
        "open_n": Count("*"),
        "at_risk_n": Count(
            "organisation", filter=Q(next_at_risk_at__lte=now, next_deadline_at__gt=now)
        ),
        "breached_n": Count("organisation", filter=Q(next_deadline_at__lte=now)),
    }


def open_cases(organisation_id: int) -> QuerySet[Case]:
    return Case.objects.filter(organisation_id=organisation_id, is_open=True).order_by()


def _stage_labels(procedure_key: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for loaded in registry().versions_of(procedure_key):
        labels.update({k: s.label for k, s in loaded.procedure.stages.items()})
    return labels


def stages(organisation: Organisation, now: dt.datetime) -> list[StageRow]:
    labels = _stage_labels(organisation.procedure_key)
    rows = open_cases(organisation.pk).values("stage").annotate(n=Count("*"), **_age_counts(now))
    order = list(labels)
    return sorted(
        (
            StageRow(
                stage=row["stage"],
                label=labels.get(row["stage"], row["stage"]),
                open=row["n"],
                ages={key: counts[key] for key, *_ in AGE_BANDS},
            )
            for row in rows
            for counts in [cast(dict[str, int], row)]
        ),
        key=lambda r: (order.index(r.stage) if r.stage in order else len(order), r.stage),
    )


def clocks(organisation_id: int, now: dt.datetime) -> list[ClockRow]:
    """The running duty clocks of open cases: at risk (past the at-risk instant, not yet
    due) and breached (past due)."""
    rows = (
        Clock.objects.filter(
            case__organisation_id=organisation_id,
            case__is_open=True,
            status=ClockStatus.RUNNING,
            is_window=False,
        )
        .order_by()
        .values("key")
        .annotate(
            label=Max("label"),
            n=Count("*"),
            at_risk_n=Count("case", filter=Q(at_risk_at__lte=now, due_at__gt=now)),
            breached_n=Count("case", filter=Q(due_at__lte=now)),
        )
        .order_by("key")
    )
    return [
        ClockRow(
            key=r["key"],
            label=r["label"],
            running=r["n"],
            at_risk=r["at_risk_n"],
            breached=r["breached_n"],
        )
        for r in rows
    ]


def _per(organisation_id: int, field: str, now: dt.datetime) -> list[dict[str, object]]:
    return list(
        open_cases(organisation_id)
        .values(field)
        .annotate(oldest=Min("received_at"), **_deadline_counts(now))
        .order_by(field)
    )


def per_team(organisation_id: int, now: dt.datetime) -> list[DeadlineRow]:
    names = dict(Team.objects.filter(organisation_id=organisation_id).values_list("id", "name"))
    return [_deadline_row(row, "team", names) for row in _per(organisation_id, "team", now)]


def per_handler(organisation_id: int, now: dt.datetime) -> list[DeadlineRow]:
    rows = _per(organisation_id, "handler", now)
    ids = [int(str(row["handler"])) for row in rows if row["handler"] is not None]
    names = {
        user.pk: str(user)
        for user in User.objects.filter(pk__in=ids).only("username", "first_name", "last_name")
    }
    return [_deadline_row(row, "handler", names) for row in rows]


def _deadline_row(row: dict[str, object], field: str, names: dict[int, str]) -> DeadlineRow:
    ident = row[field]
    unassigned = "No team" if field == "team" else "Unassigned"
    return DeadlineRow(
        key=str(ident or ""),
        label=names.get(ident, str(ident)) if isinstance(ident, int) else unassigned,
        open=int(row["open_n"]),  # type: ignore[call-overload]
        at_risk=int(row["at_risk_n"]),  # type: ignore[call-overload]
        breached=int(row["breached_n"]),  # type: ignore[call-overload]
        oldest_received_at=row["oldest"],  # type: ignore[arg-type]
    )


def trend(
    organisation: Organisation, now: dt.datetime, months_back: int = TREND_MONTHS
) -> list[TrendRow]:
    """Received, closed and closed-early in each of the last twelve (or `months_back`)
    months, this one included."""
    local = now.astimezone(LONDON)
    first = local.date().replace(day=1)
    for _ in range(months_back - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    since = dt.datetime.combine(first, dt.time(), tzinfo=LONDON)
    base = Case.objects.filter(organisation_id=organisation.pk).order_by()
    received = dict(
        base.filter(received_at__gte=since)
        .annotate(month=TruncMonth("received_at", tzinfo=LONDON))
        .values_list("month")
        .annotate(n=Count("*"))
    )
    closed: dict[dt.datetime, list[int]] = {}
    # Closures, not cases: a case reopened since keeps its closure in its month.
    rows = (
        CaseClosure.objects.filter(organisation_id=organisation.pk, closed_at__gte=since)
        .order_by()
        .annotate(month=TruncMonth("closed_at", tzinfo=LONDON))
        .values_list("month", "procedure_key", "procedure_version", "outcome")
        .annotate(n=Count("*"))
    )
    for month, key, version, outcome, n in rows:
        totals = closed.setdefault(month, [0, 0])
        totals[0] += n
        totals[1] += n if outcome_kind(key, version, outcome).early else 0
    months = []
    cursor = first
    while cursor <= local.date():
        start = dt.datetime.combine(cursor, dt.time(), tzinfo=LONDON)
        got = closed.get(start, [0, 0])
        months.append(
            TrendRow(
                month=f"{cursor:%Y-%m}",
                label=month_label(cursor),
                received=received.get(start, 0),
                closed=got[0],
                resolved_early=got[1],
            )
        )
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return months


def dashboard(
    organisation: Organisation, now: dt.datetime, months_back: int = TREND_MONTHS
) -> Dashboard:
    org_id = organisation.pk
    totals = open_cases(org_id).aggregate(**_deadline_counts(now))
    return Dashboard(
        organisation=organisation.slug,
        now=now,
        age_bands={key: label for key, label, *_ in AGE_BANDS},
        open=totals["open_n"],
        at_risk=totals["at_risk_n"],
        breached=totals["breached_n"],
        stages=stages(organisation, now),
        clocks=clocks(org_id, now),
        teams=per_team(org_id, now),
        handlers=per_handler(org_id, now),
        months=trend(organisation, now, months_back),
    )
