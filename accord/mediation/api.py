"""Mediation endpoints under /api/cases/<reference>/: threads and relay, consent,
records requests. Each looks the case up (404 if not visible), calls one action, returns."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status

from accord.api_support import ERRORS
from accord.api_support import client_ip as _ip
from accord.api_support import request_user as _user
from accord.auth import staff_or_party_auth
from accord.cases.lookup import visible_case
from accord.mediation import consent, opening, threads
from accord.mediation.choices import Party
from accord.mediation.models import Message
from accord.mediation.schemas import (
    ConsentFormOut,
    ConsentIn,
    ConsentOut,
    MessageIn,
    MessageOut,
    RecordsRequestIn,
    RecordsRequestOut,
    RelayIn,
    ThreadOut,
    WithdrawIn,
)
from accord.mediation.visibility import visible_messages

router = Router(tags=["mediation"], auth=staff_or_party_auth)


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "party": message.thread.party,
        "author_role": message.author_role,
        "body": message.body,
        "sent_at": message.sent_at,
        "without_prejudice": message.without_prejudice,
        "relayed": message.relayed_from_id is not None,
        "relay_edited": message.relay_edited,
    }


@router.get(
    "/{reference}/threads",
    response={200: list[ThreadOut], **ERRORS},
    summary="The threads you may read",
)
def list_threads(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    by_party: dict[str, list[dict[str, Any]]] = {}
    for message in visible_messages(user, case).order_by("sent_at", "id"):
        by_party.setdefault(message.thread.party, []).append(message_out(message))
    return [{"party": party, "messages": messages} for party, messages in sorted(by_party.items())]


@router.post(
    "/{reference}/threads/{party}/messages",
    response={201: MessageOut, **ERRORS},
    summary="Write in a party's thread (your own, or, as staff, either)",
)
def post_message(
    request: HttpRequest, reference: str, party: Party, payload: MessageIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    message = threads.post_message(case.pk, user, party, payload.body, now=timezone.now())
    return Status(201, message_out(message))


@router.post(
    "/{reference}/relay",
    response={201: MessageOut, **ERRORS},
    summary="Relay a message to the other party",
)
def relay(request: HttpRequest, reference: str, payload: RelayIn) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    copy = threads.relay(case.pk, user, payload.message_id, body=payload.body, now=timezone.now())
    return Status(201, message_out(copy))


@router.post(
    "/{reference}/open-to-respondent",
    response={200: dict[str, Any], **ERRORS},
    summary="Open the case to the business complained about (handlers)",
)
def open_to_respondent(request: HttpRequest, reference: str) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    opened = opening.open_to_respondent(case.pk, user, now=timezone.now())
    return {
        "reference": opened.reference,
        "opened_to_respondent_at": opened.opened_to_respondent_at,
    }


@router.get(
    "/{reference}/consent-form",
    response={200: ConsentFormOut, **ERRORS},
    summary="The consent form to sign",
)
def consent_form(request: HttpRequest, reference: str) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    form = consent.current_form(case.organisation, timezone.localdate())
    return {
        "version": form.version,
        "title": form.title,
        "text": form.text,
        "text_sha256": form.text_sha256,
    }


@router.post(
    "/{reference}/consent", response={201: ConsentOut, **ERRORS}, summary="Sign the consent form"
)
def sign_consent(
    request: HttpRequest, reference: str, payload: ConsentIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    signed = consent.sign(
        case.pk,
        user,
        form_version=payload.form_version,
        typed_name=payload.typed_name,
        ticked=payload.ticked,
        share=tuple(payload.share),
        ip_address=_ip(request),
        now=timezone.now(),
    )
    return Status(
        201,
        {
            "id": signed.pk,
            "form_version": signed.form.version,
            "typed_name": signed.typed_name,
            "signed_at": signed.signed_at,
            "text_sha256": signed.text_sha256,
            "withdrawn_at": signed.withdrawn_at,
        },
    )


@router.post(
    "/{reference}/consent/withdraw",
    response={200: dict[str, str], **ERRORS},
    summary="Withdraw consent",
)
def withdraw_consent(request: HttpRequest, reference: str, payload: WithdrawIn) -> dict[str, str]:
    user = _user(request)
    case = visible_case(user, reference)
    consent.withdraw(case.pk, user, reason=payload.reason, now=timezone.now())
    return {"status": "withdrawn"}


@router.post(
    "/{reference}/records-requests",
    response={201: RecordsRequestOut, **ERRORS},
    summary="Request records from the respondent",
)
def request_records(
    request: HttpRequest, reference: str, payload: RecordsRequestIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    made = consent.request_records(
        case.pk, user, what=payload.what, due_on=payload.due_on, now=timezone.now()
    )
    return Status(
        201,
        {
            "id": made.pk,
            "what": made.what,
            "due_on": made.due_on,
            "requested_at": made.requested_at,
            "fulfilled_at": made.fulfilled_at,
            "withdrawn_at": made.withdrawn_at,
        },
    )


@router.post(
    "/{reference}/records-requests/{request_id}/fulfilled",
    response={200: RecordsRequestOut, **ERRORS},
    summary="Record that the requested records arrived",
)
def fulfil_records(request: HttpRequest, reference: str, request_id: int) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    made = consent.fulfil_records_request(case.pk, user, request_id, now=timezone.now())
    return {
        "id": made.pk,
        "what": made.what,
        "due_on": made.due_on,
        "requested_at": made.requested_at,
        "fulfilled_at": made.fulfilled_at,
    }
