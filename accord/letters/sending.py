"""Previewing and sending letters.

Sending is one transaction with the case row locked: render, check completeness
(a missing item is refused, naming it), refuse a second copy (a step's letter goes
once to each party; a final response once per stage), check nothing said without
prejudice in mediation leaves in the letter, keep the PDF, store the letter as sent,
write one `letter_sent` event (the letter's id, never its wording) and queue the e-mail
to that party only: the letter, the PDF attached, and the link to the party's own page
where its letters are (`accord.notifications.mail`, as every notice). A letter a step
requires is sent by the step itself (`accord.letters.steps`), in the step's
transaction; sending one the step left owed counts it off `Case.letters_owed` and lets
the clocks it discharges stop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.db.models import F
from django.utils.safestring import SafeString

from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.engine import lock_case, procedure_of, refresh_clocks
from accord.cases.errors import ActionRefused, InvalidAction, NotPermitted
from accord.cases.models import Case
from accord.cases.timeline import append_event, events_of
from accord.letters.kinds import ONCE_PER_STAGE
from accord.letters.models import Letter, LetterStatus, Recipient
from accord.letters.owed import recount_owed
from accord.letters.rendering import LetterRequest, Rendered, render_letter
from accord.mediation.choices import Party
from accord.mediation.confidentiality import refuse_without_prejudice
from accord.mediation.opening import reach_respondent
from accord.notifications import mail
from accord.policy.disclosure import has_respondent_party, letter_refusal
from accord.policy.roles import roles_on_case
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
    return render_letter(case, request, now, actor)


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
    stored: list[StoredFile] = []
    try:
        with transaction.atomic():
            case = lock_case(case_id)
            role = require_letter_staff(actor, case)
            letter = deliver(case, actor, role, request, now, stored)
            recount_owed(case)
            refresh_clocks(case, procedure_of(case), events_of(case))
            case.save(update_fields=["letters_owed", "next_deadline_at", "next_at_risk_at"])
    except BaseException:
        for file in stored:
            file.unlink(missing_ok=True)  # rolled back: no orphaned PDF
        raise
    return letter


def already_sent(case: Case, rendered: Rendered) -> str | None:
    """Why this letter may not be sent again (None: it may): a step's letter goes once
    to each party; a final response once to a party for the same stage of the case."""
    sent = Letter.objects.filter(case=case, recipient=rendered.recipient, status=LetterStatus.SENT)
    if (
        rendered.step_seq is not None
        and sent.filter(name=rendered.name, step_seq=rendered.step_seq).exists()
    ):
        return f"the {rendered.kind.label.lower()} for this step was already sent to this party"
    if (
        rendered.kind in ONCE_PER_STAGE
        and sent.filter(kind=rendered.kind, sent_at__gte=_entered_at(case)).exists()
    ):
        return (
            f"a {rendered.kind.label.lower()} was already sent to this party at this stage: "
            "it is sent once"
        )
    return None


def _entered_at(case: Case) -> dt.datetime:
    event = (
        case.events.filter(kind=EventKind.TRANSITION)
        .exclude(from_stage=F("to_stage"))
        .order_by("-seq")
        .first()
    )
    return event.at if event is not None else case.received_at


def deliver(
    case: Case,
    actor: User,
    role: Role,
    request: LetterRequest,
    now: dt.datetime,
    stored: list[StoredFile],
) -> Letter:
    """Render, check and send one letter on a case locked in the caller's transaction:
    the sent letter, one `letter_sent` event and the e-mail to that party (none when it
    has no e-mail address: the letter is kept for the post). Each PDF stored is added to
    `stored`, for the caller to remove if the transaction rolls back."""
    rendered = render_letter(case, request, now, actor)
    # The case policy decides whether the business may get this letter; a letter to it on
    # a case not yet open to it opens the case, as any act addressed to it.
    party = Party(rendered.recipient.value)
    if party == Party.RESPONDENT and not has_respondent_party(case):
        raise InvalidAction(
            "this complaint is about the organisation itself: there is no business to write to",
            field="recipient",
        )
    problem = letter_refusal(case, procedure_of(case), rendered.name, party)
    if problem is not None:
        raise ActionRefused(problem, field="recipient")
    check_complete(rendered)
    refusal = already_sent(case, rendered)
    if refusal is not None:
        raise InvalidAction(refusal, field="name")
    refuse_without_prejudice(
        case,
        f"{rendered.subject}\n{rendered.text}",
        where=f"the {rendered.kind.label.lower()}",
    )
    opened = party == Party.RESPONDENT and reach_respondent(case, now)
    # The party's addresses, as its notices go to them: the complainant's; the
    # business's own and its active representatives' (the letter records the first).
    addresses = mail.recipients(case, party.value)
    if rendered.recipient == Recipient.COMPLAINANT:
        email = case.complainant.email
    else:
        email = case.respondent.email
    email = email or (addresses[0] if addresses else "")
    pdf = rendered.pdf()
    name, file = _store_pdf(pdf)
    stored.append(file)
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
            "step_seq": rendered.step_seq,
            "template_version": letter.template_version,
            "sha256": letter.sha256,
            "by_post": not email,
            **({"opened_to_respondent": True} if opened else {}),
        },
    )
    case.save(update_fields=["event_count", "updated_at"])
    if addresses:
        # The letter in the e-mail that carries it, with the PDF, and the way to the
        # party's own page where its letters are (the envelope every notice shares).
        mail.send(
            case,
            party.value,
            template="notifications/letter.html",
            subject=rendered.subject,
            subject_as_written=True,
            context={"letter_body": SafeString(rendered.body_html)},
            to=addresses,
            key=f"letter:{letter.pk}",
            purpose=f"letter:{rendered.name}",
            automatic=False,
            attachments=[(f"{case.reference}-{rendered.name}.pdf", pdf, "application/pdf")],
        )
    return letter
