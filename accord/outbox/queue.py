"""The one way anything in Accord sends e-mail: write an outbox row in the caller's
transaction. The outbox worker (`manage.py deliver_email`) delivers it."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone


class InvalidEmail(ValueError):
    """The e-mail cannot be queued as asked (no recipient, a header that would inject
    another header, a malformed Message-ID)."""


class SealedRecipients(InvalidEmail):
    """One message addressed to both the complainant's and the respondent's side of a
    case: a message to one party never copies the other."""


_MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")


def mail_domain() -> str:
    """The domain of Accord's Message-IDs: ACCORD_MAIL_DOMAIN, else the domain of
    DEFAULT_FROM_EMAIL."""
    domain = str(getattr(settings, "ACCORD_MAIL_DOMAIN", "") or "")
    if not domain:
        sender = str(settings.DEFAULT_FROM_EMAIL)
        domain = sender.rsplit("@", 1)[1].strip("> ") if "@" in sender else "accord.localhost"
    return domain


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@{mail_domain()}>"


def _no_newline(what: str, value: str) -> None:
    if "\n" in value or "\r" in value:
        raise InvalidEmail(f"a newline in the {what} would inject a header: {value!r}")


def _addresses(what: str, values: list[str]) -> list[str]:
    cleaned = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise InvalidEmail(f"an empty address in {what}")
        _no_newline(f"{what} address", value)
        if "@" not in value:
            raise InvalidEmail(f"not an e-mail address in {what}: {value!r}")
        cleaned.append(value.strip())
    return cleaned


def party_addresses(case_id: int) -> tuple[set[str], set[str]]:
    """The complainant's and the respondent's addresses on a case (lower-cased)."""
    from accord.accounts.models import User
    from accord.cases.models import Case

    case = Case.objects.select_related("complainant__user", "respondent").get(pk=case_id)
    complainant = {case.complainant.email}
    if case.complainant.user is not None:
        complainant.add(case.complainant.user.email)
    respondent = {case.respondent.email}
    respondent.update(
        User.objects.filter(business_id=case.respondent_id).values_list("email", flat=True)
    )
    return (
        {a.lower() for a in complainant if a},
        {a.lower() for a in respondent if a},
    )


def check_sealed(case_id: int, to: list[str]) -> None:
    """Refuse a message whose recipients mix both parties of the case."""
    complainant, respondent = party_addresses(case_id)
    recipients = {address.lower() for address in to}
    if recipients & complainant and recipients & respondent:
        raise SealedRecipients(
            "one message may not go to both the complainant and the respondent: "
            "each party's thread is sealed from the other"
        )


def queue_email(
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str = "",
    case_id: int | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
    reply_to: list[str] | None = None,
    message_id: str | None = None,
    purpose: str = "",
) -> Any:
    """Queue one e-mail; returns the outbox row. Must be called inside the transaction
    that makes the change the e-mail reports.

    A `message_id` given again returns the row already queued under it (so a task that
    runs twice queues its e-mail once)."""
    from accord.outbox.models import OutboundAttachment, OutboundMessage

    if not to:
        raise InvalidEmail("an e-mail needs at least one recipient")
    to = _addresses("to", list(to))
    reply_to = _addresses("reply_to", list(reply_to or []))
    _no_newline("subject", subject)
    if not subject.strip():
        raise InvalidEmail("an e-mail needs a subject")
    if message_id is None:
        message_id = new_message_id()
    elif not _MESSAGE_ID.match(message_id):
        raise InvalidEmail(f"a Message-ID looks like <id@domain>, not {message_id!r}")
    for filename, _content, mimetype in attachments or []:
        _no_newline("attachment name", filename)
        _no_newline("attachment type", mimetype)
    if case_id is not None:
        check_sealed(case_id, to)
    now = timezone.now()
    try:
        with transaction.atomic():
            message = OutboundMessage.objects.create(
                case_id=case_id,
                purpose=purpose,
                message_id=message_id,
                from_email=str(settings.DEFAULT_FROM_EMAIL),
                to=to,
                reply_to=reply_to,
                subject=subject,
                text=text,
                html=html,
                created_at=now,
                next_attempt_at=now,
            )
            if attachments:
                OutboundAttachment.objects.bulk_create(
                    OutboundAttachment(
                        message=message, filename=filename, mimetype=mimetype, content=content
                    )
                    for filename, content, mimetype in attachments
                )
    except IntegrityError:
        existing = OutboundMessage.objects.filter(message_id=message_id).first()
        if existing is None:
            raise
        return existing
    return message
