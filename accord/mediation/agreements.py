"""Agreements: when both parties accept a proposal, the handler draws up the agreement
— its terms are obligations (who does what, by when) — as one HTML document whose
SHA-256 each party confirms. Confirmed by both, it is legally binding from that
instant, its PDF is kept outside the web root, and the case takes the procedure's
agreement step if it is at a stage that has one.

Drawing up again before both confirmed replaces the draft (the old one is marked
superseded): a confirmation of the old document is then refused as a changed document.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string

from accord import rows
from accord.accounts.models import User
from accord.cases.choices import ClockStatus, EventKind
from accord.cases.clocks import clocks_of
from accord.cases.engine import StepRequest, lock_case, procedure_of, take_step
from accord.cases.errors import ActionRefused, InvalidAction
from accord.cases.models import Case
from accord.cases.timeline import append_event
from accord.mediation.certificate import agreement_pdf, certificate_html
from accord.mediation.choices import AgreementStatus, Party, ProposalKind
from accord.mediation.models import Agreement, AgreementConfirmation, Obligation, Proposal
from accord.mediation.proposals import local_today
from accord.policy.disclosure import parties_named_in_shared_document
from accord.policy.mediation import (
    agreements_shown,
    confirm_agreement_refusal,
    draw_up_refusal,
    read_refusal,
    require,
)
from accord.policy.roles import PARTY_ROLE, standing
from accord.procedures.definition import Effect
from accord.storage import StoredFile, store
from accord.workdays.wording import format_day

log = logging.getLogger(__name__)

BINDING_STATEMENT = "This agreement is legally binding on both parties once both have confirmed it."
MAX_TERMS = 50
MAX_WHAT = 5000
PDF_FOLDER = "agreements"


@dataclass(frozen=True)
class Term:
    """One obligation as the handler sends it."""

    party: str
    what: str
    due_on: dt.date


@dataclass(frozen=True)
class Limit:
    """The latest due date the procedure allows, and the clock that sets it."""

    due_on: dt.date
    clock: str
    label: str


def obligation_limit(case: Case) -> Limit | None:
    """The due date of the running clock the procedure says limits the obligations
    (`limits_obligations`: e.g. 45 days of acceptance, or three weeks of a referral to
    senior mediation; the earliest, if more than one runs), read from the case's stored
    clocks; None when none runs (e.g. the step that stops it was already taken, or the
    clock is paused and its end is not known)."""
    procedure = procedure_of(case)
    limiting = [key for key, clock in procedure.clocks.items() if clock.limits_obligations]
    limits = [
        Limit(dt.date.fromisoformat(str(clock.explanation["due_date"])), clock.key, clock.label)
        for clock in clocks_of(case)
        if clock.key in limiting
        and clock.status == ClockStatus.RUNNING
        and clock.explanation.get("due_date")
    ]
    return min(limits, key=lambda limit: limit.due_on, default=None)


def document_hash(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def _clean_terms(terms: list[Term], today: dt.date, limit: Limit | None) -> list[Term]:
    if not terms:
        raise InvalidAction("an agreement needs at least one obligation", field="obligations")
    if len(terms) > MAX_TERMS:
        raise InvalidAction(f"at most {MAX_TERMS} obligations", field="obligations")
    cleaned = []
    for index, term in enumerate(terms):
        where = f"obligations.{index}"
        try:
            party = Party(term.party)
        except ValueError:
            raise InvalidAction(
                "the party must be complainant or respondent", field=f"{where}.party"
            ) from None
        what = term.what.strip()
        if not what:
            raise InvalidAction("say what is to be done", field=f"{where}.what")
        if len(what) > MAX_WHAT:
            raise InvalidAction(f"at most {MAX_WHAT} characters", field=f"{where}.what")
        if term.due_on < today:
            raise InvalidAction("the due date is in the past", field=f"{where}.due_on")
        if limit is not None and term.due_on > limit.due_on:
            raise InvalidAction(
                f"the due date is later than the procedure allows: '{limit.label}' "
                f"ends on {format_day(limit.due_on)}",
                field=f"{where}.due_on",
            )
        cleaned.append(Term(party=party.value, what=what, due_on=term.due_on))
    return cleaned


def render_document(case: Case, proposal: Proposal, terms: list[Term], drawn_up_on: dt.date) -> str:
    """The agreement as HTML: the parties, what was agreed, the terms and the statement
    that it binds both once both confirm. Its bytes are what is hashed and confirmed."""
    names = parties_named_in_shared_document(case)
    return render_to_string(
        "mediation/agreement.html",
        {
            "case": case,
            "organisation": case.organisation,
            "drawn_up_on": format_day(drawn_up_on),
            "complainant": names[Party.COMPLAINANT],
            "respondent": names[Party.RESPONDENT],
            "proposal": proposal,
            "proposal_kind": ProposalKind(proposal.kind).label,
            "terms": [
                {
                    "who": names[Party(term.party)],
                    "what": term.what,
                    "due": format_day(term.due_on),
                }
                for term in terms
            ],
        },
    )


def _terms_text(case: Case, terms: list[Term]) -> str:
    names = parties_named_in_shared_document(case)
    return "\n".join(
        f"{names[Party(term.party)]} ({term.party}) by {term.due_on.isoformat()}: {term.what}"
        for term in terms
    )


def draw_up(
    case_id: int, actor: User, *, proposal_id: int, terms: list[Term], now: dt.datetime
) -> Agreement:
    """The handler draws up the agreement of a proposal both parties accepted. A draft
    still awaiting confirmation is replaced; a binding agreement is never replaced."""
    with transaction.atomic():
        case = lock_case(case_id)
        st = standing(actor, case)
        proposal = Proposal.objects.filter(pk=proposal_id, case=case).first()
        require(draw_up_refusal(st, proposal))
        assert proposal is not None
        assert st.role is not None
        role = st.role
        if Agreement.objects.filter(case=case, status=AgreementStatus.BINDING).exists():
            raise ActionRefused("the case already has a binding agreement")
        today = local_today(case, now)
        cleaned = _clean_terms(terms, today, obligation_limit(case))
        html = render_document(case, proposal, cleaned, today)
        replaced = list(
            Agreement.objects.filter(
                case=case,
                status=AgreementStatus.AWAITING_CONFIRMATION,
                superseded_at__isnull=True,
            ).values_list("pk", flat=True)
        )
        Agreement.objects.filter(pk__in=replaced).update(superseded_at=now)
        agreement = Agreement.objects.create(
            case=case,
            proposal=proposal,
            terms=_terms_text(case, cleaned),
            document_html=html,
            document_sha256=document_hash(html),
            drawn_up_at=now,
        )
        Obligation.objects.bulk_create(
            Obligation(agreement=agreement, party=term.party, what=term.what, due_on=term.due_on)
            for term in cleaned
        )
        data: dict[str, object] = {
            "agreement": agreement.pk,
            "proposal": proposal.pk,
            "obligations": len(cleaned),
            "document_sha256": agreement.document_sha256,
        }
        if replaced:
            data["replaces"] = replaced
        append_event(
            case, kind=EventKind.AGREEMENT, at=now, actor=actor, actor_role=role.value, data=data
        )
        case.save(update_fields=["event_count", "updated_at"])
    return agreement


def confirm(
    case_id: int,
    actor: User,
    agreement_id: int,
    party: Party,
    *,
    document_sha256: str,
    ip_address: str | None,
    now: dt.datetime,
) -> Agreement:
    """A party confirms the agreement by sending back the hash of the document they
    read. The second confirmation makes it binding: the PDF is kept and, where the
    case's stage has an agreement step, the system takes it (see `_take_agreement_step`)."""
    sent = document_sha256.strip().lower()
    with transaction.atomic():
        case = lock_case(case_id)
        st = standing(actor, case)
        agreement = Agreement.objects.filter(pk=agreement_id, case=case).first()
        if agreement is None:
            require(read_refusal(st))
            raise InvalidAction("no such agreement on this case", field="agreement_id")
        require(confirm_agreement_refusal(st, agreement, party))
        if not secrets.compare_digest(sent, agreement.document_sha256):
            raise ActionRefused(
                "the document changed since you read it: read it again and confirm its hash",
                field="document_sha256",
            )
        AgreementConfirmation.objects.create(
            agreement=agreement,
            party=party,
            confirmed_by=actor,
            confirmed_at=now,
            ip_address=ip_address,
            document_sha256=sent,
        )
        binding = agreement.confirmations.count() == len(Party)
        stored: StoredFile | None = None
        try:
            if binding:
                agreement.pdf_stored_as = _store_pdf(
                    agreement.document_html, certificate_html(agreement, now)
                )
                stored = pdf_path(agreement)
                agreement.status = AgreementStatus.BINDING
                agreement.binding_from = now
                agreement.save(update_fields=["pdf_stored_as", "status", "binding_from"])
            append_event(
                case,
                kind=EventKind.AGREEMENT_CONFIRMED,
                at=now,
                actor=actor,
                actor_role=PARTY_ROLE[party].value,
                data={
                    "agreement": agreement.pk,
                    "party": party.value,
                    "document_sha256": sent,
                    "binding": binding,
                },
            )
            case.save(update_fields=["event_count", "updated_at"])
            if binding:
                _take_agreement_step(case.pk, now)
        except BaseException:
            if stored is not None:
                stored.unlink(missing_ok=True)  # the confirmation is rolled back: no orphan
            raise
    return agreement


def _take_agreement_step(case_id: int, now: dt.datetime) -> str | None:
    """Take the procedure's agreement step (a step with the effect `record_agreement`)
    as the system, if the case is at a stage that has one (e.g. review and dialogue,
    senior mediation): the binding agreement is
    the agreement the step records, and taking it stops the agreement clock at the
    instant both parties confirmed. Elsewhere (the handler already took the step, or
    the case is at another stage) the binding agreement is only recorded. A refused
    step leaves the agreement binding."""
    case = Case.objects.select_related("organisation").get(pk=case_id)
    procedure = procedure_of(case)
    for action, transition in procedure.transitions.items():
        if Effect.RECORD_AGREEMENT not in transition.effects:
            continue
        if not procedure.available_from(transition, case.stage):
            continue
        try:
            with transaction.atomic():
                take_step(
                    case_id,
                    None,
                    action,
                    StepRequest(reason="Both parties confirmed the agreement: it is binding."),
                    now=now,
                )
        except ActionRefused as refusal:
            log.warning("%s on %s refused: %s", action, case.reference, refusal.message)
            return None
        return action
    return None


def _store_pdf(html: str, certificate: str) -> str:
    """Render the PDF and store it under a random name outside the web root; return
    its name in the storage."""
    name = f"{PDF_FOLDER}/{secrets.token_hex(16)}.pdf"
    pdf = agreement_pdf(html, certificate)
    return store(name, pdf).name


def pdf_path(agreement: Agreement) -> StoredFile:
    return StoredFile(agreement.pdf_stored_as)


def readable_agreement(actor: User, case: Case, agreement_id: int) -> Agreement:
    """One agreement the actor may read (a party: the current draft or the binding one)."""
    found = [a for a in agreements_for(actor, case) if a.pk == agreement_id]
    if not found:
        raise InvalidAction("no such agreement on this case", field="agreement_id")
    return found[0]


def agreements_for(actor: User, case: Case) -> list[Agreement]:
    st = standing(actor, case)
    require(read_refusal(st))
    found = rows.where(Agreement, "case", case.pk, ["drawn_up_at", "id"])
    prefetch_related_objects(found, "obligations", "confirmations")
    return agreements_shown(st, found)


def binding_pdf(actor: User, case: Case, agreement_id: int) -> StoredFile:
    """The kept PDF of a binding agreement, for staff and the two parties only."""
    agreement = readable_agreement(actor, case, agreement_id)
    if agreement.status != AgreementStatus.BINDING or not agreement.pdf_stored_as:
        raise ActionRefused("the agreement is not binding yet: there is no PDF")
    path = pdf_path(agreement)
    if not path.is_file():
        raise ActionRefused("the agreement's PDF is missing from storage")
    return path
