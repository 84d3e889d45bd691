"""A party's case page and the things they do on it. The complainant and the business
share one page: each sees its own side — where the case stands, what happens next and
by when, its own clocks and (for the complainant) rights, its own thread — and is
offered exactly the actions the case allows it now. Every action calls the same domain
function the JSON API calls; a refusal is shown on the form, never as an error page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accord import rows
from accord.api_support import client_ip
from accord.cases import actions, engine
from accord.cases.errors import ActionRefused
from accord.cases.models import Case
from accord.cases.presentation import next_steps, party_view, where_it_stands
from accord.letters.sending import pdf_path
from accord.mediation import agreements, consent, documents, feedback, obligations, proposals
from accord.mediation.choices import (
    AgreementStatus,
    Answer,
    ObligationStatus,
    Party,
    ProposalKind,
    SubmissionStatus,
)
from accord.mediation.models import Consent, RecordsRequest
from accord.mediation.threads import post_message
from accord.mediation.visibility import documents_read_by, messages_read_by
from accord.policy import disclosure
from accord.policy import mediation as policy
from accord.policy.roles import standing
from accord.procedures.wording import party_wording
from accord.reads import Read
from accord.web.forms import add_refusal
from accord.web.parties.access import party_case, party_required, party_user
from accord.web.parties.forms import (
    AgreementConfirmForm,
    AnswerForm,
    ConsentForm,
    FeedbackForm,
    MessageForm,
    OwnProposalForm,
    StepForm,
    UploadForm,
    WithdrawConsentForm,
)
from accord.web.resubmission import once_per_submission


def _upload_limit() -> str:
    size = documents.max_upload_bytes()
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size} bytes"


# What a party is told of a proposal, by the case policy's status for that side.
PROPOSAL_STATUS = {
    "open": "Waiting for your answer",
    "answered": "You have answered it: the mediator will be in touch",
    "accepted": "Both sides accepted it: the mediator draws up the agreement from it",
    "closed": "No longer open",
}
COUNTERED = "You proposed something else instead: your proposal has gone to the mediator"


# The complainant's consent on file, read on every view of their page.
_SIGNED_CONSENT = Read(
    lambda case_id: Consent.objects.filter(case_id=case_id, withdrawn_at__isnull=True).order_by(
        "-signed_at"
    )[:1]
)


def _page(
    request: HttpRequest,
    case: Case,
    party: Party,
    bound: dict[str, forms.Form] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    user = party_user(request)
    now = timezone.now()
    bound = bound or {}
    procedure = engine.procedure_of(case)
    shown = party_view(case, user, now)
    today = proposals.local_today(case, now)
    st = standing(user, case)

    def form(key: str, kind: type[forms.Form], **kwargs: Any) -> forms.Form:
        """The form in error, if it is this one; else a fresh one (prefixed by its key)."""
        return bound.get(key) or kind(prefix=key, **kwargs)

    proposal_rows: list[dict[str, Any]] = []
    for proposal in proposals.proposals_of(user, case):
        mine = next((a for a in proposal.answers.all() if a.party == party), None)
        answerable = policy.answer_refusal(st, proposal, party, today) is None
        seen_as = policy.proposal_status_for(st, proposal)
        proposal_rows.append(
            {
                "proposal": proposal,
                "mine": mine,
                "status": COUNTERED
                if mine is not None and mine.answer == Answer.COUNTER
                else PROPOSAL_STATUS[seen_as],
                "form": form(f"answer-{proposal.pk}", AnswerForm) if answerable else None,
            }
        )
    own_proposals = [
        {
            "submission": held,
            "kind": ProposalKind(held.kind).label,
            "status": SubmissionStatus(held.status).label,
        }
        for held in proposals.submissions_of(user, case)
    ]
    own_proposal_form = (
        form("own-proposal", OwnProposalForm) if policy.submit_refusal(st, party) is None else None
    )

    agreement_rows: list[dict[str, Any]] = []
    for agreement in agreements.agreements_for(user, case):
        if agreement.superseded_at is not None:
            continue
        confirmed = any(c.party == party for c in agreement.confirmations.all())
        confirm_form = None
        if policy.confirm_agreement_refusal(st, agreement, party) is None:
            confirm_form = form(
                f"agreement-{agreement.pk}",
                AgreementConfirmForm,
                initial={"document_sha256": agreement.document_sha256},
            )
        obligation_rows = []
        for obligation in sorted(agreement.obligations.all(), key=lambda o: (o.due_on, o.pk)):
            mine_done = getattr(obligation, policy.CONFIRMED_AT[party]) is not None
            obligation_rows.append(
                {
                    "obligation": obligation,
                    "status": ObligationStatus(obligation.status).label,
                    "mine_done": mine_done,
                    "may_confirm": policy.confirm_obligation_refusal(st, obligation, party) is None,
                }
            )
        agreement_rows.append(
            {
                "agreement": agreement,
                "status": AgreementStatus(agreement.status).label,
                "confirmed": confirmed,
                "form": confirm_form,
                "obligations": obligation_rows,
            }
        )

    feedback_form = None
    for row in feedback.feedback_for(user, case):
        if row.party == party and row.answered_at is None:
            feedback_form = form("feedback", FeedbackForm)

    consent_form = consent_text = signed = withdraw_form = None
    consent_steps: list[str] = []
    if party == Party.COMPLAINANT:
        signed = next(iter(_SIGNED_CONSENT(case.pk)), None)
        # The form is offered where signing it would record the consent (a step that
        # needs the signed form is one the complainant can take once they sign it).
        consent_steps = consent.consent_steps(case, user, now, once_signed=signed is None)
        if signed is not None and case.is_open:
            withdraw_form = form("withdraw", WithdrawConsentForm)
        if consent_steps and signed is None:
            try:
                consent_text = consent.current_form(case.organisation, today)
            except ActionRefused:
                consent_text = None
            if consent_text is not None:
                version = consent_text.version
                consent_form = form(
                    "consent",
                    ConsentForm,
                    initial={"form_version": version},
                )

    words = party_wording(procedure, party.value)
    steps = []
    for key in shown["allowed_steps"]:
        if key in consent_steps:
            continue  # the complainant records consent by signing the form
        steps.append(_step(procedure, words, key, form(f"step-{key}", StepForm)))

    # A form sent for something no longer on the page (answered from another tab, a
    # step no longer offered, the case closed meanwhile): its errors go at the top.
    offered = {f"step-{step['key']}" for step in steps}
    offered |= {f"answer-{row['proposal'].pk}" for row in proposal_rows if row["form"]}
    offered |= {"own-proposal"} if own_proposal_form is not None else set()
    offered |= {f"agreement-{row['agreement'].pk}" for row in agreement_rows if row["form"]}
    offered |= {"consent"} if consent_form is not None else set()
    offered |= {"withdraw"} if withdraw_form is not None else set()
    offered |= {"feedback"} if feedback_form is not None else set()
    offered |= {"message", "upload"} if case.is_open else set()
    unplaced = [form for name, form in bound.items() if name not in offered]

    explained = {clock["key"]: clock["explanation"] for clock in shown["clocks"]}
    upcoming = [
        {**step, "explanation": explained.get(step["key"], [])} for step in next_steps(case, party)
    ]
    return render(
        request,
        "web/parties/case.html",
        {
            "organisation": case.organisation,
            "now": now,
            "case": case,
            "party": party,
            "is_complainant": party == Party.COMPLAINANT,
            "shown": shown,
            "upcoming": upcoming,
            "stands": where_it_stands(case, party),
            "mediates": words.mediates,
            "letters": disclosure.letters_for(case, party),
            "primary_steps": [step for step in steps if not step["secondary"]],
            "secondary_steps": [step for step in steps if step["secondary"]],
            # Where else they can go: the rights open to them, not the complaint window.
            "rights": [r for r in shown["rights"] if r["applies"] and not r["window"]]
            if party == Party.COMPLAINANT
            else [],
            "thread": messages_read_by(user, case, party),
            "documents": documents_read_by(user, case, party),
            "records_requests": [
                request
                for request in policy.records_requests_shown(
                    st, rows.where(RecordsRequest, "case", case.pk, ["due_on"])
                )
                if policy.records_open_for_upload(request)
            ]
            if party == Party.RESPONDENT
            else [],
            "message_form": form("message", MessageForm),
            "upload_form": form("upload", UploadForm, limit=_upload_limit()),
            "verbal_summary": party == Party.COMPLAINANT
            and case.is_open
            and case.verbal_summary_pending,
            "consent_form": consent_form,
            "consent_text": consent_text,
            "signed": signed,
            "withdraw_form": withdraw_form,
            "proposals": proposal_rows,
            "own_proposals": own_proposals,
            "own_proposal_form": own_proposal_form,
            "agreements": agreement_rows,
            "other_side": disclosure.other_side_named(case, party) if agreement_rows else "",
            "feedback_form": feedback_form,
            "steps": steps,
            "any_errors": any(f.errors for f in bound.values()),
            "unplaced": unplaced,
        },
        status=status,
    )


def _step(procedure: Any, words: Any, key: str, step_form: forms.Form) -> dict[str, Any]:
    """A step the party may take, in its words. One that ends the complaint is
    confirmed first; one that ends it unresolved (a withdrawal) is a secondary action."""
    transition = procedure.transitions[key]
    closes = disclosure.closing_step(procedure, key)
    resolved = any(
        procedure.outcomes[o].resolved for o in transition.outcomes if o in procedure.outcomes
    )
    return {
        "key": key,
        "label": words.action(key),
        "reason_required": transition.reason_required,
        "form": step_form,
        "closes": closes,
        "secondary": closes and not resolved,
    }


@party_required
def case_page(request: HttpRequest, reference: str) -> HttpResponse:
    case, party = party_case(request, reference)
    return _page(request, case, party)


def _back(case: Case, anchor: str) -> HttpResponse:
    return HttpResponseRedirect(
        reverse("party-case", args=[case.reference]) + f"#{anchor}", status=303
    )


def _act(
    request: HttpRequest,
    reference: str,
    key: str,
    make: Callable[[Any, Any], forms.Form],
    act: Callable[[Case, Party, dict[str, Any]], str],
    anchor: str,
) -> HttpResponse:
    """Validate the form, call the domain action, then back to the page with a note;
    or the page again with the form's errors (a refusal included)."""
    case, party = party_case(request, reference)
    if request.method != "POST":
        return _back(case, anchor)
    form = make(request.POST, request.FILES)
    status = 200
    if form.is_valid():
        try:
            done = act(case, party, form.cleaned_data)
        except ActionRefused as exc:
            if not form.fields:  # a button: nowhere on the page to show it but the top
                messages.error(request, exc.message[:1].upper() + exc.message[1:])
                return _back(case, anchor)
            add_refusal(form, exc)
            status = exc.status if exc.status in {409, 413, 422} else 409
        else:
            messages.success(request, done)
            return _back(case, anchor)
    return _page(request, case, party, {key: form}, status=status)


ACTION = [party_required, once_per_submission, require_http_methods(["GET", "POST"])]


def _action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    for decorate in reversed(ACTION):
        view = decorate(view)
    return view


@_action
def send_message(request: HttpRequest, reference: str) -> HttpResponse:
    user = party_user(request)

    def act(case: Case, party: Party, data: dict[str, Any]) -> str:
        post_message(case.pk, user, party, data["body"], now=timezone.now())
        return "Your message has been sent."

    return _act(
        request, reference, "message", lambda d, f: MessageForm(d, prefix="message"), act, "thread"
    )


def _refusing_oversized(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """An upload refused while arriving (UploadLimitHandler) is shown on the form (413),
    before anything else reads the request body."""

    @wraps(view)
    def wrapper(request: HttpRequest, reference: str) -> HttpResponse:
        try:
            request.POST  # noqa: B018  (parsing the body is what refuses it)
        except RequestDataTooBig as too_big:
            case, party = party_case(request, reference)
            form = UploadForm({}, {}, prefix="upload", limit=_upload_limit())
            form.is_valid()
            form.errors.clear()
            message = str(too_big)
            form.add_error("file", message[:1].upper() + message[1:])
            form._describe_fields()
            return _page(request, case, party, {"upload": form}, status=413)
        return view(request, reference)

    return wrapper


@party_required
@_refusing_oversized
@once_per_submission
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, reference: str) -> HttpResponse:
    user = party_user(request)
    files = request.FILES

    def act(case: Case, party: Party, data: dict[str, Any]) -> str:
        stored = documents.upload(case.pk, user, party, data["file"], now=timezone.now())
        return f"Your document “{stored.name}” has been uploaded."

    return _act(
        request,
        reference,
        "upload",
        lambda d, f: UploadForm(d, files, prefix="upload", limit=_upload_limit()),
        act,
        "documents",
    )


@_action
def sign_consent(request: HttpRequest, reference: str) -> HttpResponse:
    user = party_user(request)

    def act(case: Case, party: Party, data: dict[str, Any]) -> str:
        consent.sign_and_record(
            case.pk,
            user,
            form_version=data["form_version"],
            typed_name=data["typed_name"],
            ticked=data["ticked"],
            share=tuple(data["share"]),
            ip_address=client_ip(request),
            now=timezone.now(),
        )
        return "Thank you: your consent has been signed."

    return _act(
        request, reference, "consent", lambda d, f: ConsentForm(d, prefix="consent"), act, "consent"
    )


@_action
def withdraw_consent(request: HttpRequest, reference: str) -> HttpResponse:
    user = party_user(request)

    def act(case: Case, party: Party, data: dict[str, Any]) -> str:
        consent.withdraw(case.pk, user, reason=data["reason"], now=timezone.now())
        return "Your consent has been withdrawn: no more records will be requested."

    return _act(
        request,
        reference,
        "withdraw",
        lambda d, f: WithdrawConsentForm(d, prefix="withdraw"),
        act,
        "consent",
    )


@_action
def confirm_summary(request: HttpRequest, reference: str) -> HttpResponse:
    user = party_user(request)

    def act(case: Case, party: Party, data: dict[str, Any]) -> str:
        actions.confirm_verbal_summary(
            case.pk, user, how="Confirmed on the complainant's case page", now=timezone.now()
        )
        return "Thank you: you have confirmed our summary of your complaint."

    return _act(request, reference, "summary", lambda d, f: forms.Form(d), act, "summary")


@_action
def take_step(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    user = party_user(request)
    case, party = party_case(request, reference)
    procedure = engine.procedure_of(case)
    words = party_wording(procedure, party.value)
    if (
        request.method == "POST"
        and action in procedure.transitions
        and disclosure.closing_step(procedure, action)
        and request.POST.get("confirmed") != "yes"
    ):
        # A step that ends the complaint is confirmed on a page of its own (no script).
        step_form = StepForm(request.POST, prefix=f"step-{action}")
        return render(
            request,
            "web/parties/confirm_step.html",
            {
                "case": case,
                "organisation": case.organisation,
                "step": _step(procedure, words, action, step_form),
                "is_complainant": party == Party.COMPLAINANT,
            },
        )

    def act(case: Case, party: Party, data: dict[str, Any]) -> str:
        request_ = engine.StepRequest(reason=data["reason"])
        engine.take_step(case.pk, user, action, request_, now=timezone.now())
        return words.step(action)

    return _act(
        request,
        reference,
        f"step-{action}",
        lambda d, f: StepForm(d, prefix=f"step-{action}"),
        act,
        "actions",
    )


@_action
def answer_proposal(request: HttpRequest, reference: str, proposal_id: int) -> HttpResponse:
    user = party_user(request)

    def act(case: Case, party: Party, data: dict[str, Any]) -> str:
        counter = None
        if data["answer"] == Answer.COUNTER:
            counter = proposals.ProposalTerms(
                kind=data["kind"],
                description=data["description"],
                answer_by=data["answer_by"],
                amount=data["amount"],
            )
        proposals.answer_proposal(
            case.pk,
            user,
            proposal_id,
            party,
            answer=data["answer"],
            note=data["note"],
            counter=counter,
            now=timezone.now(),
        )
        if counter is not None:
            return "Your answer and your own proposal have gone to the mediator."
        return "Your answer has been recorded."

    key = f"answer-{proposal_id}"
    return _act(request, reference, key, lambda d, f: AnswerForm(d, prefix=key), act, "proposals")


@_action
def confirm_agreement(request: HttpRequest, reference: str, agreement_id: int) -> HttpResponse:
    user = party_user(request)

    def act(case: Case, party: Party, data: dict[str, Any]) -> str:
        agreements.confirm(
            case.pk,
            user,
            agreement_id,
            party,
            document_sha256=data["document_sha256"],
            ip_address=client_ip(request),
            now=timezone.now(),
        )
        return "You have confirmed the agreement."

    key = f"agreement-{agreement_id}"
    return _act(
        request, reference, key, lambda d, f: AgreementConfirmForm(d, prefix=key), act, "agreement"
    )


@_action
def obligation_done(request: HttpRequest, reference: str, obligation_id: int) -> HttpResponse:
    user = party_user(request)

    def act(case: Case, party: Party, data: dict[str, Any]) -> str:
        obligations.confirm_done(case.pk, user, obligation_id, party, now=timezone.now())
        return "You have confirmed that this was done."

    return _act(request, reference, "obligation", lambda d, f: forms.Form(d), act, "agreement")


@_action
def give_feedback(request: HttpRequest, reference: str) -> HttpResponse:
    user = party_user(request)

    def act(case: Case, party: Party, data: dict[str, Any]) -> str:
        feedback.give_feedback(
            case.pk,
            user,
            party,
            rating=data["rating"],
            comment=data["comment"],
            now=timezone.now(),
        )
        return "Thank you for your feedback."

    return _act(
        request,
        reference,
        "feedback",
        lambda d, f: FeedbackForm(d, prefix="feedback"),
        act,
        "feedback",
    )


@_action
def own_proposal(request: HttpRequest, reference: str) -> HttpResponse:
    user = party_user(request)

    def act(case: Case, party: Party, data: dict[str, Any]) -> str:
        proposals.submit_proposal(
            case.pk,
            user,
            party,
            terms=proposals.ProposalTerms(
                kind=data["kind"],
                description=data["description"],
                answer_by=data["answer_by"],
                amount=data["amount"],
            ),
            now=timezone.now(),
        )
        return "Your proposal has gone to the mediator, who will be in touch."

    return _act(
        request,
        reference,
        "own-proposal",
        lambda d, f: OwnProposalForm(d, prefix="own-proposal"),
        act,
        "proposals",
    )


def _letter(request: HttpRequest, reference: str, letter_id: int) -> tuple[Case, Any]:
    case, party = party_case(request, reference)
    letter = next((a for a in disclosure.letters_for(case, party) if a.pk == letter_id), None)
    if letter is None:
        raise Http404("no such letter")
    return case, letter


@party_required
def letter_page(request: HttpRequest, reference: str, letter_id: int) -> HttpResponse:
    """A letter sent to this party, to read on the page."""
    case, letter = _letter(request, reference, letter_id)
    return render(
        request,
        "web/parties/letter.html",
        {"case": case, "organisation": case.organisation, "letter": letter},
    )


@party_required
def letter_pdf(request: HttpRequest, reference: str, letter_id: int) -> HttpResponse:
    """The letter's PDF, as it was sent."""
    case, letter = _letter(request, reference, letter_id)
    path = pdf_path(letter)
    if not letter.pdf_stored_as or not path.exists():
        raise Http404("the letter's PDF is missing")
    response = FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{case.reference}-{letter.name}.pdf",
        content_type="application/pdf",
    )
    return response  # type: ignore[return-value]  # streamed, as the API's PDFs are
