"""The public pages of an organisation: its landing page, the complaint form and the
confirmation shown to whoever sent it. Each view looks up, calls intake, and renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accord.cases import intake
from accord.cases.api import IntakeThrottle
from accord.cases.errors import ActionRefused
from accord.cases.models import Case
from accord.cases.presentation import next_steps
from accord.mediation.choices import Party
from accord.organisations.calendar import calendar_for
from accord.organisations.lookup import organisation_or_404
from accord.organisations.models import Organisation
from accord.web.forms import add_refusal
from accord.web.public import stamps
from accord.web.public.forms import INTAKE_FIELDS, ComplaintForm

# The cases this browser session submitted: only they can see their confirmation.
SUBMITTED = "accord.submitted_cases"


def _today(organisation: Organisation) -> dt.date:
    return calendar_for(organisation).local_date(timezone.now())


def landing(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_or_404(slug)
    questions = intake.questions_for(organisation, _today(organisation))
    return render(
        request,
        "web/public/landing.html",
        {"organisation": organisation, "procedure": questions.procedure},
    )


def _form(
    organisation: Organisation, questions: intake.Questions, data: Any = None
) -> ComplaintForm:
    if data is None:
        return ComplaintForm(organisation, questions, initial={"form_token": stamps.issue()})
    return ComplaintForm(organisation, questions, data=data)


def _renewed(form: ComplaintForm, message: str) -> ComplaintForm:
    """The same answers on a form with a fresh stamp, and `message` above it."""
    data = dict(form.data.items())
    data["form_token"] = stamps.issue()
    renewed = ComplaintForm(form.organisation, form.questions, data=data)
    renewed.is_valid()
    renewed.add_error(None, message)
    renewed._describe_fields()
    return renewed


def complain(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = organisation_or_404(slug)
    questions = intake.questions_for(organisation, _today(organisation))
    if request.method != "POST":
        return _page(request, _form(organisation, questions))
    form = _form(organisation, questions, request.POST)
    if not IntakeThrottle().allow_request(request):
        form.is_valid()
        form.add_error(
            None,
            "Too many complaints have been sent from your connection in the last minute. "
            "Please wait a minute, then send the form again.",
        )
        return _page(request, form, status=429)
    if not form.is_valid():
        return _page(request, form)
    if form.honeypot_filled:
        return _page(
            request,
            _renewed(form, "Your form could not be sent. Please leave the last field empty."),
            status=400,
        )
    try:
        stamp = stamps.check(form.cleaned_data["form_token"])
    except stamps.StampRefused as refused:
        return _page(request, _renewed(form, str(refused)), status=400)
    try:
        # One e-mail reaches the complainant: the receipt, with their link (queued by
        # intake in the same transaction as the case).
        case, _created = intake.receive_complaint(
            organisation,
            form.complaint(),
            now=timezone.now(),
            idempotency_key=f"web-form:{stamp.key}",
        )
    except ActionRefused as exc:
        if exc.field == "Idempotency-Key":
            return _page(
                request,
                _renewed(
                    form,
                    "This form was already sent with different answers. Check your answers "
                    "and send them again as a new complaint.",
                ),
                status=409,
            )
        add_refusal(form, exc, INTAKE_FIELDS)
        return _page(request, form, status=422)
    submitted = [pk for pk in request.session.get(SUBMITTED, []) if pk != case.pk][-19:]
    request.session[SUBMITTED] = [*submitted, case.pk]
    return HttpResponseRedirect(
        reverse("public-received", kwargs={"slug": slug, "reference": case.reference}), status=303
    )


def _page(request: HttpRequest, form: ComplaintForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "web/public/complain.html",
        {"organisation": form.organisation, "form": form, "procedure": form.questions.procedure},
        status=status,
    )


def received(request: HttpRequest, slug: str, reference: str) -> HttpResponse:
    """The confirmation: only for the session that sent the complaint."""
    organisation = organisation_or_404(slug)
    case = (
        Case.objects.select_related("complainant")
        .filter(
            organisation=organisation,
            reference=reference,
            pk__in=request.session.get(SUBMITTED, []),
        )
        .first()
    )
    if case is None:
        raise Http404("no such complaint sent from this browser")
    # What happens next in the complainant's words, as in their receipt and on their
    # page: never the staff's task list (a clock's label).
    upcoming = next_steps(case, Party.COMPLAINANT)
    return render(
        request,
        "web/public/received.html",
        {"organisation": organisation, "case": case, "upcoming": upcoming},
    )
