"""Delivering the outbox over SMTP (or whichever EMAIL_BACKEND is configured).

A worker claims a batch of due messages with a lease (a conditional UPDATE: only rows
still queued and due, or sending with an expired lease, are taken; SKIP LOCKED on
PostgreSQL so workers share the work), opens one connection for the batch, and sends
them one by one with their stored Message-ID. Each accepted message is marked sent at
once, with its `email_sent` event on the case, in one transaction.

No loss: a row leaves the queue only when the server accepted it or it failed for good.
Duplicates: a worker that dies after the server accepted a message but before marking it
sent leaves the lease to expire, and the next attempt resends it with the same
Message-ID. That window is one commit wide; receivers (and our relay) drop a second copy
of a Message-ID they have seen, so at most one is delivered per Message-ID.

Transient failures (connection refused or dropped, 4xx) retry after a backoff of
`backoff * 2**(attempts-1)` seconds, capped; permanent ones (5xx, or MAX_ATTEMPTS
attempts) mark the message failed with an `email_failed` event.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accord.cases.choices import EventKind
from accord.outbox.choices import OutboundStatus
from accord.outbox.models import OutboundMessage
from accord.reads import Read

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 60.0
BACKOFF_CAP_SECONDS = 6 * 3600.0
LEASE_SECONDS = 300.0


@dataclass
class Policy:
    """How long a claim lasts and how retries are spaced."""

    lease: float = LEASE_SECONDS
    backoff: float = BACKOFF_SECONDS
    backoff_cap: float = BACKOFF_CAP_SECONDS
    max_attempts: int = MAX_ATTEMPTS

    def delay(self, attempts: int) -> dt.timedelta:
        """Wait before the next attempt, after `attempts` attempts."""
        return dt.timedelta(seconds=min(self.backoff * 2 ** max(attempts - 1, 0), self.backoff_cap))


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: BatchResult) -> None:
        self.claimed += other.claimed
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.released += other.released

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retried} to retry, {self.failed} failed" + (
            f", {self.released} released" if self.released else ""
        )


def _claimable(now: dt.datetime) -> Q:
    return Q(status=OutboundStatus.QUEUED, next_attempt_at__lte=now) | Q(
        status=OutboundStatus.SENDING, claimed_until__lte=now
    )


def claim_batch(now: dt.datetime, batch: int, policy: Policy) -> list[OutboundMessage]:
    """Take up to `batch` due messages under a lease; each claim counts as an attempt."""
    token = uuid.uuid4().hex
    with transaction.atomic():
        candidates = OutboundMessage.objects.filter(_claimable(now)).order_by("next_attempt_at")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:batch])
        if not ids:
            return []
        # Conditional: a row another worker took meanwhile no longer matches.
        OutboundMessage.objects.filter(_claimable(now), pk__in=ids).update(
            status=OutboundStatus.SENDING,
            claimed_until=now + dt.timedelta(seconds=policy.lease),
            claim_token=token,
            attempts=F("attempts") + 1,
        )
    return list(
        OutboundMessage.objects.filter(claim_token=token, status=OutboundStatus.SENDING)
        .prefetch_related("attachments")
        .order_by("next_attempt_at", "pk")
    )


def build_email(message: OutboundMessage, backend: BaseEmailBackend) -> EmailMultiAlternatives:
    """The e-mail as sent, always with the stored Message-ID."""
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(message.to),
        reply_to=list(message.reply_to) or None,
        headers={**message.headers, "Message-ID": message.message_id},
        connection=backend,
    )
    if message.html:
        email.attach_alternative(message.html, "text/html")
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


def _locked_count(case_id: int) -> Any:
    from accord.cases.models import Case

    return Case.objects.select_for_update().filter(pk=case_id).only("pk", "event_count")


# Every e-mail delivered locks its case for its event: compiled once.
_LOCKED_COUNT = Read(_locked_count)


def _record(message: OutboundMessage, kind: str, now: dt.datetime, reason: str = "") -> None:
    """One event on the message's case (if any); the caller is in a transaction."""
    if message.case_id is None:
        return
    from accord.cases.models import Case
    from accord.cases.timeline import append_event

    # Only what append_event moves: the lock and the event count.
    found = _LOCKED_COUNT(message.case_id)
    if not found:
        raise Case.DoesNotExist(f"no case {message.case_id}")
    case = found[0]
    append_event(
        case,
        kind=kind,
        at=now,
        actor_role="system",
        reason=reason,
        # Which message, never its addresses or content: timelines are seen by staff
        # and the sealed threads hold in e-mail as well.
        data={"message": message.pk, "message_id": message.message_id, "purpose": message.purpose},
    )
    case.save(update_fields=["event_count"])


def mark_sent(message: OutboundMessage, token: str, now: dt.datetime) -> bool:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Losing this commit in a database crash only means the message is sent
            # again with the same Message-ID (the window receivers already dedupe), so
            # it need not wait for the disk flush: ~2x the delivery rate.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        updated = OutboundMessage.objects.filter(
            pk=message.pk, status=OutboundStatus.SENDING, claim_token=token
        ).update(status=OutboundStatus.SENT, sent_at=now, claimed_until=None, last_error="")
        if updated:
            _record(message, EventKind.EMAIL_SENT, now)
    return bool(updated)


def mark_failed(
    message: OutboundMessage, token: str, now: dt.datetime, error: str, reason: str
) -> bool:
    with transaction.atomic():
        updated = OutboundMessage.objects.filter(
            pk=message.pk, status=OutboundStatus.SENDING, claim_token=token
        ).update(status=OutboundStatus.FAILED, claimed_until=None, last_error=error[:2000])
        if updated:
            _record(message, EventKind.EMAIL_FAILED, now, reason)
    return bool(updated)


def reschedule(
    message: OutboundMessage, token: str, now: dt.datetime, error: str, policy: Policy
) -> str:
    """A transient failure: try again later, or give up after max_attempts."""
    if message.attempts >= policy.max_attempts:
        mark_failed(
            message,
            token,
            now,
            error,
            f"gave up after {message.attempts} attempts: {_short(error)}",
        )
        return "failed"
    OutboundMessage.objects.filter(
        pk=message.pk, status=OutboundStatus.SENDING, claim_token=token
    ).update(
        status=OutboundStatus.QUEUED,
        next_attempt_at=now + policy.delay(message.attempts),
        claimed_until=None,
        last_error=error[:2000],
    )
    return "retried"


def release(messages: list[OutboundMessage], token: str) -> int:
    """Give back claimed messages not tried (the worker is stopping): no attempt spent."""
    return OutboundMessage.objects.filter(
        pk__in=[m.pk for m in messages], status=OutboundStatus.SENDING, claim_token=token
    ).update(status=OutboundStatus.QUEUED, claimed_until=None, attempts=F("attempts") - 1)


def _short(error: str) -> str:
    # The reason recorded on the timeline: the SMTP code and class, not the server's
    # text (which may quote an address).
    return error.split(":", 1)[0][:200]


def classify(exc: BaseException) -> tuple[bool, str]:
    """(permanent?, description) of a delivery error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return permanent, f"SMTP {'/'.join(map(str, sorted(set(codes))))} recipients refused: {exc}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return (
            exc.smtp_code >= 500,
            f"SMTP {exc.smtp_code} {type(exc).__name__}: {exc.smtp_error!r}",
        )
    return False, f"{type(exc).__name__}: {exc}"


def _close(backend: BaseEmailBackend) -> None:
    with contextlib.suppress(Exception):  # a broken connection closes as it can
        backend.close()
    # Django's SMTP backend keeps the socket object; drop it so the next open reconnects.
    if hasattr(backend, "connection"):
        backend.connection = None


def deliver_batch(
    now: dt.datetime | None = None,
    *,
    batch: int = 100,
    policy: Policy | None = None,
    stop: list[bool] | None = None,
) -> BatchResult:
    """Claim one batch and try each message once over one connection."""
    policy = policy or Policy()
    fixed = now

    def clock() -> dt.datetime:
        return fixed if fixed is not None else timezone.now()

    result = BatchResult()
    claimed = claim_batch(clock(), batch, policy)
    result.claimed = len(claimed)
    if not claimed:
        return result
    token = claimed[0].claim_token
    renew_by = time.monotonic() + policy.lease / 2
    backend = get_connection(
        fail_silently=False, timeout=getattr(settings, "EMAIL_TIMEOUT", None) or 30
    )
    opened = False
    down: str | None = None
    try:
        for index, message in enumerate(claimed):
            if (stop is not None and stop[0]) or time.monotonic() > renew_by:
                # Stopping, or the lease is half gone (a slow server): give back the
                # rest rather than let another worker take them while we still might
                # send them.
                result.released += release(claimed[index:], token)
                break
            if message.attempts > policy.max_attempts:
                # Claimed again after a worker died holding it, too often: give up.
                mark_failed(
                    message,
                    token,
                    clock(),
                    message.last_error or "lease expired too often",
                    f"gave up after {message.attempts - 1} attempts",
                )
                result.failed += 1
                continue
            if down is not None:
                # The server cannot be reached: the rest of the batch waits its backoff
                # instead of each waiting out its own connection timeout.
                if reschedule(message, token, clock(), down, policy) == "failed":
                    result.failed += 1
                else:
                    result.retried += 1
                continue
            try:
                if not opened:
                    try:
                        backend.open()
                    except (OSError, smtplib.SMTPException) as exc:
                        down = classify(exc)[1]
                        raise
                    opened = True
                accepted = backend.send_messages([build_email(message, backend)])
                if not accepted:
                    raise smtplib.SMTPException("the backend sent nothing")
            except (OSError, smtplib.SMTPException) as exc:
                permanent, error = classify(exc)
                if down is not None:
                    # Refused at connect, greeting or login: the server's or our
                    # configuration's fault, never this message's.
                    permanent = False
                if not isinstance(exc, smtplib.SMTPResponseException):
                    # The connection is gone: reconnect for the next message.
                    _close(backend)
                    opened = False
                log.warning(
                    "outbox: %s %s: %s",
                    message.message_id,
                    "failed" if permanent else "deferred",
                    error,
                )
                if permanent:
                    mark_failed(message, token, clock(), error, _short(error))
                    result.failed += 1
                elif reschedule(message, token, clock(), error, policy) == "failed":
                    result.failed += 1
                else:
                    result.retried += 1
                continue
            # Accepted: mark it at once, so a crash can repeat at most this one.
            if mark_sent(message, token, clock()):
                result.sent += 1
    finally:
        if opened:
            _close(backend)
    return result


def deliver_pending(
    now: dt.datetime | None = None,
    *,
    batch: int = 100,
    policy: Policy | None = None,
    stop: list[bool] | None = None,
) -> BatchResult:
    """Deliver batches until nothing is due (one pass)."""
    total = BatchResult()
    while not (stop is not None and stop[0]):
        result = deliver_batch(now, batch=batch, policy=policy, stop=stop)
        total.add(result)
        if not result.claimed:
            break
    return total


def run_forever(
    *,
    interval: float,
    batch: int,
    policy: Policy,
    stop: list[bool],
    on_pass: Callable[[Any], None] | None = None,
) -> None:
    """Deliver until `stop[0]` is set (by a signal handler), sleeping when idle."""
    while not stop[0]:
        result = deliver_pending(batch=batch, policy=policy, stop=stop)
        if on_pass is not None:
            on_pass(result)
        if result.claimed:
            log.info("deliver_email: %s", result)
        deadline = time.monotonic() + interval
        while not stop[0] and time.monotonic() < deadline:
            time.sleep(min(0.2, interval))
