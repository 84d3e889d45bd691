"""The deadline sweep: find clocks that have become at risk or been breached, and deal
with each exactly once.

Reads only the two partial indexes (`clock_at_risk_pending`, `clock_breach_pending`),
so a pass costs the number of clocks falling due, not the number of cases. Each clock
is claimed in its own transaction — case row locked first (the engine's lock order),
then a conditional UPDATE that only one sweeper can win — together with its timeline
event and its notification task. Several sweepers can run side by side; killing one
mid-pass loses nothing (unclaimed clocks stay pending) and repeats nothing (claimed
ones are committed with their event).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from django.db import transaction

from accord.cases.choices import ClockStatus, EventKind
from accord.cases.engine import StepRequest, lock_case, procedure_of, take_step
from accord.cases.errors import ActionRefused
from accord.cases.models import Clock
from accord.cases.tasks import notify_clock
from accord.cases.timeline import append_event

log = logging.getLogger(__name__)


@dataclass
class PassResult:
    """What one pass did."""

    at_risk: int = 0
    breached: int = 0
    escalated: int = 0

    def __str__(self) -> str:
        return f"{self.breached} breached, {self.at_risk} at risk, {self.escalated} escalated"


def sweep_once(now: dt.datetime, *, batch: int = 1000, pause: float = 0.0) -> PassResult:
    """One pass: breaches first (the more urgent), then clocks coming due."""
    result = PassResult()
    breaches = list(
        Clock.objects.filter(
            status=ClockStatus.RUNNING,
            breach_recorded_at__isnull=True,
            is_window=False,
            due_at__lte=now,
        )
        .order_by("due_at")
        .values_list("pk", "case_id")[:batch]
    )
    for clock_id, case_id in breaches:
        outcome = record_breach(clock_id, case_id, now)
        if outcome is not None:
            result.breached += 1
            result.escalated += outcome
        if pause:
            time.sleep(pause)
    coming_due = list(
        Clock.objects.filter(
            status=ClockStatus.RUNNING,
            at_risk_notified_at__isnull=True,
            is_window=False,
            at_risk_at__lte=now,
            due_at__gt=now,
        )
        .order_by("at_risk_at")
        .values_list("pk", "case_id")[:batch]
    )
    for clock_id, case_id in coming_due:
        if record_at_risk(clock_id, case_id, now):
            result.at_risk += 1
        if pause:
            time.sleep(pause)
    return result


def record_at_risk(clock_id: int, case_id: int, now: dt.datetime) -> bool:
    """Tell the handler a clock is coming due; False if another sweeper got there first
    or the clock moved on."""
    with transaction.atomic():
        case = lock_case(case_id)
        claimed = Clock.objects.filter(
            pk=clock_id,
            status=ClockStatus.RUNNING,
            at_risk_notified_at__isnull=True,
            at_risk_at__lte=now,
            due_at__gt=now,
        ).update(at_risk_notified_at=now)
        if not claimed:
            return False
        clock = Clock.objects.get(pk=clock_id)
        append_event(
            case,
            kind=EventKind.CLOCK_AT_RISK,
            at=now,
            actor_role="system",
            data={"clock": clock.key, "due_at": clock.due_at.isoformat() if clock.due_at else None},
        )
        case.save(update_fields=["event_count", "updated_at"])
        notify_clock.enqueue(case.pk, clock.key, "at_risk")
    return True


def record_breach(clock_id: int, case_id: int, now: dt.datetime) -> int | None:
    """Record a breach once, notify, and take the procedure's automatic step if it has
    one. None if another sweeper got there first; else 1 if the case was escalated."""
    with transaction.atomic():
        case = lock_case(case_id)
        claimed = Clock.objects.filter(
            pk=clock_id,
            status=ClockStatus.RUNNING,
            breach_recorded_at__isnull=True,
            is_window=False,
            due_at__lte=now,
        ).update(breach_recorded_at=now)
        if not claimed:
            return None
        clock = Clock.objects.get(pk=clock_id)
        append_event(
            case,
            kind=EventKind.CLOCK_BREACHED,
            at=now,
            actor_role="system",
            data={"clock": clock.key, "due_at": clock.due_at.isoformat() if clock.due_at else None},
        )
        case.save(update_fields=["event_count", "updated_at"])
        notify_clock.enqueue(case.pk, clock.key, "breached")
        step = procedure_of(case).clocks[clock.key].on_breach
        if step is None:
            return 0
        try:
            # A savepoint: a refused escalation leaves the breach recorded.
            with transaction.atomic():
                take_step(
                    case.pk,
                    None,
                    step,
                    StepRequest(reason=f"'{clock.label}' was breached"),
                    now=now,
                )
        except ActionRefused as refusal:
            log.warning("automatic %s on %s refused: %s", step, case.reference, refusal.message)
            return 0
    return 1


def run_forever(*, interval: float, batch: int, pause: float, stop: list[bool]) -> None:
    """Sweep until `stop[0]` is set (by a signal handler), sleeping between passes."""
    from django.utils import timezone

    while not stop[0]:
        result = sweep_once(timezone.now(), batch=batch, pause=pause)
        if result.breached or result.at_risk:
            log.info("sweep: %s", result)
        deadline = time.monotonic() + interval
        while not stop[0] and time.monotonic() < deadline:
            time.sleep(min(0.5, interval))
