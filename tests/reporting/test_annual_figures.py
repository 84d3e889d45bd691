"""The annual report's figures, checked against the same figures counted in plain
Python over the generated rows (never through the reporting code)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
import time_machine

from accord.cases.models import Case, Clock
from accord.mediation.models import Feedback
from accord.organisations.models import Organisation
from accord.reporting.annual import annual_report
from accord.reporting.periods import Period
from tests.reporting.conftest import NOW

# Written out here from the packs, so the test does not ask the code under test.
EARLY = {"resolved_early", "resolved_quickly", "resolved_stage1"}
RESOLVED = EARLY | {
    "resolved_by_agreement",
    "accepted_practice_response",
    "resolved",
    "resolved_after_escalation",
    "upheld",
    "partly_upheld",
}
UPHELD = {"upheld", "partly_upheld"}
LONDON = NOW.tzinfo


def _bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(first.year, first.month, first.day, tzinfo=LONDON)
    after = last + dt.timedelta(days=1)
    return start, dt.datetime(after.year, after.month, after.day, tzinfo=LONDON)


def expected(organisation: Organisation, first: dt.date, last: dt.date) -> dict[str, Any]:
    start, end = _bounds(first, last)
    cases = list(Case.objects.filter(organisation=organisation))
    received = [c for c in cases if start <= c.received_at < end]
    closed = [c for c in cases if not c.is_open and c.closed_at and start <= c.closed_at < end]
    closed_ids = {c.pk for c in closed}
    clocks: dict[str, list[bool]] = {}
    org_cases = {c.pk for c in cases}
    for clock in Clock.objects.filter(is_window=False):
        due = clock.due_at
        if due is not None and clock.case_id in org_cases and start <= due < min(end, NOW):
            met = clock.stopped_at is not None and clock.stopped_at <= due
            clocks.setdefault(clock.key, []).append(met)
    ratings: dict[str, list[int]] = {}
    for feedback in Feedback.objects.filter(case_id__in=closed_ids, answered_at__isnull=False):
        assert feedback.rating is not None
        ratings.setdefault(feedback.party, []).append(feedback.rating)
    taken = [c.closed_at - c.received_at for c in closed if c.closed_at]
    # The FCA buckets count UK calendar days from the day of receipt (DISP 1.6.2R).
    days = [
        (c.closed_at.astimezone(LONDON).date() - c.received_at.astimezone(LONDON).date()).days
        for c in closed
        if c.closed_at
    ]
    return {
        "received": len(received),
        "closed": len(closed),
        "sources": Counter(c.source for c in received),
        "categories": Counter(c.category for c in received),
        "outcomes": Counter(c.outcome for c in closed),
        "resolved": sum(c.outcome in RESOLVED for c in closed),
        "early": sum(c.outcome in EARLY for c in closed),
        "upheld": sum(c.outcome in UPHELD for c in closed),
        "referred": sum(
            1
            for c in cases
            if c.referred_to_regulator_at and start <= c.referred_to_regulator_at < end
        ),
        "within_4": sum(d <= 28 for d in days),
        "within_8": sum(28 < d <= 56 for d in days),
        "over_8": sum(d > 56 for d in days),
        "average_days": round(sum(t.total_seconds() for t in taken) / len(taken) / 86400, 2)
        if taken
        else None,
        "clocks": {k: (len(v), sum(v)) for k, v in clocks.items()},
        "ratings": {p: (len(r), round(sum(r) / len(r), 2)) for p, r in ratings.items()},
    }


@pytest.mark.parametrize("slug", ["occs", "optimised", "ocasa"])
def test_the_annual_report_matches_the_rows(generated: dict[str, Organisation], slug: str) -> None:
    organisation = generated[slug]
    period = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    with time_machine.travel(NOW, tick=False):
        report = annual_report(organisation, period)
    for figures, (first, last) in (
        (report.current, (dt.date(2025, 1, 1), dt.date(2025, 12, 31))),
        (report.previous, (dt.date(2024, 1, 1), dt.date(2024, 12, 31))),
    ):
        want = expected(organisation, first, last)
        assert want["received"] > 0, "the generated data covers the period"
        assert figures.received == want["received"]
        assert figures.closed == want["closed"]
        assert {s.key: s.count for s in figures.sources if s.count} == dict(want["sources"])
        assert {c.key: c.count for c in figures.categories} == dict(want["categories"])
        assert {o.key: o.count for o in figures.outcomes} == dict(want["outcomes"])
        assert figures.resolved == want["resolved"]
        assert figures.resolved_early == want["early"]
        assert figures.share_resolved == round(want["resolved"] / want["closed"], 4)
        assert figures.referred_to_regulator == want["referred"]
        assert figures.closed_within_4_weeks == want["within_4"]
        assert figures.closed_within_4_to_8_weeks == want["within_8"]
        assert figures.closed_after_8_weeks == want["over_8"]
        assert figures.average_days_to_close == pytest.approx(want["average_days"], abs=0.01)
        assert {c.key: (c.due, c.met) for c in figures.clocks} == want["clocks"]
        assert {
            f.party: (f.answered, f.average_rating) for f in figures.feedback if f.answered
        } == want["ratings"]
        if slug == "ocasa":
            assert figures.upheld == want["upheld"]
        else:
            assert figures.upheld is None  # mediation and client-services never uphold
    want_growth = (report.current.received - report.previous.received) / report.previous.received
    assert report.caseload_growth == pytest.approx(want_growth, abs=1e-4)


def test_occs_figures_look_like_the_seeds(generated: dict[str, Organisation]) -> None:
    """The generated OCCS data reads like seed 001: over half resolved early, most
    resolved, some referred in by the regulator."""
    report = annual_report(generated["occs"], Period(dt.date(2023, 1, 1), dt.date(2025, 12, 31)))
    figures = report.current
    assert figures.share_resolved_early is not None
    assert figures.share_resolved_early > 0.4
    assert figures.share_resolved is not None
    assert figures.share_resolved > 0.7
    assert any(s.key == "regulator" and s.count > 0 for s in figures.sources)
    assert figures.feedback, "a mediation service asks both parties for feedback"


def test_months_add_up_to_the_period(generated: dict[str, Organisation]) -> None:
    report = annual_report(
        generated["optimised"], Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    )
    assert [m.month for m in report.months] == [f"2025-{m:02d}" for m in range(1, 13)]
    assert sum(m.received for m in report.months) == report.current.received
    assert sum(m.closed for m in report.months) == report.current.closed
