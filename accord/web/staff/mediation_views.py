"""What a handler posts from the mediation part of the case page: records requests
(and their arrival), proposals, the agreement with its obligations, and documents
into a party's thread. Each view parses its form and calls the domain function the
JSON API calls (`accord.mediation.api`, `agreements_api`, `documents_api`); a refusal
is shown on the form that was sent. A GET (a retried POST sent back by
`once_per_submission`) returns to the case page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accord.cases.errors import ActionRefused
from accord.mediation import agreements, consent, documents, opening, proposals
from accord.mediation.choices import Party, ProposalStatus
from accord.mediation.models import Proposal
from accord.web.resubmission import once_per_submission
from accord.web.staff.access import staff_required
from accord.web.staff.forms import (
    AgreementForm,
    ButtonForm,
    DeclineSubmissionForm,
    ProposalForm,
    PutSubmissionForm,
    RecordsRequestForm,
    StaffUploadForm,
)
from accord.web.staff.mediation import proposal_label, upload_limit
from accord.web.staff.responses import (
    case_page_with,
    done,
    invalid,
    refused,
    staff_case,
    staff_user,
    to_case,
)

View = Callable[..., HttpResponse]


def _action(view: View) -> View:
    """Staff only, once per submission; GET goes back to the case page."""
    return require_http_methods(["GET", "POST"])(staff_required(once_per_submission(view)))


@_action
def request_records(request: HttpRequest, reference: str) -> HttpResponse:
    case = staff_case(request, reference)
    if request.method != "POST":
        return to_case(reference, "records")
    form = RecordsRequestForm(request.POST)
    if not form.is_valid():
        return invalid(request, reference, "records", form)
    try:
        consent.request_records(
            case.pk,
            staff_user(request),
            what=form.cleaned_data["what"],
            due_on=form.cleaned_data["due_on"],
            now=timezone.now(),
        )
    except ActionRefused as exc:
        return refused(request, reference, "records", form, exc)
    return done(reference, "Records requested from the respondent.", request, "records")


@_action
def records_arrived(request: HttpRequest, reference: str, request_id: int) -> HttpResponse:
    case = staff_case(request, reference)
    if request.method != "POST":
        return to_case(reference, "records")
    name = f"fulfil-{request_id}"
    form = ButtonForm(name, request.POST)
    form.is_valid()
    try:
        consent.fulfil_records_request(case.pk, staff_user(request), request_id, now=timezone.now())
    except ActionRefused as exc:
        return refused(request, reference, name, form, exc)
    return done(reference, "Recorded: the records arrived.", request, "records")


@_action
def put_proposal(request: HttpRequest, reference: str) -> HttpResponse:
    case = staff_case(request, reference)
    if request.method != "POST":
        return to_case(reference, "proposals")
    form = ProposalForm(request.POST)
    if not form.is_valid():
        return invalid(request, reference, "proposal", form)
    try:
        proposals.put_proposal(
            case.pk,
            staff_user(request),
            source=form.cleaned_data["source"],
            terms=form.terms(),
            now=timezone.now(),
        )
    except ActionRefused as exc:
        return refused(request, reference, "proposal", form, exc)
    return done(reference, "Proposal put to both parties.", request, "proposals")


@_action
def open_to_respondent(request: HttpRequest, reference: str) -> HttpResponse:
    case = staff_case(request, reference)
    if request.method != "POST":
        return to_case(reference, "mediation")
    form = ButtonForm("open-to-respondent", request.POST)
    form.is_valid()
    try:
        opening.open_to_respondent(case.pk, staff_user(request), now=timezone.now())
    except ActionRefused as exc:
        return refused(request, reference, "open-to-respondent", form, exc)
    return done(
        reference, "The case is now open to the business complained about.", request, "mediation"
    )


@_action
def put_submission(request: HttpRequest, reference: str, submission_id: int) -> HttpResponse:
    case = staff_case(request, reference)
    if request.method != "POST":
        return to_case(reference, "proposals")
    name = f"put-{submission_id}"
    form = PutSubmissionForm(submission_id, request.POST)
    if not form.is_valid():
        return invalid(request, reference, name, form)
    try:
        proposals.put_submission(
            case.pk, staff_user(request), submission_id, terms=form.terms(), now=timezone.now()
        )
    except ActionRefused as exc:
        return refused(request, reference, name, form, exc)
    return done(reference, "The party's proposal was put to both parties.", request, "proposals")


@_action
def decline_submission(request: HttpRequest, reference: str, submission_id: int) -> HttpResponse:
    case = staff_case(request, reference)
    if request.method != "POST":
        return to_case(reference, "proposals")
    name = f"decline-{submission_id}"
    form = DeclineSubmissionForm(submission_id, request.POST)
    if not form.is_valid():
        return invalid(request, reference, name, form)
    try:
        proposals.decline_submission(
            case.pk,
            staff_user(request),
            submission_id,
            reason=form.cleaned_data["reason"],
            now=timezone.now(),
        )
    except ActionRefused as exc:
        return refused(request, reference, name, form, exc)
    return done(reference, "Declined: the party is told why.", request, "proposals")


@_action
def draw_up_agreement(request: HttpRequest, reference: str) -> HttpResponse:
    case = staff_case(request, reference)
    if request.method != "POST":
        return to_case(reference, "agreement")
    accepted = Proposal.objects.filter(case=case, status=ProposalStatus.ACCEPTED).order_by("-pk")
    form = AgreementForm([(p.pk, proposal_label(p)) for p in accepted], request.POST)
    if not form.is_valid():
        return invalid(request, reference, "agreement", form)
    try:
        agreements.draw_up(
            case.pk,
            staff_user(request),
            proposal_id=form.cleaned_data["proposal"],
            terms=form.terms(),
            now=timezone.now(),
        )
    except ActionRefused as exc:
        return refused(request, reference, "agreement", form, exc, form.refusal_fields())
    return done(
        reference, "Agreement drawn up: both parties are asked to confirm it.", request, "agreement"
    )


def _refusing_oversized(view: View) -> View:
    """An upload refused while arriving (`documents.UploadLimitHandler`) is shown on
    the form (413), before anything else reads the request body."""

    @wraps(view)
    def wrapper(request: HttpRequest, reference: str, party: str) -> HttpResponse:
        try:
            request.POST  # noqa: B018  (parsing the body is what refuses it)
        except RequestDataTooBig as too_big:
            case = staff_case(request, reference)
            if party not in Party.values:
                raise Http404("no such thread") from None
            form = StaffUploadForm(party, {}, {}, limit=upload_limit())
            form.is_valid()
            form.errors.clear()
            message = str(too_big)
            form.add_error("file", message[:1].upper() + message[1:])
            form._describe_fields()
            return case_page_with(request, case, {f"upload-{party}": form}, status=413)
        return view(request, reference, party)

    return wrapper


@require_http_methods(["GET", "POST"])
@staff_required
@_refusing_oversized
@once_per_submission
def upload_document(request: HttpRequest, reference: str, party: str) -> HttpResponse:
    case = staff_case(request, reference)
    if party not in Party.values:
        raise Http404("no such thread")
    if request.method != "POST":
        return to_case(reference, f"thread-{party}")
    name = f"upload-{party}"
    form = StaffUploadForm(party, request.POST, request.FILES, limit=upload_limit())
    if not form.is_valid():
        return invalid(request, reference, name, form)
    try:
        stored = documents.upload(
            case.pk,
            staff_user(request),
            Party(party),
            form.cleaned_data["file"],
            now=timezone.now(),
        )
    except ActionRefused as exc:
        return refused(request, reference, name, form, exc)
    return done(
        reference, f"“{stored.name}” added to the {party}'s thread.", request, f"thread-{party}"
    )
