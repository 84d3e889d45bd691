"""The one way anything in Accord sends e-mail: write an outbox row in the caller's
transaction. The outbox worker (`manage.py deliver_email`) delivers it."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accord.reads import Read


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


def _case_addresses(case_id: int) -> Any:
    from accord.cases.models import Case

    return Case.objects.filter(pk=case_id).values_list(
        "complainant__email", "complainant__user__email", "respondent_id", "respondent__email"
    )


def _representatives(business_id: int) -> Any:
    from accord.accounts.models import User

    return User.objects.filter(business_id=business_id).values_list("email", flat=True)


# Read for every e-mail about a case, fresh each time (the parties' addresses are the
# seal between them): compiled once.
_CASE_ADDRESSES = Read(_case_addresses)
_REPRESENTATIVES = Read(_representatives)
_COMPLAINTS_EMAIL = Read(
    lambda case_id: (
        _case_model()
        .objects.filter(pk=case_id)
        .values_list("organisation__complaints_email", flat=True)
    )
)
_QUEUED = Read(lambda key: _message_model().objects.filter(dedupe_key=key).order_by("pk")[:1])


def _case_model() -> Any:
    from accord.cases.models import Case

    return Case


def _message_model() -> Any:
    from accord.outbox.models import OutboundMessage

    return OutboundMessage


def party_addresses(case_id: int) -> tuple[set[str], set[str]]:
    """The complainant's and the respondent's addresses on a case (lower-cased)."""
    found = _CASE_ADDRESSES(case_id)
    if not found:
        raise _case_model().DoesNotExist(f"no case {case_id}")
    complainant_email, user_email, respondent_id, respondent_email = found[0]
    complainant = {complainant_email, user_email}
    respondent = {respondent_email, *_REPRESENTATIVES(respondent_id)}
    return (
        {a.lower() for a in complainant if a},
        {a.lower() for a in respondent if a},
    )


def check_sealed(case_id: int, to: list[str]) -> str | None:
    """Refuse a message whose recipients mix both parties of the case; return the party
    it goes to ("complainant", "respondent"), or None if it goes to neither."""
    complainant, respondent = party_addresses(case_id)
    recipients = {address.lower() for address in to}
    if recipients & complainant and recipients & respondent:
        raise SealedRecipients(
            "one message may not go to both the complainant and the respondent: "
            "each party's thread is sealed from the other"
        )
    if recipients & complainant:
        return "complainant"
    if recipients & respondent:
        return "respondent"
    return None


# The headers a caller may add (the rest are the outbox's own).
EXTRA_HEADERS = frozenset(
    {"In-Reply-To", "References", "Auto-Submitted", "X-Auto-Response-Suppress"}
)


def _thread(case_id: int, audience: str, reply_to: list[str]) -> tuple[dict[str, str], list[str]]:
    """The threading headers of `audience`'s thread on the case, and its Reply-To: the
    party's signed reply address unless the caller gave one."""
    from accord.outbox.threads import STAFF, thread_headers, thread_root

    headers = thread_headers(thread_root(case_id, audience))
    if audience != STAFF and not reply_to:
        from accord.inbound.routing import reply_address_at
        from accord.mediation.choices import Party

        found = _COMPLAINTS_EMAIL(case_id)
        if not found:
            raise _case_model().DoesNotExist(f"no case {case_id}")
        if found[0]:
            reply_to = [reply_address_at(found[0], case_id, Party(audience))]
    return headers, reply_to


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
    key: str | None = None,
    audience: str | None = None,
    automatic: bool = False,
) -> Any:
    """Queue one e-mail; returns the outbox row. Must be called inside the transaction
    that makes the change the e-mail reports.

    A `key` (or a `message_id`) given again returns the row already queued under it (so
    a task that runs twice queues its e-mail once); without a `message_id` each e-mail
    gets a unique one. On a case, the e-mail joins the thread of the party it goes to
    (`audience`, or the party whose addresses `to` holds; "staff" for staff): it
    references that thread's root and, for a party, its Reply-To is the party's signed
    reply address unless `reply_to` is given. `automatic` marks a notice nobody wrote
    (`Auto-Submitted: auto-generated`, RFC 3834), so auto-responders do not answer it."""
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
    headers: dict[str, str] = {}
    if case_id is not None:
        party = check_sealed(case_id, to)
        audience = audience or party
        if audience is not None:
            headers, reply_to = _thread(case_id, audience, reply_to)
    if automatic:
        headers["Auto-Submitted"] = "auto-generated"
        headers["X-Auto-Response-Suppress"] = "All"
    for name, value in headers.items():
        if name not in EXTRA_HEADERS:
            raise InvalidEmail(f"the outbox sets the {name} header itself")
        _no_newline(name, value)
    if key is not None:
        _no_newline("key", key)
        queued = _QUEUED(key)
        if queued:
            return queued[0]
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
                headers=headers,
                dedupe_key=key,
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
        existing = OutboundMessage.objects.filter(
            Q(message_id=message_id) | Q(dedupe_key=key) if key else Q(message_id=message_id)
        ).first()
        if existing is None:
            raise
        return existing
    return message
