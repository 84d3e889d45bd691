"""Deferred work for cases, run by `manage.py db_worker`."""

from __future__ import annotations

import datetime as dt

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import task

from accord.cases.models import Case
from accord.workdays.calendar import format_day


@task()
def send_receipt_notice(case_id: int) -> str:
    """Tell the complainant their complaint has arrived: the reference and the next
    date they can expect something by. (The procedure's own acknowledgement letter is
    a step a handler takes; this notice is sent for every case at once.)"""
    case = (
        Case.objects.select_related("organisation", "complainant")
        .prefetch_related("clocks")
        .get(pk=case_id)
    )
    if not case.complainant.email:
        return "no e-mail address"
    running = sorted(
        (clock for clock in case.clocks.all() if clock.due_at is not None),
        key=lambda clock: clock.due_at or timezone.now(),
    )
    dates = [
        (clock.label, format_day(dt.date.fromisoformat(clock.explanation["due_date"])))
        for clock in running
        if clock.explanation.get("due_date")
    ]
    body = render_to_string(
        "cases/receipt_notice.txt",
        {"case": case, "organisation": case.organisation, "dates": dates},
    )
    message = EmailMessage(
        subject=f"{case.organisation.name}: we have received your complaint ({case.reference})",
        body=body,
        to=[case.complainant.email],
        reply_to=[case.organisation.complaints_email]
        if case.organisation.complaints_email
        else None,
        headers={"Message-ID": f"<receipt.{case.reference}@accord>"},
    )
    message.send()
    return "sent"
