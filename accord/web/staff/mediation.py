"""The mediation part of the staff case page: consent, records requests, documents,
proposals with each party's answer, the agreement and its obligations — and the forms
a handler may send now. Each form is offered only when the domain function it posts to
would not refuse this user on this case as it stands (the checks below mirror those
functions' role, state and consent checks; what a person types is theirs to get right)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
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
)
from accord.mediation.models import Consent, RecordsRequest
from accord.mediation.visibility import readable_parties, visible_documents
from accord.organisations.choices import OrganisationKind
from accord.permissions import is_staff_of, staff_role
from accord.web.staff.forms import (
    AgreementForm,
    ButtonForm,
    ProposalForm,
    RecordsRequestForm,
    StaffUploadForm,
)
from accord.workdays.wording import format_day

F = TypeVar("F", bound=forms.Form)
ANSWERED = {Answer.ACCEPT: "Accepted", Answer.REJECT: "Rejected", Answer.COUNTER: "Countered"}


def upload_limit() -> str:
    size = documents.max_upload_bytes()
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size} bytes"


def may_handle(user: User, case: Case) -> bool:
    """What `proposals.require_handler` (and the records functions) ask of the actor."""
    return staff_role(user) in proposals.HANDLING_ROLES and is_staff_of(user, case.organisation_id)


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
        handling = may_handle(user, case)
        open_for_handler = handling and case.is_open
        proposal_rows = self._proposals()
        agreement_rows = self._agreements()
        accepted = [
            row["proposal"]
            for row in proposal_rows
            if row["proposal"].status == ProposalStatus.ACCEPTED
        ]
        binding = any(row["agreement"].status == AgreementStatus.BINDING for row in agreement_rows)
        requests = list(
            RecordsRequest.objects.filter(case=case)
            .select_related("requested_by")
            .order_by("requested_at", "pk")
        )
        limit = agreements.obligation_limit(case)
        shown: dict[str, Any] = {
            "consent": Consent.objects.filter(case=case).order_by("-signed_at", "-pk").first(),
            "consent_problem": consent_on_file(case),
            "records_requests": [
                {
                    "request": request,
                    "form": self._button(f"fulfil-{request.pk}")
                    if handling and request.fulfilled_at is None
                    else None,
                }
                for request in requests
            ],
            "proposals": proposal_rows,
            "agreements": agreement_rows,
            "obligation_limit": limit,
            "obligation_limit_day": format_day(limit.due_on) if limit else "",
            "records_form": None,
            "proposal_form": None,
            "agreement_form": None,
        }
        if open_for_handler and consent_on_file(case) is None:
            shown["records_form"] = self._form("records", RecordsRequestForm, RecordsRequestForm)
        if open_for_handler:
            shown["proposal_form"] = self._form("proposal", ProposalForm, ProposalForm)
        if open_for_handler and accepted and not binding:
            choices = [(p.pk, proposal_label(p)) for p in reversed(accepted)]
            shown["agreement_form"] = self._form(
                "agreement", AgreementForm, lambda: AgreementForm(choices)
            )
            if isinstance(self.bound.get("agreement"), AgreementForm):
                self.bound["agreement"].fields["proposal"].choices = choices  # type: ignore[attr-defined]
        return shown

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
        found = visible_documents(self.user, self.case).select_related("thread", "uploaded_by")
        for document in found.order_by("uploaded_at", "id"):
            by_party[document.thread.party].append(document)
        return by_party

    def upload_form(self, party: Party) -> StaffUploadForm | None:
        """Staff of the case's organisation add documents to either thread while the
        case is open (`documents.upload`)."""
        if not self.case.is_open or party not in readable_parties(self.user, self.case):
            return None
        return self._form(
            f"upload-{party.value}",
            StaffUploadForm,
            lambda: StaffUploadForm(party.value, limit=upload_limit()),
        )


def shows_mediation(case: Case, shown: dict[str, Any]) -> bool:
    """A mediation service's case, or any case that has mediation on it already."""
    return case.organisation.kind == OrganisationKind.MEDIATION_SERVICE or bool(
        shown["proposals"] or shown["agreements"] or shown["records_requests"]
    )
