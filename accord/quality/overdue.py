"""Telling an action's owner it is overdue: once per action, from the deadline sweep.

Claimed like the sweep's clocks: each batch is one transaction that locks its actions
(SKIP LOCKED on PostgreSQL, so sweepers share the work), re-reads which are still
pending, marks them and queues one e-mail each. A killed sweeper loses nothing (the
batch rolls back, the actions stay pending) and repeats nothing (marking and queueing
commit together; the Message-ID is fixed per action and due date, so the outbox keeps one)."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accord.outbox.queue import mail_domain, queue_email
from accord.quality.choices import OUTSTANDING
from accord.quality.models import CorrectiveAction
from accord.workdays.wording import due_day_words


def _pending(today: dt.date) -> Q:
    # Matches the partial index `action_overdue_pending`.
    return Q(status__in=OUTSTANDING, overdue_notified_at__isnull=True, due_on__lt=today)


def notify_overdue_actions(now: dt.datetime, *, batch: int = 500) -> int:
    """E-mail the owner of every action that has become overdue; return how many."""
    today = timezone.localdate(now)
    notified = 0
    while True:
        with transaction.atomic():
            locking = CorrectiveAction.objects.select_for_update(
                skip_locked=connection.features.has_select_for_update_skip_locked
            )
            actions = list(locking.filter(_pending(today)).order_by("due_on", "pk")[:batch])
            if not actions:
                return notified
            CorrectiveAction.objects.filter(pk__in=[a.pk for a in actions]).update(
                overdue_notified_at=now
            )
            for action in CorrectiveAction.objects.filter(
                pk__in=[a.pk for a in actions]
            ).select_related("owner", "organisation"):
                _tell_owner(action)
            notified += len(actions)


def _tell_owner(action: CorrectiveAction) -> None:
    owner = action.owner
    if not owner.email:
        return
    references = sorted(action.cases.values_list("reference", flat=True))
    concerning = f"\nIt concerns: {', '.join(references)}.\n" if references else ""
    queue_email(
        to=[owner.email],
        subject=f"Corrective action #{action.pk} is overdue",
        text=(
            f"Dear {owner},\n\n"
            f"The corrective action you own in {action.organisation.name}'s quality log "
            f"was due {due_day_words(action.due_on).text} and is not yet completed:\n\n"
            f"{action.what}\n{concerning}\n"
            "Please complete it, or ask a quality manager to change its due date."
        ),
        message_id=(
            f"<quality-action-overdue.{action.pk}.{action.due_on.isoformat()}@{mail_domain()}>"
        ),
        purpose="corrective_action_overdue",
    )
