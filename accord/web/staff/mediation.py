"""The mediation part of the staff case page: consent, records requests, documents,
proposals with each party's answer, the agreement and its obligations — and the forms
a handler may send now. Each form is offered only when the case policy
(`accord.policy.mediation`) — the same check the domain function it posts to makes —
does not refuse this user on this case as it stands; otherwise the page says why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from django import forms

from accord.accounts.models import User
from accord.cases.models import Case
from accord.cases.rules import consent_on_file
from accord.mediation import agreements, documents, proposals
from accord.mediation.choices import (
    AgreementStatus,
    Answer,
    ObligationStatus,
    Party,
    ProposalKind,
    ProposalSource,
    ProposalStatus,
    SubmissionStatus,
)
from accord.mediation.models import Consent, RecordsRequest
from accord.mediation.visibility import documents_read_by
from accord.policy import mediation as policy
from accord.policy.disclosure import has_respondent_party, opening_refusal, respondent_unreachable
from accord.policy.roles import standing
from accord.reads import Read
from accord.web.staff.forms import (
    AgreementForm,
    ButtonForm,
    DeclineSubmissionForm,
    ProposalForm,
    PutSubmissionForm,
    RecordsRequestForm,
    StaffUploadForm,
)
from accord.workdays.wording import format_day

F = TypeVar("F", bound=forms.Form)

_RECORDS_REQUESTS = Read(
    lambda case_id: (
        RecordsRequest.objects.filter(case_id=case_id)
        .select_related("requested_by")
        .order_by("requested_at", "pk")
    )
)
_LATEST_CONSENT = Read(
    lambda case_id: Consent.objects.filter(case_id=case_id).order_by("-signed_at", "-pk")[:1]
)
ANSWERED = {Answer.ACCEPT: "Accepted", Answer.REJECT: "Rejected", Answer.COUNTER: "Countered"}


def upload_limit() -> str:
    size = documents.max_upload_bytes()
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size} bytes"


def proposal_label(proposal: Any) -> str:
    text = f"#{proposal.pk} {ProposalKind(proposal.kind).label}"
    if proposal.amount is not None:
        text += f" of {proposal.amount} {proposal.currency}"
    return f"{text}: {proposal.description[:80]}"


@dataclass
class MediationShown:
    """What the page shows of the mediation, and the forms on offer (by name)."""

    case: Case
    user: User
    now: dt.datetime
    bound: dict[str, forms.Form] = field(default_factory=dict)
    offered: set[str] = field(default_factory=set)

    def _form(self, name: str, kind: type[F], make: Callable[[], F]) -> F:
        self.offered.add(name)
        form = self.bound.get(name)
        return form if isinstance(form, kind) else make()

    def _button(self, name: str) -> ButtonForm:
        return self._form(name, ButtonForm, lambda: ButtonForm(name))

    def context(self) -> dict[str, Any]:
        case, user = self.case, self.user
        st = standing(user, case)
        proposal_rows = self._proposals()
        agreement_rows = self._agreements()
        accepted = [
            row["proposal"]
            for row in proposal_rows
            if row["proposal"].status == ProposalStatus.ACCEPTED
        ]
        binding = any(row["agreement"].status == AgreementStatus.BINDING for row in agreement_rows)
        requests: list[RecordsRequest] = _RECORDS_REQUESTS(case.pk)
        limit = agreements.obligation_limit(case)
        records_refusal = policy.records_request_refusal(st)
        put_refusal = policy.put_refusal(st)
        shown: dict[str, Any] = {
            "consent": next(iter(_LATEST_CONSENT(case.pk)), None),
            "consent_problem": consent_on_file(case),
            "opened_to_respondent_at": case.opened_to_respondent_at,
            "open_form": self._button("open-to-respondent")
            if st.handles and opening_refusal(case) is None
            else None,
            "respondent_unreachable": respondent_unreachable(case)
            if has_respondent_party(case)
            else None,
            "records_requests": [
                {
                    "request": request,
                    "form": self._button(f"fulfil-{request.pk}")
                    if policy.fulfil_records_refusal(st, request) is None
                    else None,
                }
                for request in requests
            ],
            "records_refusal": records_refusal.message if records_refusal else "",
            "proposal_refusal": put_refusal.message if put_refusal else "",
            "submissions": self._submissions(st),
            "proposals": proposal_rows,
            "agreements": agreement_rows,
            "obligation_limit": limit,
            "obligation_limit_day": format_day(limit.due_on) if limit else "",
            "records_form": None,
            "proposal_form": None,
            "agreement_form": None,
        }
        if records_refusal is None:
            shown["records_form"] = self._form("records", RecordsRequestForm, RecordsRequestForm)
        if put_refusal is None:
            shown["proposal_form"] = self._form("proposal", ProposalForm, ProposalForm)
        if accepted and not binding and policy.draw_up_refusal(st, accepted[-1]) is None:
            choices = [(p.pk, proposal_label(p)) for p in reversed(accepted)]
            shown["agreement_form"] = self._form(
                "agreement", AgreementForm, lambda: AgreementForm(choices)
            )
            if isinstance(self.bound.get("agreement"), AgreementForm):
                self.bound["agreement"].fields["proposal"].choices = choices  # type: ignore[attr-defined]
        return shown

    def _submissions(self, st: Any) -> list[dict[str, Any]]:
        """The parties' own proposals, held for the mediator to put or decline."""
        rows = []
        for held in proposals.submissions_of(self.user, self.case):
            row: dict[str, Any] = {
                "submission": held,
                "party": Party(held.party).label,
                "kind": ProposalKind(held.kind).label,
                "status": SubmissionStatus(held.status).label,
                "put_form": None,
                "decline_form": None,
            }
            if policy.decide_submission_refusal(st, held) is None:
                initial = {
                    "kind": held.kind,
                    "description": held.description,
                    "amount": held.amount,
                    "currency": held.currency,
                    "answer_by": held.answer_by,
                }
                pk = held.pk
                row["put_form"] = self._form(
                    f"put-{pk}", PutSubmissionForm, partial(PutSubmissionForm, pk, initial=initial)
                )
                row["decline_form"] = self._form(
                    f"decline-{pk}", DeclineSubmissionForm, partial(DeclineSubmissionForm, pk)
                )
            rows.append(row)
        return rows

    def _proposals(self) -> list[dict[str, Any]]:
        rows = []
        for proposal in proposals.proposals_of(self.user, self.case):
            given = {answer.party: answer for answer in proposal.answers.all()}
            rows.append(
                {
                    "proposal": proposal,
                    "source": ProposalSource(proposal.source).label,
                    "kind": ProposalKind(proposal.kind).label,
                    "status": ProposalStatus(proposal.status).label,
                    "answers": [
                        {
                            "party": party.label,
                            "answer": given.get(party.value),
                            "answer_label": ANSWERED[Answer(given[party.value].answer)]
                            if party.value in given
                            else "",
                        }
                        for party in Party
                    ],
                }
            )
        return rows

    def _agreements(self) -> list[dict[str, Any]]:
        rows = []
        for agreement in agreements.agreements_for(self.user, self.case):
            confirmed = {c.party: c for c in agreement.confirmations.all()}
            rows.append(
                {
                    "agreement": agreement,
                    "status": "Replaced by a later draft"
                    if agreement.superseded_at is not None
                    else AgreementStatus(agreement.status).label,
                    "confirmations": [
                        {"party": party.label, "confirmation": confirmed.get(party.value)}
                        for party in Party
                    ],
                    "obligations": [
                        {
                            "obligation": obligation,
                            "party": Party(obligation.party).label,
                            "status": ObligationStatus(obligation.status).label,
                        }
                        for obligation in sorted(
                            agreement.obligations.all(), key=lambda o: (o.due_on, o.pk)
                        )
                    ],
                    "has_pdf": agreement.status == AgreementStatus.BINDING
                    and bool(agreement.pdf_stored_as),
                }
            )
        return rows

    def documents(self) -> dict[str, list[Any]]:
        """Each thread's documents, oldest first."""
        by_party: dict[str, list[Any]] = {party.value: [] for party in Party}
        for document in documents_read_by(self.user, self.case):
            by_party[document.thread.party].append(document)
        return by_party

    def upload_form(self, party: Party) -> StaffUploadForm | None:
        """Staff of the case's organisation add documents to either thread while the
        case is open (`documents.upload`)."""
        refusal = policy.thread_refusal(standing(self.user, self.case), party, writing=True)
        if refusal is not None:
            return None
        return self._form(
            f"upload-{party.value}",
            StaffUploadForm,
            lambda: StaffUploadForm(party.value, limit=upload_limit()),
        )


def shows_mediation(case: Case, shown: dict[str, Any]) -> bool:
    """A case with a second party (a business other than the organisation), or any case
    that has mediation on it already."""
    return has_respondent_party(case) or bool(
        shown["proposals"] or shown["agreements"] or shown["records_requests"]
    )
