"""The shuttle, object by object: what each side sees of threads, documents, records
requests, proposals, agreements, obligations and feedback, and whether an actor may act
on them now. Each `*_refusal` returns the reason an act is refused (None: allowed);
domain actions raise it (`require`), pages offer an act only when it returns None.

Nothing a party writes reaches the other side except as the mediator passes it on: a
message as a relayed copy; a proposal or counter-proposal as a proposal the mediator
puts (as written or in their own words); a party's answer and its note never.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from accord.cases.errors import ActionRefused, InvalidAction, NotPermitted
from accord.mediation.choices import (
    AgreementStatus,
    ObligationStatus,
    Party,
    ProposalStatus,
    SubmissionStatus,
)
from accord.policy.disclosure import (
    consent_on_file,
    has_respondent_party,
    respondent_unreachable,
)
from accord.policy.roles import Standing

if TYPE_CHECKING:
    from accord.mediation.models import (
        Agreement,
        Feedback,
        Obligation,
        Proposal,
        ProposalSubmission,
        RecordsRequest,
    )

CONFIRMED_AT = {
    Party.COMPLAINANT: "complainant_confirmed_at",
    Party.RESPONDENT: "respondent_confirmed_at",
}


def require(refusal: ActionRefused | None) -> None:
    if refusal is not None:
        raise refusal


def other_party(party: Party) -> Party:
    return Party.RESPONDENT if party == Party.COMPLAINANT else Party.COMPLAINANT


def _closed(st: Standing) -> ActionRefused | None:
    return None if st.case.is_open else ActionRefused("the case is closed")


def _handler(st: Standing, what: str) -> ActionRefused | None:
    return None if st.handles else NotPermitted(f"only the case's handlers {what}")


def _as_party(st: Standing, party: Party) -> ActionRefused | None:
    if party in st.parties:
        return None
    name = party.label.lower()
    return NotPermitted(f"only the {name} answers for the {name}")


def _reachable(st: Standing) -> ActionRefused | None:
    problem = respondent_unreachable(st.case)
    return ActionRefused(problem) if problem else None


# --- Threads and documents -------------------------------------------------------------


def readable_parties(st: Standing) -> frozenset[Party]:
    """The threads this actor reads: staff both, a party its own."""
    if st.is_staff:
        return frozenset(Party)
    return st.parties


def thread_refusal(st: Standing, party: Party, *, writing: bool = False) -> ActionRefused | None:
    """Reading (or writing in) `party`'s thread: only that party, and staff. Staff reach
    the business's thread only once the case is open to it."""
    if party not in readable_parties(st):
        return NotPermitted("this thread belongs to the other party")
    if writing:
        if (refusal := _closed(st)) is not None:
            return refusal
        if party == Party.RESPONDENT and (refusal := _reachable(st)) is not None:
            return refusal
    return None


def relay_refusal(st: Standing, source: Party) -> ActionRefused | None:
    """Passing a message from `source`'s thread to the other side."""
    return (
        _handler(st, "relay between the parties")
        or _closed(st)
        or thread_refusal(st, source)
        or _reachable(st)  # one side of every relay is the business's thread
    )


# --- Consent and records ---------------------------------------------------------------


def sign_consent_refusal(st: Standing) -> ActionRefused | None:
    if Party.COMPLAINANT not in st.parties:
        return NotPermitted("only the complainant signs the consent form")
    return _closed(st)


def withdraw_consent_refusal(st: Standing) -> ActionRefused | None:
    if Party.COMPLAINANT not in st.parties:
        return NotPermitted("only the complainant withdraws their consent")
    if not consent_on_file(st.case):
        return ActionRefused("there is no consent to withdraw")
    return None


def records_request_refusal(st: Standing) -> ActionRefused | None:
    refusal = _handler(st, "request records") or _closed(st) or _reachable(st)
    if refusal is None and not consent_on_file(st.case):
        refusal = ActionRefused(
            "records cannot be requested: the complainant's signed consent is not on file"
        )
    return refusal


def fulfil_records_refusal(st: Standing, request: RecordsRequest) -> ActionRefused | None:
    refusal = _handler(st, "record that records arrived")
    if refusal is None and request.fulfilled_at is not None:
        refusal = ActionRefused("this records request was already fulfilled")
    if refusal is None and request.withdrawn_at is not None:
        refusal = ActionRefused("this records request was withdrawn")
    return refusal


def records_requests_shown(st: Standing, requests: list[RecordsRequest]) -> list[RecordsRequest]:
    """Staff see every request; the business its own; the complainant none."""
    if st.is_staff:
        return requests
    if Party.RESPONDENT in st.parties:
        return requests
    return []


def records_open_for_upload(request: RecordsRequest) -> bool:
    """The business may still send records for this request."""
    return request.fulfilled_at is None and request.withdrawn_at is None


# --- Proposals -------------------------------------------------------------------------


def put_refusal(st: Standing) -> ActionRefused | None:
    """The mediator puts a proposal to both sides (their own option, or a party's)."""
    return _handler(st, "put proposals") or _closed(st) or _reachable(st)


def submit_refusal(st: Standing, party: Party) -> ActionRefused | None:
    """A party sends its own proposal to the mediator (where there is a mediation: a
    second party to put it to)."""
    refusal = _as_party(st, party) or _closed(st)
    if refusal is None and not has_respondent_party(st.case):
        refusal = ActionRefused("proposals are made in a mediation between two parties")
    return refusal


def decide_submission_refusal(st: Standing, submission: ProposalSubmission) -> ActionRefused | None:
    """The mediator puts a party's held proposal to the other side, or declines it."""
    refusal = _handler(st, "put or decline a party's proposal") or _closed(st)
    if refusal is None and submission.status != SubmissionStatus.HELD:
        label = SubmissionStatus(submission.status).label.lower()
        refusal = ActionRefused(f"this proposal has already been dealt with: {label}")
    return refusal or _reachable(st)


def submissions_shown(
    st: Standing, submissions: list[ProposalSubmission]
) -> list[ProposalSubmission]:
    """Staff see every party's submissions; a party only its own."""
    if st.is_staff:
        return submissions
    return [s for s in submissions if Party(s.party) in st.parties]


def answer_refusal(
    st: Standing, proposal: Proposal, party: Party, today: dt.date
) -> ActionRefused | None:
    refusal = _as_party(st, party) or _closed(st)
    if refusal is not None:
        return refusal
    if proposal.status != ProposalStatus.OPEN:
        return ActionRefused("the proposal can no longer be answered")
    if today > proposal.answer_by:
        return ActionRefused(f"the date to answer by ({proposal.answer_by.isoformat()}) has passed")
    if any(answer.party == party for answer in proposal.answers.all()):
        return ActionRefused("you have already answered this proposal")
    return None


def read_refusal(st: Standing) -> ActionRefused | None:
    """The case's proposals, agreements and obligations: its staff and its parties."""
    if st.is_staff or st.parties:
        return None
    return NotPermitted("only the case's staff and its parties read this")


def proposal_status_for(st: Standing, proposal: Proposal) -> str:
    """Staff see the proposal's status; a party only whether it is open to them, whether
    it answered, whether it was agreed — never how the other side answered."""
    if st.is_staff:
        return str(proposal.status)
    if proposal.status == ProposalStatus.ACCEPTED:
        return "accepted"
    answered = any(Party(a.party) in st.parties for a in proposal.answers.all())
    if proposal.status == ProposalStatus.OPEN:
        return "answered" if answered else "open"
    return "closed"


def proposal_view(st: Standing, proposal: Proposal) -> dict[str, Any]:
    """A proposal as this actor may see it. A party sees its own answer and note only."""
    answers = sorted(proposal.answers.all(), key=lambda a: (a.answered_at, a.pk))
    if not st.is_staff:
        answers = [a for a in answers if Party(a.party) in st.parties]
    return {
        "id": proposal.pk,
        "source": proposal.source,
        "kind": proposal.kind,
        "description": proposal.description,
        "amount": proposal.amount,
        "currency": proposal.currency,
        "answer_by": proposal.answer_by,
        "status": proposal_status_for(st, proposal),
        "counter_to": proposal.counter_to_id,
        "put_at": proposal.put_at,
        "edited": proposal.edited if st.is_staff else False,
        "answers": [
            {"party": a.party, "answer": a.answer, "answered_at": a.answered_at, "note": a.note}
            for a in answers
        ],
    }


# --- Agreements and obligations --------------------------------------------------------


def draw_up_refusal(st: Standing, proposal: Proposal | None) -> ActionRefused | None:
    refusal = _handler(st, "draw up agreements") or _closed(st)
    if refusal is None and proposal is None:
        refusal = InvalidAction("no such proposal on this case", field="proposal_id")
    if refusal is None and proposal is not None and proposal.status != ProposalStatus.ACCEPTED:
        refusal = ActionRefused(
            "an agreement is drawn up only from a proposal both parties accepted"
        )
    return refusal


def agreements_shown(st: Standing, agreements: list[Agreement]) -> list[Agreement]:
    """Staff see every draft; a party the current draft and the binding agreement."""
    if st.is_staff:
        return agreements
    return [a for a in agreements if a.superseded_at is None]


def confirm_agreement_refusal(
    st: Standing, agreement: Agreement, party: Party
) -> ActionRefused | None:
    refusal = _as_party(st, party)
    if refusal is not None:
        return refusal
    if agreement.superseded_at is not None:
        return ActionRefused(
            "the document changed: this draft was replaced; read the new one and confirm it",
            field="document_sha256",
        )
    if agreement.status == AgreementStatus.BINDING:
        return ActionRefused("the agreement is already binding")
    if (refusal := _closed(st)) is not None:
        return refusal
    if any(c.party == party for c in agreement.confirmations.all()):
        return ActionRefused("you have already confirmed this agreement")
    return None


def agreement_confirmations_shown(st: Standing, agreement: Agreement) -> list[Any]:
    """Until the agreement binds, a party sees only its own confirmation."""
    confirmations = sorted(agreement.confirmations.all(), key=lambda c: c.pk)
    if st.is_staff or agreement.status == AgreementStatus.BINDING:
        return confirmations
    return [c for c in confirmations if Party(c.party) in st.parties]


def confirm_obligation_refusal(
    st: Standing, obligation: Obligation, party: Party
) -> ActionRefused | None:
    refusal = _as_party(st, party)
    if refusal is not None:
        return refusal
    if obligation.agreement.status != AgreementStatus.BINDING:
        return ActionRefused("the agreement is not binding yet")
    if obligation.status == ObligationStatus.DONE:
        return ActionRefused("the obligation is already done")
    if getattr(obligation, CONFIRMED_AT[party]) is not None:
        return ActionRefused("you have already confirmed this obligation done")
    return None


def obligation_confirmations_shown(st: Standing, obligation: Obligation) -> dict[str, Any]:
    """Each side's confirmation that an obligation was done: staff see both; a party
    its own (the other side's claim reaches it only through the mediator)."""
    return {
        field: getattr(obligation, field)
        if st.is_staff or party in st.parties or obligation.status == ObligationStatus.DONE
        else None
        for party, field in CONFIRMED_AT.items()
    }


# --- Feedback --------------------------------------------------------------------------


def feedback_shown(st: Standing, rows: list[Feedback]) -> list[Feedback]:
    if st.is_staff:
        return rows
    return [row for row in rows if Party(row.party) in st.parties]


def feedback_refusal(st: Standing, party: Party, row: Feedback | None) -> ActionRefused | None:
    refusal = _as_party(st, party)
    if refusal is None and row is None:
        refusal = ActionRefused("feedback is asked for once the case has closed")
    if refusal is None and row is not None and row.answered_at is not None:
        refusal = ActionRefused("you have already given your feedback on this case")
    return refusal
