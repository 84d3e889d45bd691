"""Opening a digest window when an event may concern someone."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from accord.cases.choices import EventKind

# The events someone may have to be told of (derive.py decides who, and what).
NOTIFIED_KINDS = frozenset(
    {
        EventKind.TRANSITION,
        EventKind.ASSIGNED,
        EventKind.MESSAGE,
        EventKind.RELAY,
        EventKind.DOCUMENT,
        EventKind.CONSENT_SIGNED,
        EventKind.CONSENT_WITHDRAWN,
        EventKind.RECORDS_REQUESTED,
        EventKind.OPENED_TO_RESPONDENT,
        EventKind.PROPOSAL,
        EventKind.PROPOSAL_SUBMITTED,
        EventKind.PROPOSAL_ANSWERED,
        EventKind.AGREEMENT,
        EventKind.AGREEMENT_CONFIRMED,
        EventKind.OBLIGATION,
        EventKind.REOPENED,
        EventKind.LETTER_SENT,
        EventKind.FEEDBACK,
    }
)


def window() -> dt.timedelta:
    """How long notices of one case wait to be folded into one e-mail."""
    return dt.timedelta(minutes=float(getattr(settings, "ACCORD_NOTICE_DIGEST_MINUTES", 10)))


def note(case_id: int, kind: str, seq: int) -> None:
    """An event was appended (the caller holds the case row locked): open the case's
    window if none is open, and queue its fold for the window's end."""
    if kind not in NOTIFIED_KINDS:
        return
    from accord.notifications.models import NoticeWindow
    from accord.notifications.tasks import fold_notices

    row, _created = NoticeWindow.objects.get_or_create(
        case_id=case_id, defaults={"folded_seq": seq - 1}
    )
    if row.due_at is not None:
        return
    row.due_at = timezone.now() + window()
    row.save(update_fields=["due_at"])
    fold_notices.using(run_after=row.due_at).enqueue(case_id)
