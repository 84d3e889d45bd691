"""The deadline sweep: find clocks that have become at risk or been breached, and deal
with each exactly once.

Reads only the two partial indexes (`clock_at_risk_pending`, `clock_breach_pending`),
so a pass costs the number of clocks falling due, not the number of cases. Clocks are
claimed in batches, each batch one transaction: lock the batch's cases in id order
(skipping, on PostgreSQL, cases another sweeper or a handler holds — they are taken in
a later batch or pass), re-read which of their clocks are still pending (every writer of
a case's clocks holds its case's lock, so this answer cannot go stale), mark them, write
one timeline event per clock, queue one notification task for the batch, and take any
automatic step. Several sweepers share the work; killing one mid-pass loses nothing
(unclaimed clocks stay pending) and repeats nothing (a batch commits with its events).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from accord.cases.batches import drain
from accord.cases.choices import ClockStatus, EventKind
from accord.cases.engine import StepRequest, procedure_of, take_step
from accord.cases.errors import ActionRefused
from accord.cases.models import Case, Clock
from accord.cases.tasks import notify_clocks
from accord.cases.timeline import append_events

log = logging.getLogger(__name__)


@dataclass
class PassResult:
    """What one pass did."""

    at_risk: int = 0
    breached: int = 0
    escalated: int = 0
    # Mediation: obligations of binding agreements, and feedback after closure.
    obligations_reminded: int = 0
    obligations_missed: int = 0
    reopened: int = 0
    feedback_invited: int = 0
    records_reminded: int = 0
    proposals_lapsed: int = 0
    # The quality log: overdue corrective actions, procedure reviews falling due.
    actions_overdue: int = 0
    reviews_reminded: int = 0
    # Idempotency keys past their retention.
    keys_forgotten: int = 0

    def __str__(self) -> str:
        return (
            f"{self.breached} breached, {self.at_risk} at risk, {self.escalated} escalated, "
            f"{self.obligations_missed} obligations missed ({self.reopened} cases reopened), "
            f"{self.obligations_reminded} reminded, {self.feedback_invited} invited to feedback, "
            f"{self.proposals_lapsed} proposals lapsed, "
            f"{self.actions_overdue} corrective actions overdue, {self.reviews_reminded} reviews due, "
            f"{self.keys_forgotten} idempotency keys forgotten"
        )


def _breach_pending(now: dt.datetime) -> Q:
    return Q(
        status=ClockStatus.RUNNING,
        breach_recorded_at__isnull=True,
        is_window=False,
        due_at__lte=now,
    )


def _at_risk_pending(now: dt.datetime) -> Q:
    return Q(
        status=ClockStatus.RUNNING,
        at_risk_notified_at__isnull=True,
        is_window=False,
        at_risk_at__lte=now,
        due_at__gt=now,
    )


def sweep_once(now: dt.datetime, *, batch: int = 500, pause: float = 0.0) -> PassResult:
    """One pass over everything due at `now`: breaches first (the more urgent), then
    clocks coming due. `pause` seconds between batches eases the load."""
    result = PassResult()
    result.breached, result.escalated = drain(lambda: claim_batch(now, "breached", batch), pause)
    result.at_risk, _ = drain(lambda: claim_batch(now, "at_risk", batch), pause)
    # Then mediation: obligations (a missed one may reopen a closed case, whose clocks
    # the next pass watches) and feedback invitations for cases closed since.
    from accord.mediation.feedback import invite_closed_cases
    from accord.mediation.obligations import sweep_obligations

    obligations = sweep_obligations(now, batch=batch, pause=pause)
    result.obligations_missed = obligations.missed
    result.obligations_reminded = obligations.reminded
    result.reopened = obligations.reopened
    result.feedback_invited = invite_closed_cases(now, batch=batch, pause=pause)
    from accord.mediation.records import remind_records

    result.records_reminded = remind_records(now, batch=batch)
    from accord.mediation.lapsing import lapse_unanswered

    result.proposals_lapsed = lapse_unanswered(now, batch=batch)
    from accord.quality.sweep import sweep_quality

    result.actions_overdue, result.reviews_reminded = sweep_quality(now, batch=batch)
    from accord.cases.idempotency import forget_expired

    result.keys_forgotten = forget_expired(now, batch=batch)
    return result


def claim_batch(now: dt.datetime, kind: str, batch: int) -> tuple[int, int]:
    """Claim up to `batch` pending clocks of `kind`; return how many, and how many cases
    were escalated automatically."""
    pending = _breach_pending(now) if kind == "breached" else _at_risk_pending(now)
    order = "due_at" if kind == "breached" else "at_risk_at"
    with transaction.atomic():
        candidates = list(
            Clock.objects.filter(pending).order_by(order).values_list("case_id", flat=True)[:batch]
        )
        if not candidates:
            return 0, 0
        locking = Case.objects.select_for_update(
            skip_locked=connection.features.has_select_for_update_skip_locked
        )
        cases = {case.pk: case for case in locking.filter(pk__in=set(candidates)).order_by("pk")}
        if not cases:
            return 0, 0
        clocks = list(Clock.objects.filter(pending, case_id__in=cases).order_by(order)[:batch])
        if not clocks:
            return 0, 0
        ids = [clock.pk for clock in clocks]
        if kind == "breached":
            # A clock breached before anyone saw it at risk needs no at-risk notice now;
            # marking it also takes it out of the at-risk index.
            Clock.objects.filter(pk__in=ids).update(breach_recorded_at=now)
            Clock.objects.filter(pk__in=ids, at_risk_notified_at__isnull=True).update(
                at_risk_notified_at=now
            )
        else:
            Clock.objects.filter(pk__in=ids).update(at_risk_notified_at=now)
        event_kind = EventKind.CLOCK_BREACHED if kind == "breached" else EventKind.CLOCK_AT_RISK
        entries: list[tuple[Case, dict[str, Any]]] = [
            (
                cases[clock.case_id],
                {
                    "kind": event_kind,
                    "at": now,
                    "actor_role": "system",
                    "data": {
                        "clock": clock.key,
                        "due_at": clock.due_at.isoformat() if clock.due_at else None,
                    },
                },
            )
            for clock in clocks
        ]
        append_events(entries)
        touched = list({clock.case_id: cases[clock.case_id] for clock in clocks}.values())
        Case.objects.bulk_update(touched, ["event_count"])
        notify_clocks.enqueue([[clock.case_id, clock.key, kind] for clock in clocks])
        escalated = _escalate(clocks, cases, now) if kind == "breached" else 0
    return len(clocks), escalated


def _escalate(clocks: list[Clock], cases: dict[int, Case], now: dt.datetime) -> int:
    """Take each breached clock's automatic step, where its procedure has one."""
    escalated = 0
    for clock in clocks:
        case = cases[clock.case_id]
        step = procedure_of(case).clocks[clock.key].on_breach
        if step is None:
            continue
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
            escalated += 1
        except ActionRefused as refusal:
            log.warning("automatic %s on %s refused: %s", step, case.reference, refusal.message)
    return escalated


def run_forever(
    *,
    interval: float,
    batch: int,
    pause: float,
    stop: list[bool],
    on_pass: Callable[[Any], None] | None = None,
) -> None:
    """Sweep until `stop[0]` is set (by a signal handler), sleeping between passes."""
    from django.utils import timezone

    passes = 0
    while not stop[0]:
        result = sweep_once(timezone.now(), batch=batch, pause=pause)
        if on_pass is not None:
            on_pass(result)
        passes += 1
        if connection.vendor == "sqlite" and passes % 120 == 1:
            # SQLite plans with the statistics ANALYZE gathers; without them the queue's
            # filtered pages pick poor indexes as the table grows (bench/queue.py).
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA optimize")
        if (
            result.breached
            or result.at_risk
            or result.obligations_missed
            or result.obligations_reminded
            or result.feedback_invited
            or result.proposals_lapsed
            or result.actions_overdue
            or result.reviews_reminded
            or result.keys_forgotten
        ):
            log.info("sweep: %s", result)
        deadline = time.monotonic() + interval
        while not stop[0] and time.monotonic() < deadline:
            time.sleep(min(0.5, interval))
