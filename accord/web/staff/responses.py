"""What every view on the staff case page shares: finding the case (this organisation's
only), showing the page again with a form's errors, and going back to the case with a
note of what was done."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accord.accounts.models import User
from accord.cases import engine
from accord.cases.errors import ActionRefused
from accord.cases.lookup import visible_case
from accord.cases.models import Case
from accord.policy.roles import is_staff_of
from accord.web.forms import add_refusal
from accord.web.staff.casepage import CasePage

_USERS_ORGANISATION = User._meta.get_field("organisation")


def staff_user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_required has let them in
    return request.user


def staff_case(request: HttpRequest, reference: str) -> Case:
    """The case, if it is this staff member's organisation's; else 404."""
    user = staff_user(request)
    case = visible_case(user, reference)
    if not is_staff_of(user, case.organisation_id):
        raise Http404("no such case")
    if user.organisation_id == case.organisation_id:
        # The page's header names the user's organisation: the one read with the case.
        _USERS_ORGANISATION.set_cached_value(user, case.organisation)
    return case


def case_page_with(
    request: HttpRequest,
    case: Case,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The case page, with the forms that were sent (and their errors) in place."""
    page = CasePage(
        case,
        engine.procedure_of(case),
        staff_user(request),
        timezone.now(),
        bound or {},
        whole_history=request.GET.get("history") == "all",
    )
    context = page.context()
    context["organisation"] = case.organisation
    return render(request, "web/staff/case.html", context, status=status)


def refused(
    request: HttpRequest,
    reference: str,
    name: str,
    form: forms.Form,
    exc: ActionRefused,
    fields: dict[str, str] | None = None,
) -> HttpResponse:
    """The domain refused: its reason on the form that was sent, with its status."""
    add_refusal(form, exc, fields)
    return case_page_with(request, staff_case(request, reference), {name: form}, exc.status)


def invalid(request: HttpRequest, reference: str, name: str, form: forms.Form) -> HttpResponse:
    return case_page_with(request, staff_case(request, reference), {name: form}, status=400)


def to_case(reference: str, anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(
        reverse("staff-case", kwargs={"reference": reference}) + f"#{anchor}", status=303
    )


def done(reference: str, message_text: str, request: HttpRequest, anchor: str) -> HttpResponse:
    messages.success(request, message_text)
    return to_case(reference, anchor)
