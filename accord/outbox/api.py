"""JSON endpoints of the outbox app: staff see the e-mails of a case they can see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from accord.accounts.models import User
from accord.auth import staff_or_party_auth
from accord.cases.errors import NotPermitted
from accord.cases.lookup import visible_case
from accord.outbox.models import OutboundMessage
from accord.policy.roles import is_staff_of

router = Router(tags=["outbox"], auth=staff_or_party_auth)


class EmailOut(Schema):
    message_id: str
    purpose: str
    to: list[str]
    subject: str
    status: str
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    last_error: str


class ErrorOut(Schema):
    detail: str


@router.get(
    "/cases/{reference}",
    response={200: list[EmailOut], 403: ErrorOut, 404: ErrorOut},
    summary="The e-mails of a case, newest first (staff only)",
)
def case_emails(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = request.user
    assert isinstance(user, User)
    case = visible_case(user, reference)
    if not (user.is_superuser or is_staff_of(user, case.organisation_id)):
        # A party sees its own thread, never the addresses the other side was sent to.
        raise NotPermitted("the outbox is for staff")
    return [
        {
            "message_id": m.message_id,
            "purpose": m.purpose,
            "to": m.to,
            "subject": m.subject,
            "status": m.status,
            "attempts": m.attempts,
            "created_at": m.created_at,
            "next_attempt_at": m.next_attempt_at,
            "sent_at": m.sent_at,
            "last_error": m.last_error,
        }
        for m in OutboundMessage.objects.filter(case=case).order_by("-created_at", "-pk")
    ]
