"""JSON endpoints of the quality log, under /api/quality/. Staff of an organisation read
its log; quality managers and administrators keep it (a handler records the root cause
and lessons learned of their own cases; an action's owner reports its progress). Each
endpoint looks up within the user's organisation (404 otherwise), calls one action and
returns."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.paginator import Paginator
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field, StringConstraints

from accord.accounts.models import User
from accord.api_support import ERRORS
from accord.api_support import request_user as _user
from accord.auth import staff_or_party_auth
from accord.cases.errors import InvalidAction
from accord.cases.models import Case
from accord.cases.schemas import StrictIn
from accord.keyset import Cursor
from accord.organisations.models import Organisation
from accord.quality import actions, log, reviews
from accord.quality.choices import ActionFilter, ActionStatus, LogFilter
from accord.quality.lookup import quality_action, quality_case, quality_organisation
from accord.quality.models import CaseQuality, RootCause

router = Router(tags=["quality"], auth=staff_or_party_auth)

Reference = Annotated[str, StringConstraints(min_length=1, max_length=30)]
Lessons = Annotated[str, StringConstraints(max_length=20_000)]


def _today() -> dt.date:
    return timezone.localdate()


# Schemas


class PageQuery(Schema):
    page: int = Field(default=1, ge=1, le=1_000_000)
    page_size: int = Field(default=50, ge=1, le=200)


class LogQuery(Schema):
    show: LogFilter = LogFilter.ALL
    after: str | None = Field(default=None, max_length=500)
    page_size: int = Field(default=50, ge=1, le=200)


class ActionQuery(PageQuery):
    show: ActionFilter = ActionFilter.OUTSTANDING


class RootCauseOut(Schema):
    id: int
    name: str
    description: str
    is_active: bool


class CountsOut(Schema):
    complaints: int
    open: int
    with_root_cause: int
    outstanding: int
    overdue: int
    awaiting_verification: int
    verified: int


class LogEntryOut(Schema):
    reference: str
    received_at: dt.datetime
    stage: str
    is_open: bool
    outcome: str
    handler: str | None
    root_cause: str | None
    lessons_learned: bool
    corrective_actions: int
    overdue_action: bool


class LogPageOut(Schema):
    counts: CountsOut
    results: list[LogEntryOut]
    next_cursor: str | None  # pass as `after` for the next page; None on the last


class ActionOut(Schema):
    id: int
    what: str
    owner: str
    owner_name: str
    due_on: dt.date
    status: ActionStatus
    status_label: str
    overdue: bool
    root_cause: str | None
    cases: list[str]
    completed_at: dt.datetime | None
    verified_by: str | None
    verified_at: dt.datetime | None
    created_at: dt.datetime


class ActionPageOut(Schema):
    page: int
    pages: int
    total: int
    results: list[ActionOut]


class CaseQualityOut(Schema):
    reference: str
    received_at: dt.datetime
    is_open: bool
    root_cause: RootCauseOut | None
    lessons_learned: str
    updated_at: dt.datetime | None
    corrective_actions: list[ActionOut]


class CaseQualityIn(StrictIn):
    root_cause_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    lessons_learned: Lessons = ""


class ActionIn(StrictIn):
    what: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    owner: Annotated[str, StringConstraints(min_length=1, max_length=150)] = Field(
        description="The owner's username: a member of the organisation's staff"
    )
    due_on: dt.date
    cases: list[Reference] = Field(default_factory=list, max_length=actions.MAX_CASES_PER_ACTION)
    root_cause_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    status: ActionStatus = ActionStatus.OPEN

    def details(self, organisation: Organisation) -> actions.ActionDetails:
        owner = User.objects.filter(
            username=self.owner, organisation=organisation, is_active=True
        ).first()
        if owner is None:
            raise InvalidAction(
                "the owner must be a member of this organisation's staff", field="owner"
            )
        return actions.ActionDetails(
            what=self.what,
            owner=owner,
            due_on=self.due_on,
            case_references=tuple(self.cases),
            root_cause_id=self.root_cause_id,
            status=self.status,
        )


class ProgressIn(StrictIn):
    status: ActionStatus


class RevisionOut(Schema):
    version: str
    author: str
    review_date: dt.date
    approved_by: str
    summary: str


class ProcedureReviewOut(Schema):
    procedure_key: str
    procedure_name: str
    procedure_version: int
    review_every_months: int
    last_reviewed_on: dt.date | None
    review_due_on: dt.date
    review_overdue: bool
    review_due_soon: bool
    revisions: list[RevisionOut]


class RevisionIn(StrictIn):
    version: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    author: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    review_date: dt.date
    approved_by: Annotated[str, StringConstraints(max_length=200)] = ""
    summary: Annotated[str, StringConstraints(min_length=1, max_length=5000)]


# Shapes


def _root_cause(cause: RootCause | None) -> dict[str, Any] | None:
    if cause is None:
        return None
    return {
        "id": cause.pk,
        "name": cause.name,
        "description": cause.description,
        "is_active": cause.is_active,
    }


def _entry(case: Case) -> dict[str, Any]:
    record: CaseQuality | None = getattr(case, "quality", None)
    return {
        "reference": case.reference,
        "received_at": case.received_at,
        "stage": case.stage,
        "is_open": case.is_open,
        "outcome": case.outcome,
        "handler": case.handler.username if case.handler else None,
        "root_cause": record.root_cause.name if record and record.root_cause else None,
        "lessons_learned": bool(record and record.lessons_learned),
        "corrective_actions": case.action_count,  # type: ignore[attr-defined]
        "overdue_action": case.has_overdue_action,  # type: ignore[attr-defined]
    }


def _case_record(case: Case) -> dict[str, Any]:
    record = CaseQuality.objects.filter(case=case).select_related("root_cause").first()
    today = _today()
    linked = log.actions_of(case.organisation_id, ActionFilter.ALL, today).filter(cases=case)
    return {
        "reference": case.reference,
        "received_at": case.received_at,
        "is_open": case.is_open,
        "root_cause": _root_cause(record.root_cause) if record else None,
        "lessons_learned": record.lessons_learned if record else "",
        "updated_at": record.updated_at if record else None,
        "corrective_actions": [log.action_context(a, today) for a in linked],
    }


def _review(organisation: Organisation) -> dict[str, Any]:
    status = reviews.review_status(organisation, _today())
    procedure = status.procedure
    return {
        "procedure_key": procedure.key,
        "procedure_name": procedure.name,
        "procedure_version": procedure.version,
        "review_every_months": procedure.review_every_months,
        "last_reviewed_on": status.last_reviewed_on,
        "review_due_on": status.due_on,
        "review_overdue": status.overdue,
        "review_due_soon": status.due_soon,
        "revisions": [
            {
                "version": r.version,
                "author": r.author,
                "review_date": r.review_date,
                "approved_by": r.approved_by,
                "summary": r.summary,
            }
            for r in reviews.revisions_of(organisation, procedure.key)
        ],
    }


# Endpoints


@router.get("/log", response={200: LogPageOut, **ERRORS}, summary="The quality action log")
def quality_log(request: HttpRequest, query: Query[LogQuery]) -> dict[str, Any]:
    organisation = quality_organisation(_user(request))
    today = _today()
    cursor = Cursor.decode(query.after, field="after") if query.after else None
    entries, next_cursor = log.log_page(
        organisation.pk, query.show, today, cursor=cursor, limit=query.page_size
    )
    return {
        "counts": log.log_counts(organisation.pk, today),
        "results": [_entry(case) for case in entries],
        "next_cursor": next_cursor.encode() if next_cursor else None,
    }


@router.get(
    "/root-causes",
    response={200: list[RootCauseOut], **ERRORS},
    summary="The organisation's root-cause categories",
)
def root_causes(request: HttpRequest) -> list[dict[str, Any]]:
    organisation = quality_organisation(_user(request))
    return [c for c in map(_root_cause, RootCause.objects.filter(organisation=organisation)) if c]


@router.get(
    "/cases/{reference}",
    response={200: CaseQualityOut, **ERRORS},
    summary="A case's quality record and its corrective actions",
)
def case_quality(request: HttpRequest, reference: str) -> dict[str, Any]:
    return _case_record(quality_case(_user(request), reference))


@router.put(
    "/cases/{reference}",
    response={200: CaseQualityOut, **ERRORS},
    summary="Record a case's root cause and lessons learned",
)
def record_case_quality(
    request: HttpRequest, reference: str, payload: CaseQualityIn
) -> dict[str, Any]:
    user = _user(request)
    case = quality_case(user, reference)
    actions.record_case_quality(
        case.pk,
        user,
        root_cause_id=payload.root_cause_id,
        lessons_learned=payload.lessons_learned,
        now=timezone.now(),
    )
    return _case_record(case)


@router.get("/actions", response={200: ActionPageOut, **ERRORS}, summary="Corrective actions")
def list_actions(request: HttpRequest, query: Query[ActionQuery]) -> dict[str, Any]:
    organisation = quality_organisation(_user(request))
    today = _today()
    paginator = Paginator(log.actions_of(organisation.pk, query.show, today), query.page_size)
    page = paginator.get_page(query.page)
    return {
        "page": page.number,
        "pages": paginator.num_pages,
        "total": paginator.count,
        "results": [log.action_context(action, today) for action in page],
    }


@router.post("/actions", response={201: ActionOut, **ERRORS}, summary="Open a corrective action")
def create_action(request: HttpRequest, payload: ActionIn) -> Status[dict[str, Any]]:
    user = _user(request)
    organisation = quality_organisation(user)
    action = actions.create_action(
        organisation, user, payload.details(organisation), now=timezone.now()
    )
    return Status(201, log.action_context(quality_action(user, action.pk), _today()))


@router.get(
    "/actions/{action_id}", response={200: ActionOut, **ERRORS}, summary="A corrective action"
)
def action_detail(request: HttpRequest, action_id: int) -> dict[str, Any]:
    return log.action_context(quality_action(_user(request), action_id), _today())


@router.put(
    "/actions/{action_id}",
    response={200: ActionOut, **ERRORS},
    summary="Change a corrective action",
)
def update_action(request: HttpRequest, action_id: int, payload: ActionIn) -> dict[str, Any]:
    user = _user(request)
    action = quality_action(user, action_id)
    actions.update_action(action.pk, user, payload.details(action.organisation), now=timezone.now())
    return log.action_context(quality_action(user, action_id), _today())


@router.post(
    "/actions/{action_id}/progress",
    response={200: ActionOut, **ERRORS},
    summary="The owner marks their action in progress or completed",
)
def report_progress(request: HttpRequest, action_id: int, payload: ProgressIn) -> dict[str, Any]:
    user = _user(request)
    action = quality_action(user, action_id)
    actions.report_progress(action.pk, user, payload.status, now=timezone.now())
    return log.action_context(quality_action(user, action_id), _today())


@router.post(
    "/actions/{action_id}/verify",
    response={200: ActionOut, **ERRORS},
    summary="Verify a completed action (not by its owner)",
)
def verify_action(request: HttpRequest, action_id: int) -> dict[str, Any]:
    user = _user(request)
    action = quality_action(user, action_id)
    actions.verify_action(action.pk, user, now=timezone.now())
    return log.action_context(quality_action(user, action_id), _today())


@router.get(
    "/procedure",
    response={200: ProcedureReviewOut, **ERRORS},
    summary="The organisation's procedure: its revision table and review status",
)
def procedure_review(request: HttpRequest) -> dict[str, Any]:
    return _review(quality_organisation(_user(request)))


@router.post(
    "/procedure/revisions",
    response={201: ProcedureReviewOut, **ERRORS},
    summary="Record a review or a new version in the revision table",
)
def record_revision(request: HttpRequest, payload: RevisionIn) -> Status[dict[str, Any]]:
    user = _user(request)
    organisation = quality_organisation(user)
    reviews.record_revision(
        organisation,
        user,
        reviews.RevisionDetails(
            version=payload.version,
            author=payload.author,
            review_date=payload.review_date,
            approved_by=payload.approved_by,
            summary=payload.summary,
        ),
        now=timezone.now(),
    )
    return Status(201, _review(organisation))
