"""What the listener's workers run. Imports nothing of Django's models at module level,
so a freshly spawned worker process can import it before setting Django up."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def start() -> None:
    """A worker process: Django set up, its own database connection."""
    import django

    django.setup()


def ready() -> bool:
    """Nothing: submitted once per worker at start, so none starts on the first message."""
    return True


def deliver(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> list[str]:
    """Store then process one message, once per envelope recipient (so a message sent to
    two organisations in one transaction reaches each; a second recipient at the same
    organisation is a duplicate there). One SMTP status line per recipient: 250 once it
    is stored (whatever became of it), 451 (try again later) if it could not be."""
    from django.db import connection
    from django.utils import timezone

    from accord.inbound.ingest import process, store

    # A long-lived worker keeps its connection (close_old_connections would close it
    # after every message with CONN_MAX_AGE=0); only a broken one is replaced.
    if connection.connection is not None and not connection.is_usable():
        connection.close()
    statuses: list[str] = []
    for recipients in [[rcpt] for rcpt in rcpt_tos] or [[]]:
        now = timezone.now()
        try:
            record = store(raw, envelope_from=mail_from, envelope_to=recipients, now=now)
        except Exception:
            logger.exception("an inbound message could not be stored")
            connection.close()  # start afresh with the next message
            statuses.append("451 4.3.0 the message could not be stored; try again later")
            continue
        try:
            line = process(record, envelope_from=mail_from, now=now).line()
        except Exception as exc:  # stored: the sending server must not retry or bounce it
            logger.exception("inbound #%s could not be processed", record.pk)
            line = f"inbound #{record.pk}: stored; processing failed ({type(exc).__name__})"
        line = line.replace("\r", " ").replace("\n", " ")[:400]
        statuses.append(f"250 2.0.0 {line}")
    return statuses
