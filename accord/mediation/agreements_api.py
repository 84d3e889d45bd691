"""Endpoints under /api/cases/<reference>/ for proposals, agreements, obligations and
feedback. Each looks the case up (404 if not visible), calls one action, returns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field, StringConstraints

from accord.api_support import ERRORS
from accord.api_support import client_ip as _ip
from accord.api_support import request_user as _user
from accord.auth import staff_or_party_auth
from accord.cases.lookup import visible_case
from accord.cases.schemas import StrictIn
from accord.mediation import agreements, feedback, obligations, proposals
from accord.mediation.choices import Party
from accord.mediation.models import Agreement, Feedback, Obligation, ProposalSubmission
from accord.policy import mediation as policy
from accord.policy.roles import Standing, standing

router = Router(tags=["agreements"], auth=staff_or_party_auth)

Text = Annotated[str, StringConstraints(max_length=5000)]


# --- What the API accepts and returns ------------------------------------------------


class ProposalTermsIn(StrictIn):
    kind: Annotated[str, StringConstraints(max_length=20)]
    description: Text
    amount: Decimal | None = Field(default=None, description="Refund and goodwill only")
    currency: Annotated[str, StringConstraints(max_length=10)] | None = Field(
        default=None, description="ISO 4217; GBP if omitted (refund and goodwill only)"
    )
    answer_by: dt.date

    def terms(self) -> proposals.ProposalTerms:
        return proposals.ProposalTerms(
            kind=self.kind,
            description=self.description,
            answer_by=self.answer_by,
            amount=self.amount,
            currency=self.currency,
        )


class ProposalIn(ProposalTermsIn):
    source: Annotated[str, StringConstraints(max_length=20)]


class AnswerIn(StrictIn):
    answer: Annotated[str, StringConstraints(max_length=10)]
    note: Text = ""
    counter: ProposalTermsIn | None = None


class AnswerOut(Schema):
    party: str
    answer: str
    answered_at: dt.datetime
    note: str


class ProposalOut(Schema):
    id: int
    source: str
    kind: str
    description: str
    amount: Decimal | None
    currency: str
    answer_by: dt.date
    status: str
    counter_to: int | None
    put_at: dt.datetime
    edited: bool
    answers: list[AnswerOut]


class SubmissionOut(Schema):
    id: int
    party: str
    kind: str
    description: str
    amount: Decimal | None
    currency: str
    answer_by: dt.date
    counter_to: int | None
    submitted_at: dt.datetime
    status: str
    decline_reason: str
    proposal_id: int | None


class PutIn(StrictIn):
    """The mediator's wording of a party's proposal; omitted: put as written."""

    terms: ProposalTermsIn | None = None


class DeclineIn(StrictIn):
    reason: Text


class AnsweredOut(Schema):
    proposal: ProposalOut
    counter: SubmissionOut | None


class ObligationIn(StrictIn):
    party: Annotated[str, StringConstraints(max_length=20)]
    what: Text
    due_on: dt.date


class AgreementIn(StrictIn):
    proposal_id: int = Field(ge=1)
    obligations: list[ObligationIn] = Field(max_length=agreements.MAX_TERMS)


class ObligationOut(Schema):
    id: int
    party: str
    what: str
    due_on: dt.date
    status: str
    complainant_confirmed_at: dt.datetime | None
    respondent_confirmed_at: dt.datetime | None
    reminder_sent_at: dt.datetime | None
    missed_at: dt.datetime | None


class ConfirmationOut(Schema):
    party: str
    confirmed_at: dt.datetime
    document_sha256: str


class AgreementOut(Schema):
    id: int
    proposal_id: int
    status: str
    drawn_up_at: dt.datetime
    binding_from: dt.datetime | None
    superseded_at: dt.datetime | None
    document_sha256: str
    document_html: str
    has_pdf: bool
    obligations: list[ObligationOut]
    confirmations: list[ConfirmationOut]


class ConfirmIn(StrictIn):
    document_sha256: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class FeedbackIn(StrictIn):
    rating: int
    comment: Text = ""


class FeedbackOut(Schema):
    party: str
    invited_at: dt.datetime
    rating: int | None
    comment: str
    answered_at: dt.datetime | None


def submission_out(submission: ProposalSubmission) -> dict[str, Any]:
    put = getattr(submission, "proposal", None) if submission.status == "put" else None
    return {
        "id": submission.pk,
        "party": submission.party,
        "kind": submission.kind,
        "description": submission.description,
        "amount": submission.amount,
        "currency": submission.currency,
        "answer_by": submission.answer_by,
        "counter_to": submission.counter_to_id,
        "submitted_at": submission.submitted_at,
        "status": submission.status,
        "decline_reason": submission.decline_reason,
        "proposal_id": put.pk if put is not None else None,
    }


def obligation_out(st: Standing, obligation: Obligation) -> dict[str, Any]:
    return {
        "id": obligation.pk,
        "party": obligation.party,
        "what": obligation.what,
        "due_on": obligation.due_on,
        "status": obligation.status,
        **policy.obligation_confirmations_shown(st, obligation),
        "reminder_sent_at": obligation.reminder_sent_at,
        "missed_at": obligation.missed_at,
    }


def agreement_out(st: Standing, agreement: Agreement) -> dict[str, Any]:
    return {
        "id": agreement.pk,
        "proposal_id": agreement.proposal_id,
        "status": agreement.status,
        "drawn_up_at": agreement.drawn_up_at,
        "binding_from": agreement.binding_from,
        "superseded_at": agreement.superseded_at,
        "document_sha256": agreement.document_sha256,
        "document_html": agreement.document_html,
        "has_pdf": bool(agreement.pdf_stored_as),
        "obligations": [
            obligation_out(st, o) for o in sorted(agreement.obligations.all(), key=lambda o: o.pk)
        ],
        "confirmations": [
            {"party": c.party, "confirmed_at": c.confirmed_at, "document_sha256": c.document_sha256}
            for c in policy.agreement_confirmations_shown(st, agreement)
        ],
    }


def feedback_out(row: Feedback) -> dict[str, Any]:
    return {
        "party": row.party,
        "invited_at": row.invited_at,
        "rating": row.rating,
        "comment": row.comment,
        "answered_at": row.answered_at,
    }


# --- Proposals -----------------------------------------------------------------------


@router.get(
    "/{reference}/proposals",
    response={200: list[ProposalOut], **ERRORS},
    summary="Every proposal on the case and its answers",
)
def list_proposals(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    st = standing(user, case)
    return [policy.proposal_view(st, p) for p in proposals.proposals_of(user, case)]


@router.post(
    "/{reference}/proposals",
    response={201: ProposalOut, **ERRORS},
    summary="Put a proposal (handlers): a party's, or the handler's own option",
)
def put_proposal(
    request: HttpRequest, reference: str, payload: ProposalIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    made = proposals.put_proposal(
        case.pk, user, source=payload.source, terms=payload.terms(), now=timezone.now()
    )
    return Status(201, policy.proposal_view(standing(user, case), made))


@router.get(
    "/{reference}/proposal-submissions",
    response={200: list[SubmissionOut], **ERRORS},
    summary="The parties' own proposals held for the mediator (a party: its own)",
)
def list_submissions(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    return [submission_out(s) for s in proposals.submissions_of(user, case)]


@router.post(
    "/{reference}/proposal-submissions/{party}",
    response={201: SubmissionOut, **ERRORS},
    summary="Send your own proposal to the mediator (each party for its own side)",
)
def submit_proposal(
    request: HttpRequest, reference: str, party: Party, payload: ProposalTermsIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    held = proposals.submit_proposal(
        case.pk, user, party, terms=payload.terms(), now=timezone.now()
    )
    return Status(201, submission_out(held))


@router.post(
    "/{reference}/proposal-submissions/{submission_id}/put",
    response={201: ProposalOut, **ERRORS},
    summary="Put a party's proposal to both sides, as written or in your words (handlers)",
)
def put_submission(
    request: HttpRequest, reference: str, submission_id: int, payload: PutIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    made = proposals.put_submission(
        case.pk,
        user,
        submission_id,
        terms=payload.terms.terms() if payload.terms is not None else None,
        now=timezone.now(),
    )
    return Status(201, policy.proposal_view(standing(user, case), made))


@router.post(
    "/{reference}/proposal-submissions/{submission_id}/decline",
    response={200: SubmissionOut, **ERRORS},
    summary="Decline a party's proposal, with a reason its author reads (handlers)",
)
def decline_submission(
    request: HttpRequest, reference: str, submission_id: int, payload: DeclineIn
) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    held = proposals.decline_submission(
        case.pk, user, submission_id, reason=payload.reason, now=timezone.now()
    )
    return submission_out(held)


@router.post(
    "/{reference}/proposals/{proposal_id}/answers/{party}",
    response={201: AnsweredOut, **ERRORS},
    summary="Accept, reject or counter a proposal (each party for its own side)",
)
def answer_proposal(
    request: HttpRequest, reference: str, proposal_id: int, party: Party, payload: AnswerIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    answered = proposals.answer_proposal(
        case.pk,
        user,
        proposal_id,
        party,
        answer=payload.answer,
        note=payload.note,
        counter=payload.counter.terms() if payload.counter is not None else None,
        now=timezone.now(),
    )
    st = standing(user, case)
    return Status(
        201,
        {
            "proposal": policy.proposal_view(st, answered.proposal),
            "counter": submission_out(answered.counter) if answered.counter else None,
        },
    )


# --- Agreements ----------------------------------------------------------------------


@router.get(
    "/{reference}/agreements",
    response={200: list[AgreementOut], **ERRORS},
    summary="The case's agreements (drafts, replaced drafts and the binding one)",
)
def list_agreements(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    st = standing(user, case)
    return [agreement_out(st, a) for a in agreements.agreements_for(user, case)]


@router.post(
    "/{reference}/agreements",
    response={201: AgreementOut, **ERRORS},
    summary="Draw up the agreement of an accepted proposal (handlers)",
)
def draw_up(request: HttpRequest, reference: str, payload: AgreementIn) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    made = agreements.draw_up(
        case.pk,
        user,
        proposal_id=payload.proposal_id,
        terms=[
            agreements.Term(party=o.party, what=o.what, due_on=o.due_on)
            for o in payload.obligations
        ],
        now=timezone.now(),
    )
    return Status(
        201, agreement_out(standing(user, case), agreements.readable_agreement(user, case, made.pk))
    )


@router.get(
    "/{reference}/agreements/{agreement_id}",
    response={200: AgreementOut, **ERRORS},
    summary="One agreement, with its document and its hash",
)
def get_agreement(request: HttpRequest, reference: str, agreement_id: int) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    return agreement_out(
        standing(user, case), agreements.readable_agreement(user, case, agreement_id)
    )


@router.get(
    "/{reference}/agreements/{agreement_id}/document",
    response={**ERRORS},
    summary="The agreement document (HTML) exactly as confirmed",
)
def agreement_document(request: HttpRequest, reference: str, agreement_id: int) -> HttpResponse:
    user = _user(request)
    case = visible_case(user, reference)
    agreement = agreements.readable_agreement(user, case, agreement_id)
    response = HttpResponse(agreement.document_html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response["X-Document-SHA256"] = agreement.document_sha256
    return response


@router.post(
    "/{reference}/agreements/{agreement_id}/confirmations/{party}",
    response={201: AgreementOut, **ERRORS},
    summary="Confirm the agreement document by its SHA-256 (each party for its own side)",
)
def confirm_agreement(
    request: HttpRequest, reference: str, agreement_id: int, party: Party, payload: ConfirmIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    agreements.confirm(
        case.pk,
        user,
        agreement_id,
        party,
        document_sha256=payload.document_sha256,
        ip_address=_ip(request),
        now=timezone.now(),
    )
    return Status(
        201,
        agreement_out(
            standing(user, case), agreements.readable_agreement(user, case, agreement_id)
        ),
    )


@router.get(
    "/{reference}/agreements/{agreement_id}/pdf",
    response={**ERRORS},
    summary="The binding agreement's PDF (staff and the two parties)",
)
def agreement_pdf(request: HttpRequest, reference: str, agreement_id: int) -> FileResponse:
    user = _user(request)
    case = visible_case(user, reference)
    path = agreements.binding_pdf(user, case, agreement_id)
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{case.reference}-agreement.pdf",
        content_type="application/pdf",
    )


# --- Obligations ---------------------------------------------------------------------


@router.post(
    "/{reference}/obligations/{obligation_id}/done/{party}",
    response={200: ObligationOut, **ERRORS},
    summary="Confirm an obligation done (each party for its own side; both needed)",
)
def confirm_obligation(
    request: HttpRequest, reference: str, obligation_id: int, party: Party
) -> dict[str, Any]:
    user = _user(request)
    case = visible_case(user, reference)
    done = obligations.confirm_done(case.pk, user, obligation_id, party, now=timezone.now())
    return obligation_out(standing(user, case), done)


# --- Feedback ------------------------------------------------------------------------


@router.get(
    "/{reference}/feedback",
    response={200: list[FeedbackOut], **ERRORS},
    summary="Feedback on the case (staff: both parties; a party: its own)",
)
def list_feedback(request: HttpRequest, reference: str) -> list[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    return [feedback_out(row) for row in feedback.feedback_for(user, case)]


@router.post(
    "/{reference}/feedback/{party}",
    response={201: FeedbackOut, **ERRORS},
    summary="Rate the service (1-5) and comment, once, after the case closed",
)
def give_feedback(
    request: HttpRequest, reference: str, party: Party, payload: FeedbackIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    case = visible_case(user, reference)
    given = feedback.give_feedback(
        case.pk, user, party, rating=payload.rating, comment=payload.comment, now=timezone.now()
    )
    return Status(201, feedback_out(given))
