"""Inbound e-mail endpoints under /api/inbound/: staff list the quarantine (with the
reason each message is there), download a message as received, and release one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema

from accord.accounts.models import User
from accord.api_support import ERRORS
from accord.auth import staff_or_party_auth
from accord.cases.errors import NotPermitted
from accord.inbound.models import InboundMessage
from accord.inbound.quarantine import quarantine_for, release
from accord.mediation.choices import Party
from accord.policy.roles import staff_role

router = Router(tags=["inbound"], auth=staff_or_party_auth)


class InboundOut(Schema):
    id: int
    received_at: dt.datetime
    sender: str
    subject: str
    size: int
    status: str
    reason: str
    notes: list[str]
    case_reference: str | None
    party: str


class ReleaseIn(Schema):
    case_reference: str | None = None
    party: Party | None = None
    respondent_id: int | None = None


def _staff(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if staff_role(user) is None and not user.is_superuser:
        raise NotPermitted("only staff see the e-mail quarantine")
    return user


def inbound_out(record: InboundMessage) -> dict[str, Any]:
    return {
        "id": record.pk,
        "received_at": record.received_at,
        "sender": record.sender,
        "subject": record.subject,
        "size": record.size,
        "status": record.status,
        "reason": record.reason,
        "notes": list(record.notes or []),
        "case_reference": record.case.reference if record.case is not None else None,
        "party": record.party,
    }


@router.get(
    "/quarantine",
    response={200: list[InboundOut], **ERRORS},
    summary="Quarantined e-mail you may see, newest first, with the reason",
)
def list_quarantine(request: HttpRequest) -> list[dict[str, Any]]:
    user = _staff(request)
    records = quarantine_for(user).select_related("case").defer("raw").order_by("-received_at")
    return [inbound_out(record) for record in records[:500]]


@router.get(
    "/quarantine/{inbound_id}/raw",
    response={200: None, **ERRORS},
    summary="A quarantined message exactly as it arrived (message/rfc822)",
)
def raw_message(request: HttpRequest, inbound_id: int) -> HttpResponse:
    user = _staff(request)
    record = quarantine_for(user).filter(pk=inbound_id).first()
    if record is None:
        raise Http404("no such quarantined message")
    response = HttpResponse(bytes(record.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="inbound-{record.pk}.eml"'
    return response


@router.post(
    "/quarantine/{inbound_id}/release",
    response={200: InboundOut, **ERRORS},
    summary="Release a quarantined message: into a party's thread of a case, or as a new complaint",
)
def release_message(request: HttpRequest, inbound_id: int, payload: ReleaseIn) -> dict[str, Any]:
    user = _staff(request)
    if not quarantine_for(user).filter(pk=inbound_id).exists():
        raise Http404("no such quarantined message")
    record = release(
        inbound_id,
        user,
        now=timezone.now(),
        case_reference=payload.case_reference,
        party=payload.party,
        respondent_id=payload.respondent_id,
    )
    return inbound_out(record)
