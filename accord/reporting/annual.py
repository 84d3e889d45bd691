"""The annual report: a period's figures beside the period before's. Every figure is
aggregated in SQL over the organisation's cases (a few grouped queries per period);
only the grouped rows come back to Python.

Which cases each figure counts:
- caseload, sources, categories: cases *received* in the period;
- outcomes, resolved and early shares, time to close, FCA buckets, clocks met,
  satisfaction: cases *closed* in the period (and still closed);
- referrals out to the regulator: referrals *made* in the period, and their share of
  the direct cases received in it (seed 001: "less than 2% of the direct enquiries").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Max, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone
from ninja import Schema

from accord.cases.choices import ClockStatus, Source
from accord.cases.models import Case, CaseClosure, Clock
from accord.mediation.feedback import report_rows
from accord.mediation.models import Feedback
from accord.organisations.models import Organisation
from accord.reporting.outcomes import has_upheld_outcomes, outcome_kind
from accord.reporting.periods import LONDON, Period
from accord.workdays.wording import month_label

# The FCA's buckets count UK calendar days from the day of receipt to the day of
# closing, as the 8-week clock does ("by the end of eight weeks after its receipt",
# DISP 1.6.2R): closed on the 56th day after receipt, at any hour, is within 8 weeks.
# Instants 56 x 24 hours apart would put an afternoon answer on the last day after 8
# weeks, and move a case across a bucket when the clocks change.
FOUR_WEEKS = dt.timedelta(weeks=4)
EIGHT_WEEKS = dt.timedelta(weeks=8)


def fca_bucket(received_at: dt.datetime, closed_at: dt.datetime) -> str:
    """The FCA bucket of a case closed at `closed_at` (see FOUR_WEEKS)."""
    days = closed_at.astimezone(LONDON).date() - received_at.astimezone(LONDON).date()
    if days <= FOUR_WEEKS:
        return "within 4 weeks"
    return "4 to 8 weeks" if days <= EIGHT_WEEKS else "over 8 weeks"


SATISFIED_FROM = 4  # a rating of 4 or 5 out of 5 counts as satisfied
_DAY_SECONDS = 86400.0


class Tally(Schema):
    key: str
    label: str
    count: int
    share: float | None


class ClockFigure(Schema):
    key: str
    label: str
    due: int
    met: int
    share_met: float | None
    average_days: float | None


class PartyFeedback(Schema):
    party: str
    invited: int
    answered: int
    average_rating: float | None
    share_satisfied: float | None


class PeriodFigures(Schema):
    first: dt.date
    last: dt.date
    label: str
    received: int
    closed: int
    reopened: int
    resolved: int
    resolved_early: int
    share_resolved: float | None
    share_resolved_early: float | None
    sources: list[Tally]
    referred_to_regulator: int
    share_of_direct_referred_to_regulator: float | None
    outcomes: list[Tally]
    categories: list[Tally]
    average_days_to_close: float | None
    closed_within_4_weeks: int
    closed_within_4_to_8_weeks: int
    closed_after_8_weeks: int
    upheld: int | None
    share_upheld: float | None
    clocks: list[ClockFigure]
    feedback: list[PartyFeedback]


class MonthFigure(Schema):
    month: str
    label: str = ""  # "Jan 2026"
    received: int
    closed: int


class CategoryTrend(Schema):
    category: str
    current: int
    previous: int
    change: float | None


class AnnualReport(Schema):
    organisation: str
    organisation_name: str
    current: PeriodFigures
    previous: PeriodFigures
    caseload_growth: float | None
    months: list[MonthFigure]
    category_trend: list[CategoryTrend]


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def growth(current: int, previous: int) -> float | None:
    return round((current - previous) / previous, 4) if previous else None


def received_in(organisation_id: int, period: Period) -> QuerySet[Case]:
    return Case.objects.filter(
        organisation_id=organisation_id,
        received_at__gte=period.start(),
        received_at__lt=period.end(),
    )


def closed_in(organisation_id: int, period: Period) -> QuerySet[CaseClosure]:
    """The closures in the period: one row per closure (`CaseClosure`), kept when the
    case is reopened later, so a published period's figures do not change."""
    return CaseClosure.objects.filter(
        organisation_id=organisation_id,
        closed_at__gte=period.start(),
        closed_at__lt=period.end(),
    )


def reopened_in(organisation_id: int, period: Period) -> int:
    """Reopenings in the period, counted as such (the closure they follow stays)."""
    return CaseClosure.objects.filter(
        organisation_id=organisation_id,
        reopened_at__gte=period.start(),
        reopened_at__lt=period.end(),
    ).count()


def _days(value: dt.timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / _DAY_SECONDS, 2)


def period_figures(organisation: Organisation, period: Period) -> PeriodFigures:
    org_id = organisation.pk
    received = received_in(org_id, period)
    by_source = dict(received.order_by().values_list("source").annotate(n=Count("id")))
    total_received = sum(by_source.values())
    sources = [
        Tally(key=s.value, label=s.label, count=by_source.get(s.value, 0), share=None)
        for s in Source
    ]
    for item in sources:
        item.share = share(item.count, total_received)
    categories = [
        Tally(
            key=category, label=category or "Uncategorised", count=n, share=share(n, total_received)
        )
        for category, n in received.order_by()
        .values_list("category")
        .annotate(n=Count("id"))
        .order_by("-n", "category")
    ]
    referred = Case.objects.filter(
        organisation_id=org_id,
        referred_to_regulator_at__gte=period.start(),
        referred_to_regulator_at__lt=period.end(),
    ).count()

    closed = closed_in(org_id, period)
    grouped = (
        closed.order_by()
        .alias(
            days_taken=ExpressionWrapper(
                TruncDate("closed_at", tzinfo=LONDON) - TruncDate("received_at", tzinfo=LONDON),
                output_field=DurationField(),
            )
        )
        .values("procedure_key", "procedure_version", "outcome")
        .annotate(
            n=Count("id"),
            within_4=Count("id", filter=Q(days_taken__lte=FOUR_WEEKS)),
            within_8=Count("id", filter=Q(days_taken__lte=EIGHT_WEEKS)),
        )
    )
    outcome_counts: dict[str, int] = {}
    outcome_labels: dict[str, str] = {}
    total_closed = resolved = early = upheld = within_4 = within_8 = 0
    for row in grouped:
        kind = outcome_kind(row["procedure_key"], row["procedure_version"], row["outcome"])
        n = row["n"]
        total_closed += n
        within_4 += row["within_4"]
        within_8 += row["within_8"]
        resolved += n if kind.resolved else 0
        early += n if kind.early else 0
        upheld += n if kind.upheld else 0
        outcome_counts[kind.key] = outcome_counts.get(kind.key, 0) + n
        outcome_labels.setdefault(kind.key, kind.label)
    outcomes = [
        Tally(key=key, label=outcome_labels[key], count=n, share=share(n, total_closed))
        for key, n in sorted(outcome_counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    average = closed.aggregate(
        d=Avg(ExpressionWrapper(F("closed_at") - F("received_at"), output_field=DurationField()))
    )["d"]
    upheld_applies = has_upheld_outcomes(organisation.procedure_key)
    return PeriodFigures(
        first=period.first,
        last=period.last,
        label=period.label,
        received=total_received,
        closed=total_closed,
        reopened=reopened_in(org_id, period),
        resolved=resolved,
        resolved_early=early,
        share_resolved=share(resolved, total_closed),
        share_resolved_early=share(early, total_closed),
        sources=sources,
        referred_to_regulator=referred,
        share_of_direct_referred_to_regulator=share(referred, by_source.get(Source.DIRECT, 0)),
        outcomes=outcomes,
        categories=categories,
        average_days_to_close=_days(average),
        closed_within_4_weeks=within_4,
        closed_within_4_to_8_weeks=within_8 - within_4,
        closed_after_8_weeks=total_closed - within_8,
        upheld=upheld if upheld_applies else None,
        share_upheld=share(upheld, total_closed) if upheld_applies else None,
        clocks=clock_figures(org_id, period),
        feedback=feedback_figures(org_id, period),
    )


def clock_figures(
    organisation_id: int, period: Period, now: dt.datetime | None = None
) -> list[ClockFigure]:
    """Each duty clock that fell due in the period (up to now): how many, how many were
    met (stopped by their due instant), and the average days from start to stop.

    A clock still running past its due instant counts as not met in the period it fell
    due, whether or not its case has closed since: a case kept open cannot hide a
    missed deadline, and the figure for a period does not wait for its cases to close.
    """
    until = min(period.end(), now or timezone.now())
    rows = (
        Clock.objects.filter(
            case__organisation_id=organisation_id,
            is_window=False,
            due_at__gte=period.start(),
            due_at__lt=until,
        )
        # A clock ended in time without being met (no agreement; concluded without
        # one) did not fall due; one ended after its due instant was breached.
        .exclude(status=ClockStatus.ENDED, stopped_at__lt=F("due_at"))
        .order_by()
        .values("key")
        .annotate(
            label=Max("label"),
            due=Count("id"),
            met=Count("id", filter=Q(stopped_at__isnull=False, stopped_at__lte=F("due_at"))),
            average=Avg(
                ExpressionWrapper(F("stopped_at") - F("started_at"), output_field=DurationField()),
                filter=Q(stopped_at__isnull=False),
            ),
        )
        .order_by("key")
    )
    return [
        ClockFigure(
            key=row["key"],
            label=row["label"],
            due=row["due"],
            met=row["met"],
            share_met=share(row["met"], row["due"]),
            average_days=_days(row["average"]),
        )
        for row in rows
    ]


def feedback_figures(organisation_id: int, period: Period) -> list[PartyFeedback]:
    """Per party, for the cases closed in the period: invitations, answers, the average
    rating and the share satisfied (4 or 5 out of 5)."""
    invited = dict(
        Feedback.objects.filter(
            case__organisation_id=organisation_id,
            case__closed_at__gte=period.start(),
            case__closed_at__lt=period.end(),
        )
        .order_by()
        .values_list("party")
        .annotate(n=Count("id"))
    )
    answered: dict[str, dict[str, Any]] = {
        row["party"]: dict(row)
        for row in report_rows(organisation_id, closed_from=period.start(), closed_to=period.end())
        .select_related(None)
        .order_by()
        .values("party")
        .annotate(
            n=Count("id"),
            average=Avg("rating"),
            satisfied=Count("id", filter=Q(rating__gte=SATISFIED_FROM)),
        )
    }
    figures = []
    for party in sorted(set(invited) | set(answered)):
        row = answered.get(party, {"n": 0, "average": None, "satisfied": 0})
        figures.append(
            PartyFeedback(
                party=party,
                invited=invited.get(party, 0),
                answered=row["n"],
                average_rating=None if row["average"] is None else round(float(row["average"]), 2),
                share_satisfied=share(row["satisfied"], row["n"]),
            )
        )
    return figures


def monthly(organisation_id: int, period: Period) -> list[MonthFigure]:
    """Cases received and closed in each month of the period."""

    def per_month(queryset: QuerySet[Any], field: str) -> dict[str, int]:
        return {
            f"{month:%Y-%m}": n
            for month, n in queryset.order_by()
            .annotate(month=TruncMonth(field, tzinfo=LONDON))
            .values_list("month")
            .annotate(n=Count("id"))
        }

    received = per_month(received_in(organisation_id, period), "received_at")
    closed = per_month(closed_in(organisation_id, period), "closed_at")
    months = []
    cursor = period.first.replace(day=1)
    while cursor <= period.last:
        key = f"{cursor:%Y-%m}"
        months.append(
            MonthFigure(
                month=key,
                label=month_label(cursor),
                received=received.get(key, 0),
                closed=closed.get(key, 0),
            )
        )
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    return months


def annual_report(organisation: Organisation, period: Period) -> AnnualReport:
    current = period_figures(organisation, period)
    previous = period_figures(organisation, period.previous())
    before = {c.key: c.count for c in previous.categories}
    now = {c.key: c.count for c in current.categories}
    trend = [
        CategoryTrend(
            category=key or "Uncategorised",
            current=now.get(key, 0),
            previous=before.get(key, 0),
            change=growth(now.get(key, 0), before.get(key, 0)),
        )
        for key in sorted(set(now) | set(before), key=lambda k: (-now.get(k, 0), k))
    ]
    return AnnualReport(
        organisation=organisation.slug,
        organisation_name=organisation.name,
        current=current,
        previous=previous,
        caseload_growth=growth(current.received, previous.received),
        months=monthly(organisation.pk, period),
        category_trend=trend,
    )
