"""Case endpoints: public intake, staff logging, the work queue, case detail and steps.
Each endpoint looks the case up through the permission module, calls one action and
returns; no rule lives here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.params.functions import Header
from pydantic import Field

from accord.accounts.models import User
from accord.api_support import ERRORS
from accord.api_support import request_user as _user
from accord.auth import staff_or_party_auth
from accord.cases import actions, engine, idempotency, intake, queue
from accord.cases.choices import Channel, ClockBadge
from accord.cases.clocks import badge, clocks_of
from accord.cases.errors import InvalidAction, NotPermitted
from accord.cases.lookup import visible_case
from accord.cases.models import Case, Event
from accord.cases.presentation import clock_view as _clock
from accord.cases.presentation import party_view as _party_view
from accord.cases.rights import rights_of
from accord.cases.schemas import (
    AssignIn,
    CaseOut,
    ClockChangeIn,
    ComplaintIn,
    FlagsIn,
    LoggedComplaintIn,
    NoteIn,
    PartyCaseOut,
    QueuePageOut,
    ReceiptOut,
    StepIn,
    VerbalSummaryIn,
)
from accord.cases.timeline import events_of
from accord.letters.steps import StepLetters
from accord.organisations.lookup import organisation_or_404
from accord.organisations.models import Team
from accord.policy.roles import is_staff_of, staff_role
from accord.throttles import AnonAllowance
from accord.workdays.deadlines import Unit

intake_router = Router(tags=["intake"])
router = Router(tags=["cases"], auth=staff_or_party_auth)


class IntakeThrottle(AnonAllowance):
    """Public submissions per client address."""

    scope = "intake"

    def __init__(self) -> None:
        super().__init__(settings.ACCORD_INTAKE_RATE)


_idempotency_key = idempotency.clean_key
IdempotencyKey = Annotated[str | None, Header(None, alias="Idempotency-Key")]


def _once(
    request: HttpRequest,
    user: User,
    key: str | None,
    body: Schema,
    run: Callable[[], dict[str, Any]],
    now: dt.datetime,
) -> dict[str, Any]:
    """Run the endpoint's action once per `Idempotency-Key` (see `cases.idempotency`)."""
    print_ = idempotency.fingerprint(request.method or "", request.path, body.model_dump())
    return idempotency.once(user, idempotency.clean_key(key), print_, run, now=now)


def _complaint(payload: ComplaintIn, **extra: Any) -> intake.Complaint:
    return intake.Complaint(
        complainant=intake.ComplainantDetails(**payload.complainant.model_dump()),
        description=payload.description,
        desired_outcome=payload.desired_outcome,
        issue_arose_on=payload.issue_arose_on,
        category=payload.category,
        respondent_id=payload.respondent_id,
        no_information_sharing=not payload.share_information,
        **extra,
    )


@intake_router.post(
    "/organisations/{slug}/complaints",
    response={201: ReceiptOut, 200: ReceiptOut, **ERRORS},
    throttle=[IntakeThrottle()],
    summary="Submit a complaint (public; no sign-in)",
)
def submit_complaint(
    request: HttpRequest,
    slug: str,
    payload: ComplaintIn,
    idempotency_key: Annotated[str | None, Header(None, alias="Idempotency-Key")] = None,
) -> Status[dict[str, Any]]:
    organisation = organisation_or_404(slug)
    case, created = intake.receive_complaint(
        organisation,
        _complaint(payload, channel=Channel.WEB_FORM),
        now=timezone.now(),
        idempotency_key=_idempotency_key(idempotency_key),
    )
    return Status(201 if created else 200, _receipt(case))


@router.post(
    "",
    response={201: ReceiptOut, 200: ReceiptOut, **ERRORS},
    summary="Log a complaint received by phone, letter or in person",
)
def log_complaint(
    request: HttpRequest,
    payload: LoggedComplaintIn,
    idempotency_key: Annotated[str | None, Header(None, alias="Idempotency-Key")] = None,
) -> Status[dict[str, Any]]:
    user = _user(request)
    role = staff_role(user)
    if role is None or user.organisation is None:
        raise NotPermitted("only an organisation's staff may log complaints")
    case, created = intake.receive_complaint(
        user.organisation,
        _complaint(
            payload,
            channel=payload.channel,
            source=payload.source,
            received_at=payload.received_at,
            vulnerable=payload.vulnerable,
        ),
        now=timezone.now(),
        actor=user,
        actor_role=role.value,
        idempotency_key=_idempotency_key(idempotency_key),
    )
    return Status(201 if created else 200, _receipt(case))


class QueueQuery(Schema):
    organisation: str | None = None
    team: int | None = Field(default=None, ge=1, le=2**31 - 1)
    handler: str | None = None
    stage: str | None = None
    clock_state: ClockBadge | None = None
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(default=50, ge=1, le=200)


@router.get("", response={200: QueuePageOut, **ERRORS}, summary="The work queue, by next deadline")
def work_queue(request: HttpRequest, query: Query[QueueQuery]) -> dict[str, Any]:
    user = _user(request)
    if staff_role(user) is None:
        raise NotPermitted("the work queue is for staff")
    now = timezone.now()
    cases, next_cursor = queue.page(
        user,
        queue.QueueFilters(
            organisation=query.organisation,
            team_id=query.team,
            handler=query.handler,
            stage=query.stage,
            clock_state=query.clock_state,
        ),
        now=now,
        cursor=queue.Cursor.decode(query.cursor) if query.cursor else None,
        limit=query.limit,
    )
    return {
        "results": [_summary(case, now) for case in cases],
        "next_cursor": next_cursor.encode() if next_cursor else None,
    }


@router.get(
    "/{reference}",
    response={200: CaseOut | PartyCaseOut, **ERRORS},
    summary="A case with its clocks and timeline (a party sees its own view)",
)
def case_detail(request: HttpRequest, reference: str) -> dict[str, Any]:
    user = _user(request)
    return _detail(visible_case(user, reference), user, timezone.now())


@router.post(
    "/{reference}/steps/{action}",
    response={200: CaseOut | PartyCaseOut, **ERRORS},
    summary="Take a step of the case's procedure",
)
def take_step(
    request: HttpRequest,
    reference: str,
    action: str,
    payload: StepIn,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    now = timezone.now()

    def run() -> dict[str, Any]:
        engine.take_step(
            case.pk,
            user,
            action,
            engine.StepRequest(
                reason=payload.reason,
                outcome=payload.outcome,
                data=payload.data,
                letters=StepLetters(fields=payload.letters, later=tuple(payload.letters_later)),
            ),
            now=now,
        )
        return _detail(visible_case(user, reference), user, now)

    return _once(request, user, idempotency_key, payload, run, now)


@router.post(
    "/{reference}/assign",
    response={200: CaseOut | PartyCaseOut, **ERRORS},
    summary="Assign the case",
)
def assign_case(request: HttpRequest, reference: str, payload: AssignIn) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    handler: User | object | None = actions.KEEP
    if "handler" in payload.model_fields_set:
        handler = None
        if payload.handler is not None:
            handler = User.objects.filter(username=payload.handler).first()
            if handler is None or not is_staff_of(handler, case.organisation_id):
                raise InvalidAction("no such handler in this organisation", field="handler")
    team = None
    if payload.team_id is not None:
        team = Team.objects.filter(pk=payload.team_id, organisation_id=case.organisation_id).first()
        if team is None:
            raise InvalidAction("no such team in this organisation", field="team_id")
    now = timezone.now()
    actions.assign(case.pk, user, handler=handler, team=team, now=now)
    return _detail(visible_case(user, reference), user, now)


@router.post(
    "/{reference}/clocks/{key}",
    response={200: CaseOut | PartyCaseOut, **ERRORS},
    summary="Pause, resume or extend a clock",
)
def change_clock(
    request: HttpRequest,
    reference: str,
    key: str,
    payload: ClockChangeIn,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    now = timezone.now()

    def run() -> dict[str, Any]:
        if payload.action == "pause":
            actions.pause_clock(case.pk, user, key, reason=payload.reason, now=now)
        elif payload.action == "resume":
            actions.resume_clock(case.pk, user, key, reason=payload.reason, now=now)
        else:
            if payload.unit is None:
                raise InvalidAction("say the unit of the extension", field="unit")
            actions.extend_clock(
                case.pk,
                user,
                key,
                amount=payload.amount,
                unit=Unit(payload.unit),
                reason=payload.reason,
                now=now,
            )
        return _detail(visible_case(user, reference), user, now)

    return _once(request, user, idempotency_key, payload, run, now)


@router.post(
    "/{reference}/flags",
    response={200: CaseOut | PartyCaseOut, **ERRORS},
    summary="Set the case's flags",
)
def change_flags(request: HttpRequest, reference: str, payload: FlagsIn) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    flags = payload.model_dump(exclude={"reason"}, exclude_none=True)
    now = timezone.now()
    actions.set_flags(case.pk, user, flags, reason=payload.reason, now=now)
    return _detail(visible_case(user, reference), user, now)


@router.post(
    "/{reference}/verbal-summary/confirm",
    response={200: CaseOut | PartyCaseOut, **ERRORS},
    summary="Record the complainant's confirmation of the summary of a verbal complaint",
)
def confirm_verbal_summary(
    request: HttpRequest, reference: str, payload: VerbalSummaryIn
) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    now = timezone.now()
    actions.confirm_verbal_summary(case.pk, user, how=payload.how, now=now)
    return _detail(visible_case(user, reference), user, now)


@router.post(
    "/{reference}/notes",
    response={200: CaseOut | PartyCaseOut, **ERRORS},
    summary="Add an internal note",
)
def add_note(
    request: HttpRequest,
    reference: str,
    payload: NoteIn,
    idempotency_key: IdempotencyKey = None,
) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    now = timezone.now()

    def run() -> dict[str, Any]:
        actions.add_note(case.pk, user, payload.text, now=now)
        return _detail(visible_case(user, reference), user, now)

    return _once(request, user, idempotency_key, payload, run, now)


def _receipt(case: Case) -> dict[str, Any]:
    now = timezone.now()
    clocks = sorted(clocks_of(case), key=lambda c: (c.due_at is None, c.due_at or now, c.key))
    return {
        "reference": case.reference,
        "received_at": case.received_at,
        "stage": case.stage,
        "clocks": [_clock(clock, now) for clock in clocks],
    }


def _summary(case: Case, now: dt.datetime) -> dict[str, Any]:
    procedure = engine.procedure_of(case)
    return {
        "reference": case.reference,
        "organisation": case.organisation.slug,
        "complainant": str(case.complainant),
        "stage": case.stage,
        "stage_label": procedure.stages[case.stage].label,
        "is_open": case.is_open,
        "handler": case.handler.username if case.handler else None,
        "team": case.team.name if case.team else None,
        "received_at": case.received_at,
        "next_deadline_at": case.next_deadline_at,
        "clock_state": badge(case.next_deadline_at, case.next_at_risk_at, now).value,
    }


def _event(event: Event) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at,
        "kind": event.kind,
        "action": event.action,
        "actor": event.actor.username if event.actor else None,
        "actor_role": event.actor_role,
        "from_stage": event.from_stage,
        "to_stage": event.to_stage,
        "reason": event.reason,
        "data": event.data,
    }


def _detail(case: Case, user: User, now: dt.datetime) -> dict[str, Any]:
    if not is_staff_of(user, case.organisation_id) and not user.is_superuser:
        return _party_view(case, user, now)
    procedure = engine.procedure_of(case)
    return {
        **_summary(case, now),
        "procedure": procedure.ref,
        "channel": case.channel,
        "source": case.source,
        "respondent": case.respondent.name,
        "issue_arose_on": case.issue_arose_on,
        "description": case.description,
        "desired_outcome": case.desired_outcome,
        "category": case.category,
        "outcome": case.outcome,
        "flags": {
            "verbal_summary_pending": case.verbal_summary_pending,
            "raised_out_of_time": case.raised_out_of_time,
            "late_complaint_accepted": case.late_complaint_accepted,
            "safeguarding_concern": case.safeguarding_concern,
            "vulnerable": case.vulnerable,
            "no_information_sharing": case.no_information_sharing,
            "consent_on_file": case.consent_given_at is not None
            and case.consent_withdrawn_at is None,
        },
        "opened_to_respondent_at": case.opened_to_respondent_at,
        "clocks": [_clock(clock, now) for clock in clocks_of(case)],
        "rights": rights_of(case, procedure, now),
        "timeline": [_event(event) for event in events_of(case)],
        "allowed_steps": engine.allowed_steps(case, user, now),
    }
