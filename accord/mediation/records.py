"""Reminding the respondent of records it was asked for: once, a few days before they
are due, through the deadline sweep (claimed like clocks: cases locked in id order,
one event each, one notification task per batch)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django_tasks import task

from accord.cases.choices import EventKind
from accord.cases.models import Case
from accord.cases.timeline import append_events
from accord.mediation.models import RecordsRequest
from accord.notifications.mail import staff_case_url
from accord.outbox.queue import queue_email
from accord.outbox.threads import STAFF
from accord.workdays.wording import due_day_words


def reminder_days() -> int:
    return int(getattr(settings, "ACCORD_RECORDS_REMINDER_DAYS", 2))


def remind_records(now: dt.datetime, *, batch: int = 500) -> int:
    """Claim and remind every records request coming due; return how many."""
    today = now.date()
    reminded = 0
    while True:
        with transaction.atomic():
            pending = RecordsRequest.objects.filter(
                fulfilled_at__isnull=True,
                withdrawn_at__isnull=True,
                reminder_sent_at__isnull=True,
                due_on__lte=today + dt.timedelta(days=reminder_days()),
                case__is_open=True,
            )
            case_ids = set(pending.values_list("case_id", flat=True)[:batch])
            if not case_ids:
                return reminded
            locking = Case.objects.select_for_update(
                skip_locked=connection.features.has_select_for_update_skip_locked
            )
            cases = {case.pk: case for case in locking.filter(pk__in=case_ids).order_by("pk")}
            requests = list(pending.filter(case_id__in=cases).order_by("due_on")[:batch])
            if not requests:
                return reminded
            RecordsRequest.objects.filter(pk__in=[r.pk for r in requests]).update(
                reminder_sent_at=now
            )
            entries: list[tuple[Case, dict[str, Any]]] = [
                (
                    cases[r.case_id],
                    {
                        "kind": EventKind.RECORDS_REQUESTED,
                        "at": now,
                        "actor_role": "system",
                        "data": {"request": r.pk, "reminder": True, "due_on": r.due_on.isoformat()},
                    },
                )
                for r in requests
            ]
            append_events(entries)
            Case.objects.bulk_update(
                list({r.case_id: cases[r.case_id] for r in requests}.values()), ["event_count"]
            )
            notify_records_reminders.enqueue([r.pk for r in requests])
            reminded += len(requests)


@task()
def notify_records_reminders(request_ids: list[int]) -> int:
    """E-mail the handler that requested records are due soon (the business is told in
    its own notice: accord.notifications, from the reminder's event)."""
    sent = 0
    for request in RecordsRequest.objects.filter(pk__in=request_ids).select_related(
        "case__respondent", "case__handler", "case__organisation"
    ):
        case = request.case
        if case.handler is None or not case.handler.email:
            continue
        due = due_day_words(request.due_on).text
        queue_email(
            subject=f"{case.reference}: records requested from the business are due {due}",
            text=(
                f"The records you asked {case.respondent.name} for on case {case.reference} "
                f"are due {due}:\n\n{request.what}\n\nThe business has been reminded.\n\n"
                f"{staff_case_url(case)}\n"
            ),
            to=[case.handler.email],
            case_id=case.pk,
            audience=STAFF,
            automatic=True,
            key=f"records-reminder:{request.pk}",
            purpose="records_reminder",
        )
        sent += 1
    return sent
