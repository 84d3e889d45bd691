"""The managers' dashboard, checked against the open cases and running clocks counted
in plain Python."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from accord.cases.models import Case, Clock
from accord.organisations.models import Organisation
from accord.reporting.dashboards import dashboard
from tests.reporting.conftest import NOW


def test_open_cases_by_stage_and_age_and_deadlines(generated: dict[str, Organisation]) -> None:
    occs = generated["occs"]
    now = NOW + dt.timedelta(days=3)  # some deadlines have passed by then
    board = dashboard(occs, now)
    open_cases = list(Case.objects.filter(organisation=occs, is_open=True))
    assert board.open == len(open_cases) > 0
    assert {r.stage: r.open for r in board.stages} == dict(Counter(c.stage for c in open_cases))
    over_56 = sum(1 for c in open_cases if now - c.received_at > dt.timedelta(days=56))
    up_to_7 = sum(1 for c in open_cases if now - c.received_at <= dt.timedelta(days=7))
    assert sum(r.ages["over_56"] for r in board.stages) == over_56
    assert sum(r.ages["up_to_7"] for r in board.stages) == up_to_7
    assert all(sum(r.ages.values()) == r.open for r in board.stages)
    breached = [c for c in open_cases if c.next_deadline_at and c.next_deadline_at <= now]
    assert board.breached == len(breached)
    assert sum(t.open for t in board.teams) == board.open
    assert sum(h.open for h in board.handlers) == board.open
    assert sum(h.breached for h in board.handlers) == board.breached

    running = Clock.objects.filter(
        case__in=open_cases, status="running", is_window=False, due_at__isnull=False
    )
    want = Counter(c.key for c in running if c.due_at and c.due_at <= now)
    assert {r.key: r.breached for r in board.clocks if r.breached} == dict(want)


def test_the_trend_covers_twelve_months(generated: dict[str, Organisation]) -> None:
    ocasa = generated["ocasa"]
    board = dashboard(ocasa, NOW)
    assert len(board.months) == 12
    assert board.months[-1].month == "2026-11"
    since = dt.datetime(2025, 12, 1, tzinfo=NOW.tzinfo)
    assert (
        sum(m.received for m in board.months)
        == Case.objects.filter(organisation=ocasa, received_at__gte=since).count()
    )
