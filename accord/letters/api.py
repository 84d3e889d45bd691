"""JSON endpoints of the letters app, under /api/letters/cases/<reference>/. Staff only
(handlers, senior handlers, managers of the case's organisation). Each endpoint looks
the case up (404 if not visible), calls one action and returns."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated, Any

from django.http import FileResponse, HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field, StringConstraints

from accord.api_support import ERRORS
from accord.api_support import request_user as _user
from accord.auth import staff_or_party_auth
from accord.cases.errors import ActionRefused, InvalidAction
from accord.cases.lookup import visible_case
from accord.cases.schemas import StrictIn
from accord.letters import sending
from accord.letters.models import Letter
from accord.letters.rendering import LetterRequest

router = Router(tags=["letters"], auth=staff_or_party_auth)

Short = Annotated[str, StringConstraints(max_length=60)]


class LetterIn(StrictIn):
    name: Short = Field(description="The letter's name in the procedure, or a letter kind")
    recipient: Short = "complainant"
    step_seq: int | None = Field(
        default=None, description="The step it answers; default: the latest that requires it"
    )
    fields: dict[Short, Annotated[str, StringConstraints(max_length=5000)]] = Field(
        default_factory=dict,
        description="reason, outcome, remedy, timeframe, update, summary, anticipated_date",
    )

    def request(self) -> LetterRequest:
        return LetterRequest(
            name=self.name, recipient=self.recipient, step_seq=self.step_seq, fields=self.fields
        )


class MissingOut(Schema):
    item: str
    message: str


class PreviewOut(Schema):
    name: str
    kind: str
    recipient: str
    template_id: int
    template_version: int
    subject: str
    html: str
    text: str
    pdf_base64: str
    complete: bool
    missing: list[MissingOut]


class LetterOut(Schema):
    id: int
    name: str
    kind: str
    recipient: str
    recipient_email: str
    status: str
    template_id: int
    template_version: int
    step_seq: int | None
    subject: str
    sha256: str
    sent_at: dt.datetime | None
    sent_by: str | None


class LetterDetailOut(LetterOut):
    html: str
    text: str


def _letter(letter: Letter, *, detail: bool = False) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "id": letter.pk,
        "name": letter.name,
        "kind": letter.kind,
        "recipient": letter.recipient,
        "recipient_email": letter.recipient_email,
        "status": letter.status,
        "template_id": letter.template_id,
        "template_version": letter.template_version,
        "step_seq": letter.step_seq,
        "subject": letter.subject,
        "sha256": letter.sha256,
        "sent_at": letter.sent_at,
        "sent_by": letter.sent_by.username if letter.sent_by else None,
    }
    if detail:
        shown.update(html=letter.html, text=letter.text)
    return shown


def _readable(request: HttpRequest, reference: str, letter_id: int) -> Letter:
    user = _user(request)
    case = visible_case(user, reference)
    sending.require_letter_staff(user, case)
    letter = Letter.objects.filter(pk=letter_id, case=case).select_related("sent_by").first()
    if letter is None:
        raise InvalidAction("no such letter on this case", field="letter_id")
    return letter


@router.get(
    "/cases/{reference}",
    response={200: list[LetterOut], **ERRORS},
    summary="The letters of a case",
)
def list_letters(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    sending.require_letter_staff(user, case)
    return [
        _letter(letter) for letter in Letter.objects.filter(case=case).select_related("sent_by")
    ]


@router.post(
    "/cases/{reference}/preview",
    response={200: PreviewOut, **ERRORS},
    summary="Render a letter (HTML, text and PDF) without sending it",
)
def preview_letter(request: HttpRequest, reference: str, payload: LetterIn) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    rendered = sending.preview(case, user, payload.request(), timezone.now())
    return {
        "name": rendered.name,
        "kind": rendered.kind.value,
        "recipient": rendered.recipient.value,
        "template_id": rendered.template.pk,
        "template_version": rendered.template.version,
        "subject": rendered.subject,
        "html": rendered.html,
        "text": rendered.text,
        "pdf_base64": base64.b64encode(rendered.pdf()).decode("ascii"),
        "complete": not rendered.missing,
        "missing": [{"item": m.name, "message": m.message} for m in rendered.missing],
    }


@router.post(
    "/cases/{reference}/send",
    response={201: LetterDetailOut, **ERRORS},
    summary="Send a letter to its party (refused if incomplete or without prejudice)",
)
def send_letter(request: HttpRequest, reference: str, payload: LetterIn) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    letter = sending.send(case.pk, user, payload.request(), timezone.now())
    return Status(201, _letter(letter, detail=True))


@router.get(
    "/cases/{reference}/{letter_id}",
    response={200: LetterDetailOut, **ERRORS},
    summary="A letter exactly as sent",
)
def letter_detail(request: HttpRequest, reference: str, letter_id: int) -> dict[str, Any]:
    return _letter(_readable(request, reference, letter_id), detail=True)


@router.get(
    "/cases/{reference}/{letter_id}/pdf",
    response={**ERRORS},
    summary="A sent letter's PDF",
)
def letter_pdf(request: HttpRequest, reference: str, letter_id: int) -> FileResponse:
    letter = _readable(request, reference, letter_id)
    path = sending.pdf_path(letter)
    if not letter.pdf_stored_as or not path.is_file():
        raise ActionRefused("the letter's PDF is missing from storage")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{letter.case.reference}-{letter.name}.pdf",
        content_type="application/pdf",
    )
