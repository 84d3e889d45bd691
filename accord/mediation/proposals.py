"""Proposals: structured offers put by the handler — a party's proposal made through
the handler, or the handler's own option — that each party accepts, rejects or counters.
A counter is a new proposal linked to the one it answers; nothing is overwritten, so
the whole history stays on the case. Events say that a proposal was put or answered,
never what it offers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.engine import lock_case
from accord.cases.errors import ActionRefused, InvalidAction, NotPermitted
from accord.cases.models import Case
from accord.cases.timeline import append_event
from accord.mediation.choices import (
    MONEY_KINDS,
    Answer,
    Party,
    ProposalKind,
    ProposalSource,
    ProposalStatus,
)
from accord.mediation.models import Proposal, ProposalAnswer
from accord.organisations.calendar import calendar_for
from accord.permissions import is_staff_of, roles_on_case, staff_role
from accord.procedures.definition import Role

HANDLING_ROLES = frozenset({Role.HANDLER, Role.SENIOR_HANDLER})
PARTY_ROLE = {Party.COMPLAINANT: Role.COMPLAINANT, Party.RESPONDENT: Role.RESPONDENT}
DEFAULT_CURRENCY = "GBP"
MAX_DESCRIPTION = 5000
MAX_AMOUNT = Decimal("9999999999.99")  # what the column holds (12 digits, 2 decimals)

# ISO 4217 codes of the currencies in circulation (funds, metals and test codes left
# out: a proposal offers money).
ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)


def other_party(party: Party) -> Party:
    return Party.RESPONDENT if party == Party.COMPLAINANT else Party.COMPLAINANT


def require_handler(actor: User, case: Case, what: str) -> Role:
    """The actor's role if they are a handler (or senior handler) of the case's
    organisation; refused otherwise."""
    role = staff_role(actor)
    if role not in HANDLING_ROLES or not is_staff_of(actor, case.organisation_id):
        raise NotPermitted(f"only the case's handlers {what}")
    assert role is not None
    return role


def require_party(actor: User, case: Case, party: Party) -> None:
    """Refuse anyone acting for `party` who is not that party (staff included)."""
    if PARTY_ROLE[party] not in roles_on_case(actor, case):
        raise NotPermitted(f"only the {party.label.lower()} answers for the {party.label.lower()}")


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
    if code not in ISO_4217:
        raise InvalidAction(
            "the currency must be an ISO 4217 code in capitals, such as GBP or EUR",
            field="currency",
        )
    return code


def _create(
    case: Case, terms: ProposalTerms, *, source: str, actor: User, now: dt.datetime
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
    )


def put_proposal(
    case_id: int, actor: User, *, source: str, terms: ProposalTerms, now: dt.datetime
) -> Proposal:
    """The handler puts a proposal: a party's, made through them, or their own option."""
    try:
        source = ProposalSource(source).value
    except ValueError:
        options = ", ".join(s.value for s in ProposalSource)
        raise InvalidAction(f"the source must be one of {options}", field="source") from None
    with transaction.atomic():
        case = lock_case(case_id)
        role = require_handler(actor, case, "put proposals")
        if not case.is_open:
            raise ActionRefused("the case is closed")
        cleaned = clean_terms(terms, local_today(case, now))
        proposal = _create(case, cleaned, source=source, actor=actor, now=now)
        append_event(
            case,
            kind=EventKind.PROPOSAL,
            at=now,
            actor=actor,
            actor_role=role.value,
            data={
                "proposal": proposal.pk,
                "source": source,
                "answer_by": cleaned.answer_by.isoformat(),
            },
        )
        case.save(update_fields=["event_count", "updated_at"])
    return proposal


@dataclass(frozen=True)
class Answered:
    """What answering did: the answer, and the counter-proposal it made, if any."""

    answer: ProposalAnswer
    proposal: Proposal
    counter: Proposal | None = None


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
    up). One rejects: it is rejected. One counters: it is countered, and the counter is
    a new open proposal from that party, which counts as that party's acceptance of it."""
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
        require_party(actor, case, party)
        if not case.is_open:
            raise ActionRefused("the case is closed")
        proposal = Proposal.objects.select_for_update().filter(pk=proposal_id, case=case).first()
        if proposal is None:
            raise InvalidAction("no such proposal on this case", field="proposal_id")
        if proposal.status != ProposalStatus.OPEN:
            status = ProposalStatus(proposal.status).label.lower()
            raise ActionRefused(f"the proposal can no longer be answered: {status}")
        today = local_today(case, now)
        if today > proposal.answer_by:
            raise ActionRefused(
                f"the date to answer by ({proposal.answer_by.isoformat()}) has passed"
            )
        if proposal.answers.filter(party=party).exists():
            raise ActionRefused("you have already answered this proposal")
        cleaned = clean_terms(counter, today) if counter is not None else None
        given = ProposalAnswer.objects.create(
            proposal=proposal,
            party=party,
            answer=chosen,
            answered_by=actor,
            answered_at=now,
            note=note,
        )
        made: Proposal | None = None
        if chosen == Answer.REJECT:
            proposal.status = ProposalStatus.REJECTED
        elif chosen == Answer.COUNTER:
            assert cleaned is not None
            proposal.status = ProposalStatus.COUNTERED
            made = _create(case, cleaned, source=party.value, actor=actor, now=now)
            made.counter_to = proposal
            made.save(update_fields=["counter_to"])
            # The counter is the party's own word: it stands as their acceptance.
            ProposalAnswer.objects.create(
                proposal=made,
                party=party,
                answer=Answer.ACCEPT,
                answered_by=actor,
                answered_at=now,
                note="Their own counter-proposal.",
            )
        elif proposal.answers.filter(answer=Answer.ACCEPT).count() == len(Party):
            proposal.status = ProposalStatus.ACCEPTED
        proposal.save(update_fields=["status"])
        data: dict[str, object] = {
            "proposal": proposal.pk,
            "party": party.value,
            "answer": chosen.value,
            "status": proposal.status,
        }
        if made is not None:
            data["counter"] = made.pk
        append_event(
            case,
            kind=EventKind.PROPOSAL_ANSWERED,
            at=now,
            actor=actor,
            actor_role=PARTY_ROLE[party].value,
            data=data,
        )
        case.save(update_fields=["event_count", "updated_at"])
    return Answered(answer=given, proposal=proposal, counter=made)


def proposals_of(actor: User, case: Case) -> list[Proposal]:
    """Every proposal on the case, oldest first, with its answers: the history. Both
    parties see them all (they are what both answer); so do the organisation's staff."""
    if not is_staff_of(actor, case.organisation_id) and not (
        roles_on_case(actor, case) & set(PARTY_ROLE.values())
    ):
        raise NotPermitted("only the case's staff and the two parties read its proposals")
    return list(
        Proposal.objects.filter(case=case).prefetch_related("answers").order_by("put_at", "id")
    )
