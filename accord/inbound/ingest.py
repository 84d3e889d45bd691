"""Receiving a message: store the raw bytes first (their own transaction), then process
them — open a case, add to the sender's thread, ignore a duplicate or an auto-reply,
or quarantine with the reason. Processing never raises: whatever goes wrong leaves the
stored message quarantined with the reason."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accord.accounts.models import User
from accord.cases.choices import Channel, EventKind
from accord.cases.engine import StepRequest, lock_case, take_step
from accord.cases.errors import ActionRefused
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case, Event
from accord.cases.timeline import append_event
from accord.inbound import meanings
from accord.inbound.choices import InboundStatus
from accord.inbound.models import InboundMessage
from accord.inbound.parsing import (
    Attachment,
    Parsed,
    Unreadable,
    fingerprint,
    message_key,
    parse,
    parse_leniently,
)
from accord.inbound.routing import Refused, find_thread, organisation_for, split_address
from accord.mediation.choices import Party
from accord.mediation.documents import _store as store_document
from accord.mediation.documents import check_upload
from accord.mediation.models import Document, Message
from accord.mediation.threads import MAX_MESSAGE, thread_of
from accord.organisations.models import Organisation
from accord.procedures.definition import EmailMeaning, Role
from accord.storage import StoredFile

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
NO_TEXT = "(This e-mail has no text.)"


def max_message_bytes() -> int:
    return int(getattr(settings, "ACCORD_INBOUND_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(frozen=True)
class Outcome:
    inbound_id: int
    status: str
    reason: str = ""
    reference: str = ""

    def line(self) -> str:
        """One line for the mail server's log."""
        parts = [f"inbound #{self.inbound_id}: {self.status}"]
        if self.reference:
            parts.append(f"case {self.reference}")
        if self.reason:
            parts.append(self.reason)
        return "; ".join(parts)


def store(
    raw: bytes, *, envelope_from: str = "", envelope_to: list[str] | None = None, now: dt.datetime
) -> InboundMessage:
    """Keep the message exactly as it arrived, committed before anything else happens."""
    with transaction.atomic():
        return InboundMessage.objects.create(
            received_at=now,
            raw=raw,
            size=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
            fingerprint=fingerprint(raw),
            envelope_from=envelope_from[:400],
            envelope_to=list(envelope_to or []),
        )


def receive(
    raw: bytes,
    *,
    envelope_from: str | None = None,
    envelope_to: list[str] | None = None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Store, then process. Raises only if the message could not be stored."""
    now = now or timezone.now()
    record = store(raw, envelope_from=envelope_from or "", envelope_to=envelope_to, now=now)
    return process(record, envelope_from=envelope_from, now=now)


def process(
    record: InboundMessage, *, envelope_from: str | None = None, now: dt.datetime
) -> Outcome:
    try:
        return _process(record, envelope_from, now)
    except (Unreadable, Refused) as exc:
        record.case, record.thread_message = None, None
        if isinstance(exc, Unreadable):
            _describe_leniently(record)
        return _finish(record, InboundStatus.QUARANTINED, str(exc), now)
    except Exception as exc:
        record.case, record.thread_message = None, None
        logger.exception("inbound #%s could not be processed", record.pk)
        reason = f"processing failed ({type(exc).__name__}: {exc})"
        return _finish(record, InboundStatus.QUARANTINED, reason[:2000], now)


def _describe_leniently(record: InboundMessage) -> None:
    """What staff need to recognise an unreadable message, as far as it can be read."""
    try:
        parsed = parse_leniently(bytes(record.raw))
    except Exception:
        return
    record.message_id = record.message_id or message_key(parsed.message_id, record.fingerprint)
    record.sender = record.sender or parsed.sender[:400]
    record.subject = record.subject or parsed.subject
    if record.organisation is None:
        found = organisation_for(parsed.recipients)
        if found is not None:
            record.organisation = found[0]


def _finish(
    record: InboundMessage,
    status: InboundStatus,
    reason: str,
    now: dt.datetime,
    *,
    extra: tuple[str, ...] = (),
) -> Outcome:
    record.status = status
    record.reason = reason
    record.processed_at = now
    fields = ["status", "reason", "processed_at", "organisation", "message_id", "sender"]
    record.save(update_fields=[*fields, "subject", *extra])
    reference = record.case.reference if record.case_id is not None and record.case else ""
    return Outcome(record.pk, status.value, reason, reference)


def _duplicate_of(record: InboundMessage) -> str:
    """Why this is a duplicate (the same message again at this organisation), or "" for
    a new one; `Refused` for another message reusing a Message-ID received here."""
    earlier = (
        InboundMessage.objects.filter(
            organisation=record.organisation, message_id=record.message_id, pk__lt=record.pk
        )
        .exclude(status=InboundStatus.DUPLICATE)
        .order_by("pk")
    )
    reused: int | None = None
    for pk, content in earlier.values_list("pk", "fingerprint"):
        if not content:  # received before fingerprints were kept
            content = fingerprint(
                bytes(InboundMessage.objects.values_list("raw", flat=True).get(pk=pk))
            )
        if content == record.fingerprint:
            return f"the same message as inbound #{pk}"
        reused = pk if reused is None else reused
    if reused is not None:
        raise Refused(
            f"a different message reuses the Message-ID {record.message_id[:200]} of inbound "
            f"#{reused}: held for staff rather than dropped"
        )
    return ""


def _process(record: InboundMessage, envelope_from: str | None, now: dt.datetime) -> Outcome:
    raw = bytes(record.raw)
    found = organisation_for(list(record.envelope_to))
    if found is not None:
        record.organisation = found[0]
    limit = max_message_bytes()
    if record.size > limit:
        raise Unreadable(f"the message is too large ({record.size} bytes; the limit is {limit})")
    if not record.fingerprint:
        record.fingerprint = fingerprint(raw)
        record.save(update_fields=["fingerprint"])
    parsed = parse(raw, envelope_from=envelope_from)
    record.message_id = message_key(parsed.message_id, record.fingerprint)
    record.sender = parsed.sender[:400]
    record.subject = parsed.subject
    if found is None:
        found = organisation_for(parsed.recipients)
    if found is None:
        addressed = ", ".join(list(record.envelope_to) or parsed.recipients) or "no one"
        raise Refused(f"not addressed to any organisation's complaints address ({addressed})")
    organisation, tag = found
    record.organisation = organisation
    duplicate = _duplicate_of(record)
    if duplicate:
        return _finish(record, InboundStatus.DUPLICATE, duplicate, now)
    if parsed.automatic:
        return _finish(record, InboundStatus.AUTO_REPLY, parsed.automatic, now)
    destination = find_thread(
        organisation, tag, parsed.subject, parsed.sender, parsed.authentication_results
    )
    meaning: EmailMeaning | None = None
    if destination is None:
        meant = meanings.by_sender(
            organisation,
            parsed.subject,
            parsed.sender,
            parsed.authentication_results,
            record.received_at,
        )
        if meant is not None:
            destination, meaning = meant.destination, meant.meaning
    elif destination.case.is_open:
        meaning = meanings.for_thread(destination, parsed.subject)
    if destination is not None and not destination.case.is_open:
        raise Refused(
            f"{destination.case.reference} is closed; a reply to a closed case goes to staff"
        )
    stored: list[StoredFile] = []
    try:
        with transaction.atomic():
            if destination is None:
                record.case = open_case(organisation, parsed, record, now=now, stored=stored)
                record.party = Party.COMPLAINANT.value
                return _finish(record, InboundStatus.CASE_OPENED, "", now, extra=("case", "party"))
            record.thread_message = write_in_thread(
                destination.case.pk, destination.party, parsed, record, now=now, stored=stored
            )
            if meaning is not None:
                take_meant_step(destination.case.pk, meaning, record)
            record.case = destination.case
            record.party = destination.party.value
            return _finish(
                record, InboundStatus.THREADED, "", now, extra=("case", "party", "thread_message")
            )
    except BaseException:
        for path in stored:
            path.unlink(missing_ok=True)  # no file without its row
        raise


# --- the actions -----------------------------------------------------------------------


def take_meant_step(case_id: int, meaning: EmailMeaning, record: InboundMessage) -> None:
    """The step the e-mail means, on the party's behalf, as of the e-mail's arrival (its
    clocks count from then); `Refused` (the whole delivery rolls back, for the
    quarantine) when the step is not possible now — unless the case already took it,
    when the e-mail is only a message in the thread (e.g. a reply keeping the subject)."""
    source = {"channel": "email", "inbound": record.pk}
    try:
        take_step(
            case_id,
            None,
            meaning.takes,
            StepRequest(),
            now=record.received_at,
            on_behalf_of=Role(meaning.party),
            source=source,
        )
    except ActionRefused as refusal:
        if Event.objects.filter(case_id=case_id, action=meaning.takes).exists():
            record.notes = [*record.notes, f"[{meaning.label}: already taken; filed only]"]
            record.save(update_fields=["notes"])
            return
        raise Refused(
            f"the subject says '{meaning.label.lower()}', but that step cannot be taken on "
            f"the case now: {refusal.message}"
        ) from refusal
    record.notes = [*record.notes, f"[{meaning.label}: taken as of the e-mail's arrival]"]
    record.save(update_fields=["notes"])


def _body(parsed: Parsed, notes: list[str]) -> str:
    text = parsed.text.strip() or NO_TEXT
    tail = "\n\n" + "\n".join(notes) if notes else ""
    room = MAX_MESSAGE - len(tail)
    if len(text) > room:
        marker = "\n[… shortened; the whole e-mail is kept as received]"
        text = text[: room - len(marker)] + marker
    return text + tail


def open_case(
    organisation: Organisation,
    parsed: Parsed,
    record: InboundMessage,
    *,
    now: dt.datetime,
    actor: User | None = None,
    actor_role: str = "",
    respondent_id: int | None = None,
    stored: list[StoredFile],
) -> Case:
    """A new complaint by e-mail: the case (channel e-mail) with the text as its
    description, and the attachments in the complainant's thread."""
    name = parsed.sender_name or parsed.sender.split("@", 1)[0] or "Unknown sender"
    text = parsed.text.strip() or NO_TEXT
    description = f"{parsed.subject}\n\n{text}" if parsed.subject else text
    complaint = Complaint(
        complainant=ComplainantDetails(name=name[:200], email=parsed.sender),
        description=description,
        channel=Channel.EMAIL,
        respondent_id=respondent_id,
        received_at=record.received_at,
    )
    try:
        case, _ = receive_complaint(
            organisation,
            complaint,
            now=now,
            actor=actor,
            actor_role=actor_role,
            # The content too: another message reusing a Message-ID, released by staff,
            # is a complaint of its own.
            idempotency_key="email:"
            + hashlib.sha256(f"{record.message_id}\n{record.fingerprint}".encode()).hexdigest(),
        )
    except ActionRefused as exc:
        raise Refused(f"a case could not be opened: {exc.message}") from exc
    notes = list(parsed.cleaned)
    if parsed.attachments:
        locked = lock_case(case.pk)
        notes += _keep_attachments(
            locked, Party.COMPLAINANT, parsed.attachments, None, now, actor, stored
        )
        locked.save(update_fields=["event_count", "updated_at"])
    if notes:
        record.notes = notes
        record.save(update_fields=["notes"])
    return case


def write_in_thread(
    case_id: int,
    party: Party,
    parsed: Parsed,
    record: InboundMessage,
    *,
    now: dt.datetime,
    actor: User | None = None,
    actor_role: str = "",
    stored: list[StoredFile],
) -> Message:
    """The party's e-mail in their own thread: as `threads.post_message` writes a
    message (case locked, the message, a `message` event), without a signed-in user."""
    case = lock_case(case_id)
    thread = thread_of(case, party)
    message = Message.objects.create(
        thread=thread, author=None, author_role=party.value, body=NO_TEXT, sent_at=now
    )
    data: dict[str, Any] = {
        "thread": party.value,
        "message": message.pk,
        "channel": "email",
        "inbound": record.pk,
    }
    append_event(
        case,
        kind=EventKind.MESSAGE,
        at=now,
        actor=actor,
        actor_role=actor_role or party.value,
        data=data,
    )
    notes = parsed.cleaned + _keep_attachments(
        case, party, parsed.attachments, message, now, actor, stored
    )
    message.body = _body(parsed, notes)
    message.save(update_fields=["body"])
    case.save(update_fields=["event_count", "updated_at"])
    record.notes = notes
    record.save(update_fields=["notes"])
    return message


def _keep_attachments(
    case: Case,
    party: Party,
    attachments: list[Attachment],
    message: Message | None,
    now: dt.datetime,
    actor: User | None,
    stored: list[StoredFile],
) -> list[str]:
    """Store each attachment the upload rules accept as a document in the thread; say
    which were not kept and why. The caller holds the case locked and saves it."""
    notes: list[str] = []
    try:
        for attachment in attachments:
            uploaded = SimpleUploadedFile(
                attachment.name, attachment.content, content_type=attachment.content_type
            )
            try:
                checked = check_upload(uploaded)
            except ActionRefused as exc:
                notes.append(f"[An attachment was not kept: {exc.message}]")
                continue
            uploaded.seek(0)
            token, path = store_document(uploaded, checked)
            stored.append(path)
            document = Document.objects.create(
                thread=thread_of(case, party),
                message=message,
                uploaded_by=actor,
                uploaded_at=now,
                name=checked.name,
                stored_as=token,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
            )
            append_event(
                case,
                kind=EventKind.DOCUMENT,
                at=now,
                actor=actor,
                actor_role=party.value,
                data={
                    "thread": party.value,
                    "document": document.pk,
                    "sha256": checked.sha256,
                    "size": checked.size,
                    "content_type": checked.content_type,
                    "channel": "email",
                },
            )
    except BaseException:
        for path in stored:
            path.unlink(missing_ok=True)
        stored.clear()
        raise
    return notes


__all__ = ["Outcome", "process", "receive", "split_address", "store"]
