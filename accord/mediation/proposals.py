"""Proposals: structured offers the mediator puts to both sides — the mediator's own
option, or a party's proposal — that each party accepts, rejects or counters.

A party's own proposal, and its counter to a proposal, go to the mediator first: a
`ProposalSubmission` held with the party's words. The mediator puts it to the other
side as written or in their own words (a `Proposal` linked to the submission, so the
record keeps both), or declines it with a reason to its author. A party never sees the
other side's answer or note. Nothing is overwritten, so the whole history stays on the
case. Events say that a proposal was submitted, put or answered, never what it offers."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.core import get_global
from babel.numbers import get_territory_currencies
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from accord import rows
from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.engine import lock_case
from accord.cases.errors import InvalidAction
from accord.cases.models import Case
from accord.cases.timeline import append_event
from accord.mediation.choices import (
    MONEY_KINDS,
    Answer,
    Party,
    ProposalKind,
    ProposalSource,
    ProposalStatus,
    SubmissionStatus,
)
from accord.mediation.models import Proposal, ProposalAnswer, ProposalSubmission
from accord.mediation.opening import reach_respondent
from accord.organisations.calendar import calendar_for
from accord.policy.mediation import (
    answer_refusal,
    decide_submission_refusal,
    put_refusal,
    read_refusal,
    require,
    submit_refusal,
)
from accord.policy.roles import PARTY_ROLE, standing

DEFAULT_CURRENCY = "GBP"
MAX_DESCRIPTION = 5000
MAX_AMOUNT = Decimal("9999999999.99")  # what the column holds (12 digits, 2 decimals)


def currencies_in_circulation(on: dt.date) -> frozenset[str]:
    """The ISO 4217 codes that are legal tender somewhere on `on`, from the Unicode CLDR
    data Babel ships (funds, metals and test codes are not tender: a proposal offers
    money)."""
    return _tender_currencies(on.year)


@functools.cache
def _tender_currencies(year: int) -> frozenset[str]:
    on = dt.date(year, 1, 1)
    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, start_date=on, tender=True))
    return frozenset(codes)


def local_today(case: Case, now: dt.datetime) -> dt.date:
    return calendar_for(case.organisation).local_date(now)


@dataclass(frozen=True)
class ProposalTerms:
    """What a proposal offers, as sent (checked by `clean_terms`)."""

    kind: str
    description: str
    answer_by: dt.date
    amount: Decimal | None = None
    currency: str | None = None


def clean_terms(terms: ProposalTerms, today: dt.date) -> ProposalTerms:
    """The terms checked and normalised: a known kind, a description, money only for a
    refund or goodwill payment (then required: more than 0, at most 2 decimals, an ISO
    4217 currency, GBP if none given), and a date to answer by that is not past."""
    try:
        kind = ProposalKind(terms.kind)
    except ValueError:
        options = ", ".join(k.value for k in ProposalKind)
        raise InvalidAction(f"the kind must be one of {options}", field="kind") from None
    description = terms.description.strip()
    if not description:
        raise InvalidAction("describe what is proposed", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidAction(
            f"the description is at most {MAX_DESCRIPTION} characters", field="description"
        )
    amount: Decimal | None = None
    currency = ""
    if kind in MONEY_KINDS:
        amount = _clean_amount(terms.amount, kind)
        currency = _clean_currency(terms.currency)
    else:
        if terms.amount is not None:
            raise InvalidAction(f"a proposal of {kind.label.lower()} has no amount", field="amount")
        if terms.currency:
            raise InvalidAction(
                f"a proposal of {kind.label.lower()} has no currency", field="currency"
            )
    if terms.answer_by < today:
        raise InvalidAction("the date to answer by is in the past", field="answer_by")
    return ProposalTerms(
        kind=kind.value,
        description=description,
        answer_by=terms.answer_by,
        amount=amount,
        currency=currency,
    )


def _clean_amount(amount: Decimal | None, kind: ProposalKind) -> Decimal:
    if amount is None:
        raise InvalidAction(f"a {kind.label.lower()} needs an amount", field="amount")
    try:
        if not amount.is_finite() or amount <= 0:
            raise InvalidAction("the amount must be more than 0", field="amount")
        if amount != amount.quantize(Decimal("0.01")):
            raise InvalidAction("the amount has at most 2 decimal places", field="amount")
    except InvalidOperation:
        raise InvalidAction("the amount is not a number", field="amount") from None
    if amount > MAX_AMOUNT:
        raise InvalidAction("the amount is too large", field="amount")
    return amount.quantize(Decimal("0.01"))


def _clean_currency(currency: str | None) -> str:
    if not currency:
        return DEFAULT_CURRENCY
    code = currency.strip()
    if code not in currencies_in_circulation(timezone.localdate()):
        raise InvalidAction(
            "the currency must be an ISO 4217 code in capitals, such as GBP or EUR",
            field="currency",
        )
    return code


def _create(
    case: Case,
    terms: ProposalTerms,
    *,
    source: str,
    actor: User,
    now: dt.datetime,
    submission: ProposalSubmission | None = None,
    counter_to: Proposal | None = None,
) -> Proposal:
    return Proposal.objects.create(
        case=case,
        source=source,
        kind=terms.kind,
        description=terms.description,
        amount=terms.amount,
        currency=terms.currency or "",
        answer_by=terms.answer_by,
        put_by=actor,
        put_at=now,
        submission=submission,
        counter_to=counter_to,
        edited=submission is not None and not _same_terms(submission, terms),
    )


def _same_terms(submission: ProposalSubmission, terms: ProposalTerms) -> bool:
    return (
        submission.kind == terms.kind
        and submission.description == terms.description
        and submission.amount == terms.amount
        and (submission.currency or "") == (terms.currency or "")
    )


def _source(source: str) -> str:
    try:
        return ProposalSource(source).value
    except ValueError:
        options = ", ".join(s.value for s in ProposalSource)
        raise InvalidAction(f"the source must be one of {options}", field="source") from None


def put_proposal(
    case_id: int, actor: User, *, source: str, terms: ProposalTerms, now: dt.datetime
) -> Proposal:
    """The mediator puts a proposal to both sides: their own option, or a party's made
    to them (by phone, say) in the mediator's own words."""
    source = _source(source)
    with transaction.atomic():
        case = lock_case(case_id)
        st = standing(actor, case)
        require(put_refusal(st))
        cleaned = clean_terms(terms, local_today(case, now))
        opened = reach_respondent(case, now)
        proposal = _create(case, cleaned, source=source, actor=actor, now=now)
        _proposal_event(case, actor, str(st.role), proposal, now, opened=opened)
    return proposal


def _proposal_event(
    case: Case,
    actor: User,
    role: str,
    proposal: Proposal,
    now: dt.datetime,
    *,
    opened: bool = False,
) -> None:
    data: dict[str, object] = {
        "proposal": proposal.pk,
        "source": proposal.source,
        "answer_by": proposal.answer_by.isoformat(),
    }
    if opened:
        data["opened_to_respondent"] = True
    if proposal.submission_id is not None:
        data["submission"] = proposal.submission_id
        data["edited"] = proposal.edited
    append_event(case, kind=EventKind.PROPOSAL, at=now, actor=actor, actor_role=role, data=data)
    case.save(update_fields=["event_count", "updated_at"])


def _hold(
    case: Case,
    actor: User,
    party: Party,
    terms: ProposalTerms,
    now: dt.datetime,
    counter_to: Proposal | None = None,
) -> ProposalSubmission:
    return ProposalSubmission.objects.create(
        case=case,
        party=party,
        kind=terms.kind,
        description=terms.description,
        amount=terms.amount,
        currency=terms.currency or "",
        answer_by=terms.answer_by,
        counter_to=counter_to,
        submitted_by=actor,
        submitted_at=now,
    )


def submit_proposal(
    case_id: int, actor: User, party: Party, *, terms: ProposalTerms, now: dt.datetime
) -> ProposalSubmission:
    """A party sends its own proposal to the mediator, who alone sees it until they put
    it to the other side or decline it."""
    with transaction.atomic():
        case = lock_case(case_id)
        require(submit_refusal(standing(actor, case), party))
        cleaned = clean_terms(terms, local_today(case, now))
        held = _hold(case, actor, party, cleaned, now)
        append_event(
            case,
            kind=EventKind.PROPOSAL_SUBMITTED,
            at=now,
            actor=actor,
            actor_role=PARTY_ROLE[party].value,
            data={"submission": held.pk, "party": party.value},
        )
        case.save(update_fields=["event_count", "updated_at"])
    return held


def put_submission(
    case_id: int,
    actor: User,
    submission_id: int,
    *,
    terms: ProposalTerms | None = None,
    now: dt.datetime,
) -> Proposal:
    """The mediator puts a party's held proposal to both sides: as written (no
    `terms`), or in the mediator's words. Put as written, it stands as its author's
    acceptance; edited, its author answers it like the other side."""
    with transaction.atomic():
        case = lock_case(case_id)
        st = standing(actor, case)
        held = _submission(case, submission_id, lock=True)
        require(decide_submission_refusal(st, held))
        as_written = ProposalTerms(
            kind=held.kind,
            description=held.description,
            answer_by=held.answer_by,
            amount=held.amount,
            currency=held.currency or None,
        )
        cleaned = clean_terms(terms or as_written, local_today(case, now))
        opened = reach_respondent(case, now)
        proposal = _create(
            case,
            cleaned,
            source=held.party,
            actor=actor,
            now=now,
            submission=held,
            counter_to=held.counter_to,
        )
        held.status = SubmissionStatus.PUT
        held.decided_by, held.decided_at = actor, now
        held.save(update_fields=["status", "decided_by", "decided_at"])
        if not proposal.edited:
            ProposalAnswer.objects.create(
                proposal=proposal,
                party=held.party,
                answer=Answer.ACCEPT,
                answered_by=held.submitted_by,
                answered_at=now,
                note="Their own proposal.",
            )
        _proposal_event(case, actor, str(st.role), proposal, now, opened=opened)
    return proposal


def decline_submission(
    case_id: int, actor: User, submission_id: int, *, reason: str, now: dt.datetime
) -> ProposalSubmission:
    """The mediator declines a party's held proposal, with a reason its author reads."""
    reason = reason.strip()
    if not reason:
        raise InvalidAction("say why, for the party who made it", field="reason")
    if len(reason) > MAX_DESCRIPTION:
        raise InvalidAction(f"the reason is at most {MAX_DESCRIPTION} characters", field="reason")
    with transaction.atomic():
        case = lock_case(case_id)
        st = standing(actor, case)
        held = _submission(case, submission_id, lock=True)
        require(decide_submission_refusal(st, held))
        held.status = SubmissionStatus.DECLINED
        held.decided_by, held.decided_at, held.decline_reason = actor, now, reason
        held.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
        append_event(
            case,
            kind=EventKind.PROPOSAL_SUBMITTED,
            at=now,
            actor=actor,
            actor_role=str(st.role),
            data={"submission": held.pk, "party": held.party, "declined": True},
        )
        case.save(update_fields=["event_count", "updated_at"])
    return held


def _submission(case: Case, submission_id: int, *, lock: bool = False) -> ProposalSubmission:
    matching = ProposalSubmission.objects.filter(pk=submission_id, case=case)
    found = (matching.select_for_update() if lock else matching).first()
    if found is None:
        raise InvalidAction("no such proposal from a party on this case", field="submission_id")
    return found


@dataclass(frozen=True)
class Answered:
    """What answering did: the answer, and the counter-proposal it sent, if any."""

    answer: ProposalAnswer
    proposal: Proposal
    counter: ProposalSubmission | None = None


def answer_proposal(
    case_id: int,
    actor: User,
    proposal_id: int,
    party: Party,
    *,
    answer: str,
    note: str = "",
    counter: ProposalTerms | None = None,
    now: dt.datetime,
) -> Answered:
    """A party accepts, rejects or counters a proposal, for its own side only, by the
    date to answer by. Both accept: the proposal is accepted (an agreement can be drawn
    up). One rejects: it is rejected. One counters: it is countered, and the counter goes
    to the mediator, held, like any proposal of a party's own."""
    try:
        chosen = Answer(answer)
    except ValueError:
        options = ", ".join(a.value for a in Answer)
        raise InvalidAction(f"the answer must be one of {options}", field="answer") from None
    if chosen == Answer.COUNTER and counter is None:
        raise InvalidAction("a counter needs the counter-proposal", field="counter")
    if chosen != Answer.COUNTER and counter is not None:
        raise InvalidAction("only a counter carries a counter-proposal", field="counter")
    note = note.strip()
    if len(note) > MAX_DESCRIPTION:
        raise InvalidAction(f"the note is at most {MAX_DESCRIPTION} characters", field="note")
    with transaction.atomic():
        case = lock_case(case_id)
        proposal = Proposal.objects.select_for_update().filter(pk=proposal_id, case=case).first()
        if proposal is None:
            require(read_refusal(standing(actor, case)))
            raise InvalidAction("no such proposal on this case", field="proposal_id")
        today = local_today(case, now)
        require(answer_refusal(standing(actor, case), proposal, party, today))
        cleaned = clean_terms(counter, today) if counter is not None else None
        given = ProposalAnswer.objects.create(
            proposal=proposal,
            party=party,
            answer=chosen,
            answered_by=actor,
            answered_at=now,
            note=note,
        )
        held: ProposalSubmission | None = None
        if chosen == Answer.REJECT:
            proposal.status = ProposalStatus.REJECTED
        elif chosen == Answer.COUNTER:
            assert cleaned is not None
            proposal.status = ProposalStatus.COUNTERED
            held = _hold(case, actor, party, cleaned, now, counter_to=proposal)
        elif proposal.answers.filter(answer=Answer.ACCEPT).count() == len(Party):
            proposal.status = ProposalStatus.ACCEPTED
        proposal.save(update_fields=["status"])
        data: dict[str, object] = {
            "proposal": proposal.pk,
            "party": party.value,
            "answer": chosen.value,
            "status": proposal.status,
        }
        if held is not None:
            data["submission"] = held.pk
        append_event(
            case,
            kind=EventKind.PROPOSAL_ANSWERED,
            at=now,
            actor=actor,
            actor_role=PARTY_ROLE[party].value,
            data=data,
        )
        case.save(update_fields=["event_count", "updated_at"])
    return Answered(answer=given, proposal=proposal, counter=held)


def proposals_of(actor: User, case: Case) -> list[Proposal]:
    """Every proposal put on the case, oldest first, with its answers: the history.
    What each actor may see of them is `accord.policy.mediation.proposal_view`."""
    require(read_refusal(standing(actor, case)))
    found = rows.where(Proposal, "case", case.pk, ["put_at", "id"])
    prefetch_related_objects(found, "answers")
    return found


def submissions_of(actor: User, case: Case) -> list[ProposalSubmission]:
    """The parties' own proposals on the case (staff: all; a party: its own)."""
    from accord.policy.mediation import submissions_shown

    st = standing(actor, case)
    require(read_refusal(st))
    found = rows.where(ProposalSubmission, "case", case.pk, ["submitted_at", "id"])
    return submissions_shown(st, found)
