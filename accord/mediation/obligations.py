"""Obligations: the terms of a binding agreement, tracked after it — also after the
case closes. Each party confirms an obligation done (both confirmations make it done).
The sweep reminds before the due date (once) and, once the due date has passed without
both confirmations, marks the obligation missed and reopens a closed case into the
procedure's `reopens_to` stage.

The sweep works like the clock sweep (`accord.cases.sweep`): it asks a partial index
for what is due, claims it in batches, each batch one transaction that locks the
batch's cases in id order (SKIP LOCKED on PostgreSQL), re-reads which obligations are
still pending (every writer of an obligation holds its case's lock), marks them, writes
one event each and queues one notification task for the batch.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

from accord.accounts.models import User
from accord.cases import sort_keys
from accord.cases.batches import drain
from accord.cases.choices import EventKind
from accord.cases.closures import record_reopening
from accord.cases.engine import lock_case, procedure_of, refresh_clocks
from accord.cases.errors import InvalidAction
from accord.cases.models import Case
from accord.cases.tasks import clock_recipients
from accord.cases.timeline import append_event, append_events, events_of
from accord.mediation.choices import AgreementStatus, ObligationStatus, Party
from accord.mediation.models import Obligation
from accord.notifications.mail import staff_case_url
from accord.outbox.queue import queue_email
from accord.outbox.threads import STAFF
from accord.policy.mediation import CONFIRMED_AT, confirm_obligation_refusal, require
from accord.policy.roles import PARTY_ROLE, standing
from accord.workdays.wording import due_day_words, format_day

log = logging.getLogger(__name__)


def reminder_days() -> int:
    """How many days before its due date an obligation is reminded."""
    return int(getattr(settings, "ACCORD_OBLIGATION_REMINDER_DAYS", 3))


def confirm_done(
    case_id: int, actor: User, obligation_id: int, party: Party, *, now: dt.datetime
) -> Obligation:
    """A party confirms, for its own side, that an obligation has been done. With both
    confirmations it is done. A missed obligation can still be confirmed done late (it
    keeps the instant it was missed)."""
    with transaction.atomic():
        case = lock_case(case_id)
        st = standing(actor, case)
        obligation = (
            Obligation.objects.select_related("agreement")
            .filter(pk=obligation_id, agreement__case=case)
            .first()
        )
        if obligation is None:
            raise InvalidAction("no such obligation on this case", field="obligation_id")
        require(confirm_obligation_refusal(st, obligation, party))
        field = CONFIRMED_AT[party]
        setattr(obligation, field, now)
        if all(getattr(obligation, name) is not None for name in CONFIRMED_AT.values()):
            obligation.status = ObligationStatus.DONE
        obligation.save(update_fields=[field, "status"])
        append_event(
            case,
            kind=EventKind.OBLIGATION,
            at=now,
            actor=actor,
            actor_role=PARTY_ROLE[party].value,
            data={
                "obligation": obligation.pk,
                "agreement": obligation.agreement_id,
                "confirmed_by": party.value,
                "status": obligation.status,
            },
        )
        case.save(update_fields=["event_count", "updated_at"])
    return obligation


def reopen(case: Case, now: dt.datetime, *, reason: str, data: dict[str, Any]) -> bool:
    """Reopen a closed case into its procedure's `reopens_to` stage, with a REOPENED
    event, and recompute its clocks. The caller holds the case locked in the
    transaction and has saved nothing of it yet; this saves it. False (nothing changed)
    when the case is open or its procedure version does not reopen cases."""
    if case.is_open:
        return False
    procedure = procedure_of(case)
    if procedure.reopens_to is None:
        log.warning("%s: %s does not reopen cases (%s)", case.reference, procedure.ref, reason)
        return False
    from_stage = case.stage
    data = {
        **data,
        "previous_outcome": case.outcome,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
    }
    record_reopening(case, now)
    case.is_open = True
    case.stage = procedure.reopens_to
    case.stage_sort = sort_keys.stage(procedure, procedure.reopens_to)
    case.outcome = ""
    case.closed_at = None
    append_event(
        case,
        kind=EventKind.REOPENED,
        at=now,
        actor_role="system",
        from_stage=from_stage,
        to_stage=case.stage,
        reason=reason,
        data=data,
    )
    refresh_clocks(case, procedure, events_of(case))
    case.save()
    return True


@dataclass
class ObligationPass:
    reminded: int = 0
    missed: int = 0
    reopened: int = 0


def _pending(today: dt.date, kind: str) -> Q:
    due = Q(status=ObligationStatus.PENDING, agreement__status=AgreementStatus.BINDING)
    if kind == "missed":
        return due & Q(due_on__lt=today)
    return due & Q(
        reminder_sent_at__isnull=True,
        due_on__gte=today,
        due_on__lte=today + dt.timedelta(days=reminder_days()),
    )


def sweep_obligations(now: dt.datetime, *, batch: int = 500, pause: float = 0.0) -> ObligationPass:
    """One pass: missed obligations first (the more urgent), then reminders."""
    result = ObligationPass()
    result.missed, result.reopened = drain(lambda: claim_obligations(now, "missed", batch), pause)
    result.reminded, _ = drain(lambda: claim_obligations(now, "reminder", batch), pause)
    return result


def claim_obligations(now: dt.datetime, kind: str, batch: int) -> tuple[int, int]:
    """Claim up to `batch` obligations that are missed (due date passed) or to remind;
    return how many, and how many closed cases were reopened."""
    today = timezone.localdate(now)
    pending = _pending(today, kind)
    with transaction.atomic():
        candidates = list(
            Obligation.objects.filter(pending)
            .order_by("due_on", "id")
            .values_list("agreement__case_id", flat=True)[:batch]
        )
        if not candidates:
            return 0, 0
        locking = Case.objects.select_for_update(
            skip_locked=connection.features.has_select_for_update_skip_locked
        )
        cases = {case.pk: case for case in locking.filter(pk__in=set(candidates)).order_by("pk")}
        if not cases:
            return 0, 0
        obligations = list(
            Obligation.objects.filter(pending, agreement__case_id__in=cases)
            .select_related("agreement")
            .order_by("due_on", "id")[:batch]
        )
        if not obligations:
            return 0, 0
        ids = [obligation.pk for obligation in obligations]
        if kind == "missed":
            Obligation.objects.filter(pk__in=ids).update(
                status=ObligationStatus.MISSED, missed_at=now
            )
            # Missed before it was reminded: no reminder now.
            Obligation.objects.filter(pk__in=ids, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
        else:
            Obligation.objects.filter(pk__in=ids).update(reminder_sent_at=now)
        append_events(
            [
                (
                    cases[obligation.agreement.case_id],
                    {
                        "kind": EventKind.OBLIGATION,
                        "at": now,
                        "actor_role": "system",
                        "data": {
                            "obligation": obligation.pk,
                            "agreement": obligation.agreement_id,
                            "party": obligation.party,
                            "due_on": obligation.due_on.isoformat(),
                            "status": ObligationStatus.MISSED
                            if kind == "missed"
                            else ObligationStatus.PENDING,
                            **({"reminded": True} if kind == "reminder" else {}),
                        },
                    },
                )
                for obligation in obligations
            ]
        )
        touched = list(
            {o.agreement.case_id: cases[o.agreement.case_id] for o in obligations}.values()
        )
        reopened = 0
        if kind == "missed":
            first_missed: dict[int, Obligation] = {}
            for obligation in obligations:
                first_missed.setdefault(obligation.agreement.case_id, obligation)
            for case in touched:
                missed = first_missed[case.pk]
                party = Party(missed.party).label.lower()
                reason = (
                    f"The {party}'s obligation under the binding agreement, due by "
                    f"{format_day(missed.due_on)}, was not confirmed done by both parties."
                )
                if reopen(case, now, reason=reason, data={"obligation": missed.pk}):
                    reopened += 1
        Case.objects.bulk_update(touched, ["event_count"])
        notify_obligations.enqueue([[obligation.pk, kind] for obligation in obligations])
    return len(obligations), reopened


@task()
def notify_obligations(notices: list[list[Any]]) -> str:
    """E-mail staff about each [obligation id, "reminder" | "missed"] of a sweep batch:
    a reminder to the handler; a missed obligation to the staff a breach goes to. (The
    parties are told in their own notices: accord.notifications, from the events.)"""
    sent = [send_obligation_notice(int(pk), str(kind)) for pk, kind in notices]
    return f"{sum(sent)} of {len(sent)} sent"


def send_obligation_notice(obligation_id: int, kind: str) -> bool:
    obligation = Obligation.objects.select_related(
        "agreement__case__organisation",
        "agreement__case__complainant",
        "agreement__case__respondent",
        "agreement__case__handler",
    ).get(pk=obligation_id)
    case = obligation.agreement.case
    party = Party(obligation.party)
    if kind == "reminder":
        recipients = set()
        if case.handler is not None and case.handler.email:
            recipients.add(case.handler.email)
        subject = f"{case.reference}: reminder - agreed action due {due_day_words(obligation.due_on).text}"
        audiences = [("reminder", recipients)]
    else:
        audiences = [("staff", set(clock_recipients(case, "breached")))]
        subject = f"{case.reference}: an agreed action was not confirmed done in time"
    if not any(recipients for _, recipients in audiences):
        return False
    body = render_to_string(
        "mediation/obligation_notice.txt",
        {
            "case": case,
            "obligation": obligation,
            "party": party.label.lower(),
            "due": format_day(obligation.due_on),
            "missed": kind == "missed",
            "link": staff_case_url(case),
        },
    )
    for audience, recipients in audiences:
        if recipients:
            queue_email(
                to=sorted(recipients),
                subject=subject,
                text=body,
                case_id=case.pk,
                audience=STAFF,
                automatic=True,
                key=f"obligation:{kind}:{audience}:{obligation.pk}",
                purpose=f"obligation_{kind}",
            )
    return True
