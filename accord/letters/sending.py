"""Previewing and sending letters.

Sending is one transaction with the case row locked: render, check completeness
(a missing item is refused, naming it), check nothing said without prejudice in
mediation leaves in the letter, keep the PDF, store the letter as sent, write one
`letter_sent` event (the letter's id, never its wording) and queue the e-mail to that
party only, with the PDF attached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction

from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.engine import lock_case, procedure_of
from accord.cases.errors import ActionRefused, InvalidAction, NotPermitted
from accord.cases.models import Case
from accord.cases.timeline import append_event
from accord.letters.models import Letter, LetterStatus, Recipient
from accord.letters.rendering import LetterRequest, Rendered, render_letter
from accord.mediation.choices import Party
from accord.mediation.confidentiality import refuse_without_prejudice
from accord.mediation.opening import reach_respondent
from accord.outbox import queue
from accord.permissions import roles_on_case
from accord.policy.disclosure import letter_refusal
from accord.procedures.definition import Role
from accord.storage import StoredFile, store

PDF_FOLDER = "letters"
LETTER_ROLES = (Role.SENIOR_HANDLER, Role.HANDLER, Role.MANAGER)


def require_letter_staff(actor: User, case: Case) -> Role:
    """Handlers, senior handlers and managers of the case's organisation write letters."""
    held = roles_on_case(actor, case)
    for role in LETTER_ROLES:
        if role in held:
            return role
    raise NotPermitted("only the case's handlers, senior handlers and managers write letters")


def check_complete(rendered: Rendered) -> None:
    """Refuse a letter that lacks a required item, naming the item."""
    if rendered.missing:
        first = rendered.missing[0]
        names = ", ".join(m.name for m in rendered.missing)
        raise InvalidAction(
            f"the {rendered.kind.label.lower()} cannot be sent: {first.message} ({names})",
            field=first.name,
        )


def preview(case: Case, actor: User, request: LetterRequest, now: dt.datetime) -> Rendered:
    """The letter as it would be sent; nothing is stored or sent."""
    require_letter_staff(actor, case)
    return render_letter(case, request, now)


def content_hash(subject: str, text: str, html: str, pdf: bytes) -> str:
    """SHA-256 over what was sent: subject, text, HTML and the PDF's own SHA-256."""
    digest = hashlib.sha256()
    for part in (subject, text, html, hashlib.sha256(pdf).hexdigest()):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _store_pdf(pdf: bytes) -> tuple[str, StoredFile]:
    name = f"{PDF_FOLDER}/{secrets.token_hex(16)}.pdf"
    return name, store(name, pdf)


def pdf_path(letter: Letter) -> StoredFile:
    return StoredFile(letter.pdf_stored_as)


def send(case_id: int, actor: User, request: LetterRequest, now: dt.datetime) -> Letter:
    """Send the letter to its party, or refuse with the reason."""
    stored: StoredFile | None = None
    try:
        with transaction.atomic():
            case = lock_case(case_id)
            role = require_letter_staff(actor, case)
            rendered = render_letter(case, request, now)
            party = Party(rendered.recipient.value)
            problem = letter_refusal(case, procedure_of(case), rendered.name, party)
            if problem is not None:
                raise ActionRefused(problem, field="recipient")
            check_complete(rendered)
            refuse_without_prejudice(
                case,
                f"{rendered.subject}\n{rendered.text}",
                where=f"the {rendered.kind.label.lower()}",
            )
            opened = party == Party.RESPONDENT and reach_respondent(case, now)
            if rendered.recipient == Recipient.COMPLAINANT:
                email = case.complainant.email
            else:
                email = case.respondent.email
            if not email:
                raise InvalidAction(
                    f"the {rendered.recipient.label.lower()} has no e-mail address",
                    field="recipient",
                )
            pdf = rendered.pdf()
            name, stored = _store_pdf(pdf)
            letter = Letter.objects.create(
                case=case,
                name=rendered.name,
                kind=rendered.kind,
                recipient=rendered.recipient,
                recipient_email=email,
                template=rendered.template,
                template_version=rendered.template.version,
                step_seq=rendered.step_seq,
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
                pdf_stored_as=name,
                sha256=content_hash(rendered.subject, rendered.text, rendered.html, pdf),
                status=LetterStatus.SENT,
                created_at=now,
                created_by=actor,
                sent_at=now,
                sent_by=actor,
            )
            append_event(
                case,
                kind=EventKind.LETTER_SENT,
                at=now,
                actor=actor,
                actor_role=role.value,
                action=rendered.name,
                data={
                    "letter": letter.pk,
                    "name": rendered.name,
                    "kind": rendered.kind.value,
                    "recipient": rendered.recipient.value,
                    "template_version": letter.template_version,
                    "sha256": letter.sha256,
                    **({"opened_to_respondent": True} if opened else {}),
                },
            )
            case.save(update_fields=["event_count", "updated_at"])
            queue.queue_email(
                to=[email],
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                case_id=case.pk,
                attachments=[(f"{case.reference}-{rendered.name}.pdf", pdf, "application/pdf")],
                purpose=f"letter:{rendered.name}",
            )
    except BaseException:
        if stored is not None:
            stored.unlink(missing_ok=True)  # rolled back: no orphaned PDF
        raise
    return letter
