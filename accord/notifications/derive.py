"""From a case's events to what each audience is told of them. Every item is asked of
the case policy: a party hears of a message only in its own thread (a relayed copy is
the mediator's passing-on), of a proposal as its page shows it, of a step only as its
timeline shows it, in its pack's party wording, of an invitation to give feedback where
the policy invited it; the business hears of nothing before the case is open to it. Staff hear that a party wrote or acted, that a step a party or the
system took left a letter owed, and that a case was assigned to them: the case page says
what."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from accord.cases import engine
from accord.cases.choices import EventKind
from accord.cases.models import Case, Event
from accord.letters.kinds import LetterKind
from accord.mediation.choices import Party, ProposalKind
from accord.mediation.visibility import documents_told_to, messages_told_to
from accord.outbox.threads import STAFF
from accord.policy import disclosure
from accord.policy import mediation as policy
from accord.policy.notices import party_standing, told_of_case
from accord.procedures.definition import Effect
from accord.procedures.wording import party_wording

PARTY_VALUES = {party.value for party in Party}


@dataclass
class Digest:
    """What one audience is told of one window of a case."""

    audience: str
    items: list[dict[str, Any]] = field(default_factory=list)
    letters: list[str] = field(default_factory=list)  # kinds of the letters sent it

    def add(self, kind: str, **fields: Any) -> None:
        self.items.append({"kind": kind, **fields})


def _message(case: Case, party: Party, message_id: Any) -> Any:
    return messages_told_to(case, party).filter(pk=message_id).first()


def _for_party(case: Case, party: Party, event: Event, digest: Digest) -> None:
    """What `party` is told of `event` (nothing, if its page would not show it)."""
    kind, data = event.kind, event.data
    st = party_standing(case, party)
    acted = event.actor_role == party.value  # a party is not told of its own acts
    if party == Party.RESPONDENT and data.get("opened_to_respondent"):
        digest.add("opened")  # the mediator's first act addressed to the business
    if kind == EventKind.MESSAGE and data.get("thread") == party.value and not acted:
        message = _message(case, party, data.get("message"))
        if message is not None:
            digest.add("message", body=message.body, at=message.sent_at)
    elif kind == EventKind.RELAY and data.get("to_thread") == party.value:
        message = _message(case, party, data.get("copy"))
        if message is not None:
            digest.add("message", body=message.body, at=message.sent_at)
    elif kind == EventKind.DOCUMENT and data.get("thread") == party.value and not acted:
        document = documents_told_to(case, party).filter(pk=data.get("document")).first()
        if document is not None:
            digest.add("document", name=document.name)
    elif kind == EventKind.RECORDS_REQUESTED:
        from accord.mediation.models import RecordsRequest

        requests = RecordsRequest.objects.filter(case=case, pk=data.get("request"))
        for request in policy.records_requests_shown(st, list(requests)):
            if policy.records_open_for_upload(request):
                digest.add(
                    "records_due" if data.get("reminder") else "records",
                    what=request.what,
                    due_on=request.due_on,
                )
    elif kind == EventKind.PROPOSAL:
        from accord.mediation.models import Proposal

        proposal = Proposal.objects.filter(case=case, pk=data.get("proposal")).first()
        if proposal is not None:
            shown = policy.proposal_view(st, proposal)
            if shown["status"] == "open":
                digest.add(
                    "proposal",
                    offers=ProposalKind(shown["kind"]).label,
                    description=shown["description"],
                    amount=shown["amount"],
                    currency=shown["currency"],
                    answer_by=shown["answer_by"],
                )
    elif kind == EventKind.AGREEMENT:
        digest.add("agreement")
    elif kind == EventKind.AGREEMENT_CONFIRMED and data.get("binding"):
        digest.add("agreement_binding", terms=_terms(case, party, data.get("agreement")))
    elif kind == EventKind.OBLIGATION and data.get("party"):
        from accord.mediation.models import Obligation

        obligation = Obligation.objects.filter(
            agreement__case=case, pk=data.get("obligation")
        ).first()
        if obligation is None:
            return
        if data.get("reminded") and obligation.party == party.value:
            digest.add("obligation_due", what=obligation.what, due_on=obligation.due_on)
        elif data.get("status") == "missed":
            digest.add(
                "obligation_missed",
                what=obligation.what,
                due_on=obligation.due_on,
                yours=obligation.party == party.value,
            )
    elif kind == EventKind.OPENED_TO_RESPONDENT and party == Party.RESPONDENT:
        digest.add("opened")
    elif kind in {EventKind.TRANSITION, EventKind.REOPENED} and not acted:
        procedure = engine.procedure_of(case)
        step = disclosure.visible_event(event, case, procedure, party)
        if kind == EventKind.REOPENED:
            digest.add("reopened")
        elif step is not None and event.from_stage != event.to_stage:
            words = party_wording(procedure, party.value)
            text = (
                words.stage(event.to_stage)
                if step["action"] == "close"
                else words.step(event.action)
            )
            if text:
                stage = procedure.stages.get(event.to_stage)
                transition = procedure.transitions.get(event.action)
                digest.add(
                    "step",
                    text=text,
                    closes=bool(stage and stage.terminal),
                    # The step that records the agreement: the binding notice says it.
                    records_agreement=bool(
                        transition and Effect.RECORD_AGREEMENT in transition.effects
                    ),
                )
    elif kind == EventKind.FEEDBACK and party.value in data.get("invited", ()):
        from accord.mediation.models import Feedback

        # Invited (the case policy chose who, when the case closed), and still asked.
        row = Feedback.objects.filter(case=case, party=party.value).first()
        if policy.feedback_refusal(st, party, row) is None:
            digest.add("feedback")
    elif kind == EventKind.LETTER_SENT and data.get("recipient") == party.value:
        # The letter is its own e-mail, threaded with these; the step it reports is
        # told by the letter, so the window's step notices are left out (see fold).
        digest.letters.append(str(data.get("kind", "")))


def _terms(case: Case, party: Party, agreement_id: Any) -> list[dict[str, Any]]:
    """The binding agreement's obligations, as both sides confirmed them: who does what
    by when, `party`'s own called theirs, the other side named as `party` may know it."""
    from accord.mediation.models import Obligation

    other = disclosure.other_side_named(case, party)
    obligations = Obligation.objects.filter(agreement__case=case, agreement_id=agreement_id)
    return [
        {"yours": o.party == party.value, "who": other, "what": o.what, "due_on": o.due_on}
        for o in obligations.order_by("due_on", "pk")
    ]


STAFF_TOLD: dict[str, str] = {
    EventKind.MESSAGE: "wrote",
    EventKind.DOCUMENT: "document",
    EventKind.CONSENT_SIGNED: "consent_signed",
    EventKind.CONSENT_WITHDRAWN: "consent_withdrawn",
    EventKind.PROPOSAL_SUBMITTED: "proposal_submitted",
    EventKind.PROPOSAL_ANSWERED: "proposal_answered",
    EventKind.AGREEMENT_CONFIRMED: "agreement_confirmed",
    EventKind.OBLIGATION: "obligation_confirmed",
    EventKind.TRANSITION: "party_step",
}


def _owed_by(case: Case, event: Event) -> list[str]:
    """The letters a step taken by a party or the system left owed (they do not write
    letters) and that are still not sent, as staff read them."""
    if event.kind != EventKind.TRANSITION or event.actor_role not in {*PARTY_VALUES, "system"}:
        return []
    if not event.data.get("letters_owed"):
        return []
    from accord.letters.owed import outstanding, owed_words

    return owed_words(case, [o for o in outstanding(case) if o.step_seq == event.seq])


def _for_staff(case: Case, event: Event, digest: Digest) -> None:
    if event.kind == EventKind.ASSIGNED and event.data.get("handler"):
        digest.add("assigned")
        return
    owed = _owed_by(case, event)
    if owed:
        digest.add("letter_owed", letters=owed)
    if event.actor_role in PARTY_VALUES and event.kind in STAFF_TOLD:
        who = Party(event.actor_role)
        item: dict[str, Any] = {"party": who.value}
        if event.kind == EventKind.TRANSITION:
            transition = engine.procedure_of(case).transitions.get(event.action)
            item["step"] = transition.label if transition else event.action
        digest.add(STAFF_TOLD[event.kind], **item)


def derive(case: Case, events: Iterable[Event]) -> list[Digest]:
    """One digest per audience with something to tell (staff last)."""
    parties = [party for party in Party if told_of_case(case, party)]
    digests = {party.value: Digest(party.value) for party in parties}
    staff = Digest(STAFF)
    for event in events:
        for party in parties:
            _for_party(case, party, event, digests[party.value])
        _for_staff(case, event, staff)
    for digest in digests.values():
        if digest.letters:
            digest.items = [item for item in digest.items if item["kind"] != "step"]
        if LetterKind.FEEDBACK_REQUEST in digest.letters:
            # The letter asks for the feedback itself, in its own e-mail.
            digest.items = [item for item in digest.items if item["kind"] != "feedback"]
        if any(item["kind"] == "agreement_binding" for item in digest.items):
            # Drawn up and confirmed in one window: nothing is left to confirm; and the
            # step that records the agreement repeats it.
            digest.items = [
                item
                for item in digest.items
                if item["kind"] != "agreement" and not item.get("records_agreement")
            ]
        # The invitation to give feedback says the case closed, unless a step just did.
        closing_told = any(item.get("closes") for item in digest.items)
        for item in digest.items:
            if item["kind"] == "feedback":
                item["closing_told"] = closing_told
    business = digests.get(Party.RESPONDENT.value)
    # Its first e-mail says what the case is, whichever event opened the case to it
    # (one in a window that had nothing else to tell it, such as accepting the case).
    if (
        business is not None
        and business.items
        and not any(item["kind"] == "opened" for item in business.items)
        and not _told_before(case, Party.RESPONDENT)
    ):
        business.items.insert(0, {"kind": "opened"})
    return [d for d in [*digests.values(), staff] if d.items]


def _told_before(case: Case, party: Party) -> bool:
    from accord.outbox.models import OutboundMessage

    return OutboundMessage.objects.filter(case=case, purpose=f"notice:{party.value}").exists()
