"""The quality log's staff pages under /quality/. Every member of staff reads their own
organisation's log; quality managers and administrators keep it; a handler records the
root cause and lessons learned of the cases assigned to them; an action's owner
reports its progress. Each view looks up (404 outside the organisation), calls one
action, and redirects or shows the form again with the reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accord.accounts.models import User
from accord.cases.errors import ActionRefused, InvalidAction, NotPermitted
from accord.keyset import Cursor
from accord.policy.roles import can_manage_quality, can_record_case_quality
from accord.procedures.registry import UnknownProcedure
from accord.quality import actions, log, reviews
from accord.quality.choices import OUTSTANDING, ActionFilter, ActionStatus, LogFilter
from accord.quality.forms import (
    ActionFilterForm,
    ActionForm,
    CaseQualityForm,
    LogFilterForm,
    ProgressForm,
    RevisionForm,
)
from accord.quality.lookup import quality_action, quality_case, quality_organisation
from accord.quality.models import CaseQuality, CorrectiveAction
from accord.web.forms import add_refusal
from accord.web.resubmission import once_per_submission
from accord.web.staff.access import staff_required

PAGE_SIZE = 50
OVERDUE_SHOWN = 10


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _today() -> dt.date:
    return timezone.localdate()


def _attempt(form: forms.Form, write: Callable[[], Any]) -> bool:
    """Make the change; a refusal shows on the field it concerns (or above the form),
    except that a user who may not do this at all is refused the page."""
    try:
        write()
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except ActionRefused as refusal:
        add_refusal(form, refusal, {"cases": "cases", "verified_by": ""})
        return False
    return True


@staff_required
@require_http_methods(["GET", "HEAD"])
def quality_log(request: HttpRequest) -> HttpResponse:
    organisation = quality_organisation(_user(request))
    today = _today()
    filters = LogFilterForm(request.GET or None)
    show = (
        LogFilter(filters.cleaned_data["show"] or LogFilter.ALL)
        if filters.is_valid()
        else LogFilter.ALL
    )
    try:
        after = request.GET.get("after")
        cursor = Cursor.decode(after, field="after") if after else None
    except InvalidAction:
        cursor = None  # a mangled link: the first page
    entries, next_cursor = log.log_page(
        organisation.pk, show, today, cursor=cursor, limit=PAGE_SIZE
    )
    overdue = [
        log.action_context(action, today)
        for action in log.actions_of(organisation.pk, ActionFilter.OVERDUE, today)[:OVERDUE_SHOWN]
    ]
    return render(
        request,
        "quality/log.html",
        {
            "organisation": organisation,
            "counts": log.log_counts(organisation.pk, today),
            "filters": filters,
            "show": show,
            "entries": entries,
            "first_page": cursor is None,
            "next_cursor": next_cursor.encode() if next_cursor else None,
            "overdue_actions": overdue,
            "can_manage": can_manage_quality(request.user, organisation.pk),
        },
    )


@staff_required
@require_http_methods(["GET", "HEAD"])
def action_list(request: HttpRequest) -> HttpResponse:
    organisation = quality_organisation(_user(request))
    today = _today()
    filters = ActionFilterForm(request.GET or None)
    show = (
        ActionFilter(filters.cleaned_data["show"] or ActionFilter.OUTSTANDING)
        if filters.is_valid()
        else ActionFilter.OUTSTANDING
    )
    page = Paginator(log.actions_of(organisation.pk, show, today), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "quality/actions.html",
        {
            "organisation": organisation,
            "filters": filters,
            "show": show,
            "page": page,
            "today": today,
            "counts": log.log_counts(organisation.pk, today),
            "can_manage": can_manage_quality(request.user, organisation.pk),
        },
    )


def _details(form: ActionForm) -> actions.ActionDetails:
    data = form.cleaned_data
    return actions.ActionDetails(
        what=data["what"],
        owner=data["owner"],
        due_on=data["due_on"],
        case_references=form.references(),
        root_cause_id=data["root_cause"].pk if data["root_cause"] else None,
        status=ActionStatus(data["status"]),
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
@once_per_submission
def action_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    organisation = quality_organisation(user)
    if not can_manage_quality(user, organisation.pk):
        raise PermissionDenied("Only a quality manager or an administrator opens actions.")
    initial = {"cases": request.GET.get("case", "")[:30]}
    form = ActionForm(
        request.POST or None, initial=initial, organisation=organisation, current=None
    )
    created: list[CorrectiveAction] = []
    if (
        request.method == "POST"
        and form.is_valid()
        and _attempt(
            form,
            lambda: created.append(
                actions.create_action(organisation, user, _details(form), now=timezone.now())
            ),
        )
    ):
        messages.success(request, f"Corrective action #{created[0].pk} opened.")
        return redirect("quality-action", created[0].pk)
    return render(
        request,
        "quality/action_form.html",
        {"organisation": organisation, "form": form, "action": None},
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def action_detail(request: HttpRequest, action_id: int) -> HttpResponse:
    """The action; its edit form for the quality keepers."""
    user = _user(request)
    action = quality_action(user, action_id)
    organisation = action.organisation
    can_manage = can_manage_quality(user, organisation.pk)
    editable = can_manage and action.status != ActionStatus.VERIFIED
    form = None
    if editable:
        initial = {
            "what": action.what,
            "owner": action.owner,
            "due_on": action.due_on,
            "status": action.status,
            "root_cause": action.root_cause,
            "cases": "\n".join(sorted(action.cases.values_list("reference", flat=True))),
        }
        form = ActionForm(
            request.POST or None,
            initial=initial,
            organisation=organisation,
            current=action.root_cause_id,
        )
        if (
            request.method == "POST"
            and form.is_valid()
            and _attempt(
                form,
                lambda: actions.update_action(action.pk, user, _details(form), now=timezone.now()),
            )
        ):
            messages.success(request, f"Corrective action #{action.pk} saved.")
            return redirect("quality-action", action.pk)
    elif request.method == "POST":
        raise PermissionDenied("Only a quality manager or an administrator changes an action.")
    is_owner = action.owner_id == user.pk
    return render(
        request,
        "quality/action_form.html",
        {
            "organisation": organisation,
            "form": form,
            "action": action,
            "shown": log.action_context(action, _today()),
            "progress_form": ProgressForm(initial={"status": action.status})
            if is_owner and action.status in (*OUTSTANDING, ActionStatus.COMPLETED)
            else None,
            "can_verify": can_manage and not is_owner and action.status == ActionStatus.COMPLETED,
        },
    )


@staff_required
@require_POST
def action_progress(request: HttpRequest, action_id: int) -> HttpResponse:
    user = _user(request)
    action = quality_action(user, action_id)
    form = ProgressForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose in progress or completed.")
    else:
        try:
            actions.report_progress(
                action.pk, user, ActionStatus(form.cleaned_data["status"]), now=timezone.now()
            )
            messages.success(request, "Progress recorded.")
        except NotPermitted as refusal:
            raise PermissionDenied(refusal.message) from None
        except ActionRefused as refusal:
            messages.error(request, refusal.message)
    return redirect("quality-action", action.pk)


@staff_required
@require_POST
def action_verify(request: HttpRequest, action_id: int) -> HttpResponse:
    user = _user(request)
    action = quality_action(user, action_id)
    try:
        actions.verify_action(action.pk, user, now=timezone.now())
        messages.success(request, f"Corrective action #{action.pk} verified.")
    except NotPermitted as refusal:
        raise PermissionDenied(refusal.message) from None
    except ActionRefused as refusal:
        messages.error(request, refusal.message)
    return redirect("quality-action", action.pk)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_quality(request: HttpRequest, reference: str) -> HttpResponse:
    user = _user(request)
    case = quality_case(user, reference)
    record = CaseQuality.objects.filter(case=case).select_related("root_cause").first()
    can_edit = can_record_case_quality(user, case)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("Only a quality manager or the case's handler records this.")
    form = CaseQualityForm(
        request.POST or None,
        initial={
            "root_cause": record.root_cause if record else None,
            "lessons_learned": record.lessons_learned if record else "",
        },
        organisation=case.organisation,
        current=record.root_cause_id if record else None,
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _attempt(
            form,
            lambda: actions.record_case_quality(
                case.pk,
                user,
                root_cause_id=form.cleaned_data["root_cause"].pk
                if form.cleaned_data["root_cause"]
                else None,
                lessons_learned=form.cleaned_data["lessons_learned"],
                now=timezone.now(),
            ),
        )
    ):
        messages.success(request, f"The quality record of {case.reference} is saved.")
        return redirect("quality-case", case.reference)
    today = _today()
    linked = log.actions_of(case.organisation_id, ActionFilter.ALL, today).filter(cases=case)
    return render(
        request,
        "quality/case_quality.html",
        {
            "organisation": case.organisation,
            "case": case,
            "record": record,
            "form": form if can_edit else None,
            "linked_actions": [log.action_context(a, today) for a in linked],
            "can_manage": can_manage_quality(user, case.organisation_id),
        },
    )


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
@once_per_submission
def procedures(request: HttpRequest) -> HttpResponse:
    """The organisation's procedure: its revision table and review status; quality
    keepers record a review here."""
    user = _user(request)
    organisation = quality_organisation(user)
    can_manage = can_manage_quality(user, organisation.pk)
    if request.method == "POST" and not can_manage:
        raise PermissionDenied("Only a quality manager or an administrator records a review.")
    form = RevisionForm(request.POST or None) if can_manage else None
    if (
        form is not None
        and request.method == "POST"
        and form.is_valid()
        and _attempt(
            form,
            lambda: reviews.record_revision(
                organisation,
                user,
                reviews.RevisionDetails(**form.cleaned_data),
                now=timezone.now(),
            ),
        )
    ):
        messages.success(request, "The review is recorded in the revision table.")
        return redirect("quality-procedures")
    try:
        status: reviews.ReviewStatus | None = reviews.review_status(organisation, _today())
    except UnknownProcedure:
        status = None
    return render(
        request,
        "quality/procedures.html",
        {
            "organisation": organisation,
            "review": status,
            "revisions": reviews.revisions_of(organisation, status.procedure.key) if status else [],
            "form": form,
            "public_url": reverse("published-procedure", args=[organisation.slug]),
        },
    )
