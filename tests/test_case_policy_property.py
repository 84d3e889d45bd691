"""The case policy, as a property: the sealed shuttle of tests/test_sealed_threads_property.py
extended to everything a mediation case holds. Random sequences of acts by the two
parties and the staff, on two OCCS cases against the same practice that start unknown
to it, all through the JSON API as a user would: messages and relays (as written and
edited), proposals the mediator puts, answers with private notes, a party's own
proposals and counters (held; the mediator puts them as written, edited, or declines
them with a reason), agreements (drafts, redrafts, each side's confirmation, binding)
and their obligations, records requests, consent signed and withdrawn, opening the case
to the business, the safeguarding flag, internal notes, letters, every step of the
procedure including each of its outcomes (referral to the regulator and out of remit
among them), the sweep's feedback invitations and the feedback given.

Every text anyone writes carries a fresh token, and the model knows who may read it:
its author's side, and the other side only once the mediator passed it on (a relay as
written, a party's proposal put as written); what the mediator writes reaches the side
it is addressed to; notes and flags' reasons reach no party, and staff's reasons for a
step only the complainant, through the step's letters to them. After each step
every output each party can reach on the case acted on is read — the JSON of every
endpoint a party can call, its case page and case list (HTML), and every e-mail queued
to its addresses — and must hold no token that side may not read; the business's must
name no outcome, step or letter it is not told of (referred to the regulator, out of
remit, safeguarding); and before the case is opened to the business it gets 404 from
every endpoint and page of it, no line in its case list and no e-mail about it.

CI (CI set) runs MIN_STEPS_CI steps; a local run MIN_STEPS_LOCAL unless
ACCORD_POLICY_STEPS says otherwise; either is cut into PARTS tests, which the test
processes share, each from its own fixed seed (`sealed_machinery.seed_for`: CI replays
what ran before it landed; ACCORD_PROPERTY_SEED=random explores). (The staff-only endpoints, letters and e-mails of a case, are tried by
both parties whenever the case's opening to the business changes and at the end, not
after every step: only the opening changes their answer.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import time
from typing import Any, ClassVar

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from accord.accounts.models import User
from accord.cases import engine
from accord.cases.models import Case
from accord.mediation.choices import MONEY_KINDS, Party, ProposalKind
from accord.mediation.consent import publish_form
from accord.mediation.feedback import invite_closed_cases
from accord.mediation.models import Message
from accord.notifications.tasks import fold_notices
from accord.organisations.models import Business, Organisation
from accord.outbox.models import OutboundMessage
from accord.outbox.queue import party_addresses
from accord.procedures.definition import Effect, Procedure
from accord.procedures.wording import party_wording
from tests.conftest import ApiClient, complaint_body, london, make_staff
from tests.sealed_machinery import TOKEN_PREFIX, run_steps, seed_for, with_token

pytestmark = pytest.mark.django_db

AT = london(2026, 12, 8, 10)  # OCCS v3: acceptance opens the case to the practice
ANSWER_BY = (AT + dt.timedelta(days=14)).date().isoformat()
DUE_ON = (AT + dt.timedelta(days=21)).date().isoformat()
MIN_STEPS_CI = 10_000
MIN_STEPS_LOCAL = 300
MIN_STEPS = int(
    os.environ.get("ACCORD_POLICY_STEPS", MIN_STEPS_CI if os.environ.get("CI") else MIN_STEPS_LOCAL)
)
# The run is cut in parts, each its own test with its own world and random examples,
# so that the test processes (pytest -n) share them.
PARTS = 8
STEPS_PER_EXAMPLE = 60
CLOSING_AFTER = 20  # steps of an example before a case may be closed

C, R = Party.COMPLAINANT.value, Party.RESPONDENT.value
CASES = ("A", "B")
STAFF = ("handler", "senior_handler", "manager")
HANDLERS = ("handler", "senior_handler")
TOKEN = re.compile(re.escape(TOKEN_PREFIX) + r"[0-9a-f]{32}")

WORDS = st.sampled_from(["We offer a remake.", "No.", "Fine by us", "They were rude.", "ok"])
PARTIES = st.sampled_from((C, R))
PICK = st.integers(min_value=0, max_value=1_000)
KINDS = st.sampled_from([k.value for k in ProposalKind])

# Who may read a text: a set of (case, party).
Readers = set[tuple[str, str]]


@dataclasses.dataclass(frozen=True)
class Actor:
    name: str
    user: User
    api: ApiClient
    pages: Client  # signed in, for the parties' pages


@dataclasses.dataclass(frozen=True)
class World:
    actors: dict[str, Actor]
    cases: dict[str, Case]
    complainants: dict[str, str]  # case -> the actor who complained
    written: dict[str, Readers]  # tokens written when the cases were made
    addresses: dict[tuple[str, str], set[str]]  # (case, party) -> its e-mail addresses
    hidden: tuple[str, ...]  # what the business is never told, in any output

    def reference(self, case: str) -> str:
        return self.cases[case].reference


def hidden_from_business(procedure: Procedure) -> tuple[str, ...]:
    """The keys and labels of the outcomes the business is not told of, of the steps
    that close a case with them and of the letters those steps send."""
    outcomes = [key for key, o in procedure.outcomes.items() if not o.disclosed_to_respondent]
    words = {"safeguarding_concern"}
    for key in outcomes:
        words |= {key, procedure.outcomes[key].label}
    for key, transition in procedure.transitions.items():
        if set(transition.outcomes) & set(outcomes):
            words |= {key, transition.label}
            for letter in transition.letters:
                words |= {letter, procedure.letters[letter]}
    return tuple(sorted(words))


def terms(kind: str, words: str) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": kind, "description": words, "answer_by": ANSWER_BY}
    if kind in MONEY_KINDS:
        body["amount"] = "40.00"
    return body


@dataclasses.dataclass
class Model:
    """What the machine knows of one case."""

    opened: bool = False
    referred: bool = False
    safeguarding: bool = False
    closed: bool = False
    consent: bool = False
    messages: list[tuple[int, str, str]] = dataclasses.field(default_factory=list)
    proposals: list[int] = dataclasses.field(default_factory=list)
    submissions: list[tuple[int, str, str]] = dataclasses.field(default_factory=list)
    agreements: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    obligations: list[tuple[int, str]] = dataclasses.field(default_factory=list)
    records: list[int] = dataclasses.field(default_factory=list)

    @property
    def concealed(self) -> bool:
        return self.referred or self.safeguarding


class CasePolicy(RuleBasedStateMachine):
    world: ClassVar[World]
    steps_run: ClassVar[int] = 0
    outputs_read: ClassVar[int] = 0
    reads: ClassVar[int] = 0
    read_seconds: ClassVar[float] = 0.0

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        assert not Message.objects.exists(), "the previous example was not rolled back"
        self.readers: dict[str, Readers] = {t: set(r) for t, r in self.world.written.items()}
        self.model = {case: Model() for case in CASES}
        self.steps = 0
        self.acted_on: str | None = None
        self.last_changes: tuple[Any, ...] = ()
        # Whether each case was open to the business when its staff-only endpoints were
        # last tried by the parties (tried again whenever that changes, and at the end).
        self.access_checked: dict[str, bool | None] = {case: None for case in CASES}

    def teardown(self) -> None:
        try:
            for case in CASES:
                self.access_checked[case] = None
                self.read_every_output(case)
        finally:
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

    # --- The model ---------------------------------------------------------------------

    def begin(self, case: str) -> Model:
        self.steps += 1
        type(self).steps_run += 1
        self.acted_on = case
        return self.model[case]

    def wrote(self, text: str, *readers: tuple[str, str]) -> None:
        for token in TOKEN.findall(text):
            self.readers.setdefault(token, set()).update(readers)

    def actor(self, name: str, case: str) -> Actor:
        if name == "complainant":
            name = self.world.complainants[case]
        return self.world.actors[name]

    def party_actor(self, party: str, case: str) -> Actor:
        return self.actor("complainant" if party == C else "respondent_rep", case)

    def call(self, who: Actor, case: str, path: str, body: Any = None) -> Any:
        """POST as `who` on `case`; the business gets 404 on a case not open to it, and
        nothing ever answers 5xx."""
        response = who.api.post(f"/cases/{self.world.reference(case)}{path}", body)
        assert response.status_code < 500, (path, response.content)
        if who.name == "respondent_rep" and not self.model[case].opened:
            assert response.status_code == 404, (path, response.content)
        return response

    def reach(self, model: Model) -> None:
        """An act addressed to the business went through: the case is open to it (it
        may not be opened once concealed; a case open already stays open)."""
        assert model.opened or not model.concealed, "a concealed case was opened to the business"
        model.opened = True

    # --- Threads -----------------------------------------------------------------------

    @rule(
        actor=st.sampled_from(("complainant", "respondent_rep", *HANDLERS)),
        case=st.sampled_from(CASES),
        party=PARTIES,
        words=WORDS,
    )
    def post(self, actor: str, case: str, party: str, words: str) -> None:
        model = self.begin(case)
        who = self.actor(actor, case)
        body = with_token(words)
        response = self.call(who, case, f"/threads/{party}/messages", {"body": body})
        if response.status_code == 201:
            self.wrote(body, (case, party))
            model.messages.append((response.json()["id"], party, body))
            if party == R:
                self.reach(model)

    @rule(
        actor=st.sampled_from(HANDLERS),
        case=st.sampled_from(CASES),
        pick=PICK,
        edit=st.none() | WORDS,
    )
    def relay(self, actor: str, case: str, pick: int, edit: str | None) -> None:
        model = self.begin(case)
        if not model.messages:
            return
        message_id, party, body = model.messages[pick % len(model.messages)]
        payload: dict[str, Any] = {"message_id": message_id}
        if edit is not None:
            payload["body"] = with_token(edit)
        response = self.call(self.actor(actor, case), case, "/relay", payload)
        if response.status_code == 201:
            target = R if party == C else C
            text = payload.get("body", body)
            self.wrote(text, (case, target))
            model.messages.append((response.json()["id"], target, text))
            self.reach(model)

    # --- Staff: notes, flags, opening, steps, letters ----------------------------------

    @rule(actor=st.sampled_from(STAFF), case=st.sampled_from(CASES), words=WORDS)
    def note(self, actor: str, case: str, words: str) -> None:
        self.begin(case)
        text = with_token(words)
        self.call(self.actor(actor, case), case, "/notes", {"text": text})
        self.wrote(text)  # nobody's to read

    @rule(case=st.sampled_from(CASES), on=st.booleans(), words=WORDS)
    def flag_safeguarding(self, case: str, on: bool, words: str) -> None:
        model = self.begin(case)
        reason = with_token(words)
        response = self.call(
            self.actor("handler", case),
            case,
            "/flags",
            {"safeguarding_concern": on, "reason": reason},
        )
        self.wrote(reason)
        if response.status_code == 200:
            model.safeguarding = on

    @rule(actor=st.sampled_from(HANDLERS), case=st.sampled_from(CASES))
    def open_to_business(self, actor: str, case: str) -> None:
        model = self.begin(case)
        response = self.call(self.actor(actor, case), case, "/open-to-respondent")
        expected = not (model.opened or model.closed or model.concealed)
        assert (response.status_code == 200) == expected, response.content
        if expected:
            model.opened = True

    @rule(
        actor=st.sampled_from(("complainant", *STAFF)),
        case=st.sampled_from(CASES),
        pick=PICK,
        words=WORDS,
    )
    def step(self, actor: str, case: str, pick: int, words: str) -> None:
        """A step of the procedure that leaves the case open."""
        self.take_a_step(actor, case, pick, words, closing=False)

    @precondition(lambda self: self.steps >= CLOSING_AFTER)
    @rule(
        actor=st.sampled_from(("complainant", *STAFF)),
        case=st.sampled_from(CASES),
        pick=PICK,
        words=WORDS,
    )
    def close(self, actor: str, case: str, pick: int, words: str) -> None:
        """A step that closes the case, with whichever outcome it has."""
        self.take_a_step(actor, case, pick, words, closing=True)

    def take_a_step(self, actor: str, case: str, pick: int, words: str, *, closing: bool) -> None:
        model = self.begin(case)
        who = self.actor(actor, case)
        made = Case.objects.select_related("organisation", "complainant", "respondent").get(
            pk=self.world.cases[case].pk
        )
        procedure = engine.procedure_of(made)
        offered = [
            key
            for key in engine.allowed_steps(made, who.user, AT)
            if procedure.stages[procedure.transitions[key].to or made.stage].terminal == closing
        ]
        if not offered:
            return
        key = offered[pick % len(offered)]
        reason = with_token(words)
        response = self.call(who, case, f"/steps/{key}", {"reason": reason})
        assert response.status_code == 200, (key, response.content)
        transition = procedure.transitions[key]
        # The complainant's own reason is theirs to read; staff's reasons go into the
        # step's letters to the complainant (the step form says so), and else to nobody.
        # The business never reads them.
        to_complainant = any(
            C in {role.value for role in party_wording(procedure).letter(name).to}
            for name in transition.letters
        )
        self.wrote(reason, *([(case, C)] if actor == "complainant" or to_complainant else []))
        if Effect.RECORD_REGULATOR_REFERRAL in transition.effects:
            model.referred = True
        if Effect.OPEN_TO_RESPONDENT in transition.effects and not model.concealed:
            model.opened = True
        model.closed = closing

    @rule(
        actor=st.sampled_from(STAFF),
        case=st.sampled_from(CASES),
        pick=PICK,
        recipient=PARTIES,
        words=WORDS,
    )
    def send_letter(self, actor: str, case: str, pick: int, recipient: str, words: str) -> None:
        """Any of the procedure's letters, to either party (refused if incomplete)."""
        model = self.begin(case)
        procedure = engine.procedure_of(self.world.cases[case])
        names = sorted(procedure.letters)
        text = with_token(words)
        fields = {
            field: text
            for field in ("reason", "outcome", "remedy", "timeframe", "update", "summary")
        }
        fields["anticipated_date"] = DUE_ON
        response = self.world.actors[actor].api.post(
            f"/letters/cases/{self.world.reference(case)}/send",
            {"name": names[pick % len(names)], "recipient": recipient, "fields": fields},
        )
        assert response.status_code < 500, response.content
        if response.status_code == 201:
            self.wrote(text, (case, recipient))
            if recipient == R:
                self.reach(model)

    # --- Consent and records -----------------------------------------------------------

    @rule(case=st.sampled_from(CASES), share=st.sets(st.sampled_from(("address", "email"))))
    def sign_consent(self, case: str, share: set[str]) -> None:
        model = self.begin(case)
        who = self.actor("complainant", case)
        form = who.api.get(f"/cases/{self.world.reference(case)}/consent-form").json()
        response = self.call(
            who,
            case,
            "/consent",
            {
                "form_version": form["version"],
                "typed_name": self.world.cases[case].complainant.name,
                "ticked": True,
                "share": sorted(share),
            },
        )
        if response.status_code == 201:
            model.consent = True

    @rule(case=st.sampled_from(CASES), words=WORDS)
    def withdraw_consent(self, case: str, words: str) -> None:
        model = self.begin(case)
        reason = with_token(words)
        response = self.call(
            self.actor("complainant", case), case, "/consent/withdraw", {"reason": reason}
        )
        self.wrote(reason, (case, C))
        assert (response.status_code == 200) == model.consent, response.content
        model.consent = False

    @rule(actor=st.sampled_from(HANDLERS), case=st.sampled_from(CASES), words=WORDS)
    def request_records(self, actor: str, case: str, words: str) -> None:
        model = self.begin(case)
        what = with_token(words)
        response = self.call(
            self.actor(actor, case), case, "/records-requests", {"what": what, "due_on": DUE_ON}
        )
        if response.status_code == 201:
            self.wrote(what, (case, R))
            model.records.append(response.json()["id"])
            self.reach(model)

    @rule(actor=st.sampled_from(HANDLERS), case=st.sampled_from(CASES), pick=PICK)
    def fulfil_records(self, actor: str, case: str, pick: int) -> None:
        model = self.begin(case)
        if model.records:
            request = model.records[pick % len(model.records)]
            self.call(self.actor(actor, case), case, f"/records-requests/{request}/fulfilled")

    # --- Proposals ---------------------------------------------------------------------

    @rule(
        actor=st.sampled_from(HANDLERS),
        case=st.sampled_from(CASES),
        source=st.sampled_from(("handler", C, R)),
        kind=KINDS,
        words=WORDS,
    )
    def put_proposal(self, actor: str, case: str, source: str, kind: str, words: str) -> None:
        model = self.begin(case)
        description = with_token(words)
        response = self.call(
            self.actor(actor, case),
            case,
            "/proposals",
            {"source": source, **terms(kind, description)},
        )
        if response.status_code == 201:
            self.wrote(description, (case, C), (case, R))
            model.proposals.append(response.json()["id"])
            self.reach(model)

    @rule(
        case=st.sampled_from(CASES),
        party=PARTIES,
        pick=PICK,
        answer=st.sampled_from(("accept", "accept", "accept", "reject", "counter")),
        note=WORDS,
        kind=KINDS,
        counter=WORDS,
    )
    def answer(
        self, case: str, party: str, pick: int, answer: str, note: str, kind: str, counter: str
    ) -> None:
        model = self.begin(case)
        if not model.proposals:
            return
        proposal = model.proposals[pick % len(model.proposals)]
        body: dict[str, Any] = {"answer": answer, "note": with_token(note)}
        if answer == "counter":
            body["counter"] = terms(kind, with_token(counter))
        response = self.call(
            self.party_actor(party, case), case, f"/proposals/{proposal}/answers/{party}", body
        )
        self.wrote(body["note"], (case, party))
        if "counter" in body:
            self.wrote(body["counter"]["description"], (case, party))
        if response.status_code == 201 and response.json()["counter"] is not None:
            held = response.json()["counter"]["id"]
            model.submissions.append((held, party, body["counter"]["description"]))

    @rule(case=st.sampled_from(CASES), party=PARTIES, kind=KINDS, words=WORDS)
    def submit_own_proposal(self, case: str, party: str, kind: str, words: str) -> None:
        model = self.begin(case)
        description = with_token(words)
        response = self.call(
            self.party_actor(party, case),
            case,
            f"/proposal-submissions/{party}",
            terms(kind, description),
        )
        self.wrote(description, (case, party))
        if response.status_code == 201:
            model.submissions.append((response.json()["id"], party, description))

    @rule(
        actor=st.sampled_from(HANDLERS),
        case=st.sampled_from(CASES),
        pick=PICK,
        edit=st.none() | WORDS,
        kind=KINDS,
    )
    def put_submission(self, actor: str, case: str, pick: int, edit: str | None, kind: str) -> None:
        model = self.begin(case)
        if not model.submissions:
            return
        held, _author, description = model.submissions[pick % len(model.submissions)]
        body: dict[str, Any] = {}
        if edit is not None:
            body["terms"] = terms(kind, with_token(edit))
        response = self.call(
            self.actor(actor, case), case, f"/proposal-submissions/{held}/put", body
        )
        if response.status_code == 201:
            put = body["terms"]["description"] if edit is not None else description
            self.wrote(put, (case, C), (case, R))
            model.proposals.append(response.json()["id"])
            self.reach(model)

    @rule(actor=st.sampled_from(HANDLERS), case=st.sampled_from(CASES), pick=PICK, words=WORDS)
    def decline_submission(self, actor: str, case: str, pick: int, words: str) -> None:
        model = self.begin(case)
        if not model.submissions:
            return
        held, party, _ = model.submissions[pick % len(model.submissions)]
        reason = with_token(words)
        self.call(
            self.actor(actor, case),
            case,
            f"/proposal-submissions/{held}/decline",
            {"reason": reason},
        )
        self.wrote(reason, (case, party))  # for its author only

    # --- Agreements, obligations, feedback ---------------------------------------------

    @rule(
        actor=st.sampled_from(HANDLERS),
        case=st.sampled_from(CASES),
        pick=PICK,
        parties=st.lists(PARTIES, min_size=1, max_size=2),
        words=WORDS,
    )
    def draw_up(self, actor: str, case: str, pick: int, parties: list[str], words: str) -> None:
        """The mediator draws up (or redraws) the agreement of a proposal."""
        model = self.begin(case)
        if not model.proposals:
            return
        proposal = model.proposals[pick % len(model.proposals)]
        obligations = [{"party": p, "what": with_token(words), "due_on": DUE_ON} for p in parties]
        response = self.call(
            self.actor(actor, case),
            case,
            "/agreements",
            {"proposal_id": proposal, "obligations": obligations},
        )
        if response.status_code == 201:
            for obligation in obligations:
                self.wrote(obligation["what"], (case, C), (case, R))
            made = response.json()
            model.agreements.append((made["id"], made["document_sha256"]))
            model.obligations += [(o["id"], o["party"]) for o in made["obligations"]]

    @rule(case=st.sampled_from(CASES), party=PARTIES, pick=PICK)
    def confirm_agreement(self, case: str, party: str, pick: int) -> None:
        model = self.begin(case)
        if model.agreements:
            agreement, sha = model.agreements[pick % len(model.agreements)]
            self.call(
                self.party_actor(party, case),
                case,
                f"/agreements/{agreement}/confirmations/{party}",
                {"document_sha256": sha},
            )

    @rule(case=st.sampled_from(CASES), party=PARTIES, pick=PICK)
    def confirm_obligation(self, case: str, party: str, pick: int) -> None:
        model = self.begin(case)
        if model.obligations:
            obligation, _ = model.obligations[pick % len(model.obligations)]
            self.call(
                self.party_actor(party, case), case, f"/obligations/{obligation}/done/{party}"
            )

    @rule(case=st.sampled_from(CASES))
    def sweep_feedback(self, case: str) -> None:
        """The sweep invites the parties of closed cases to give feedback, by e-mail (the
        case's notices, folded at once)."""
        self.begin(case)
        if invite_closed_cases(AT + dt.timedelta(minutes=1)):
            for made in self.world.cases.values():
                fold_notices.call(made.pk)

    @rule(case=st.sampled_from(CASES), party=PARTIES, rating=st.integers(1, 5), words=WORDS)
    def give_feedback(self, case: str, party: str, rating: int, words: str) -> None:
        self.begin(case)
        comment = with_token(words)
        self.call(
            self.party_actor(party, case),
            case,
            f"/feedback/{party}",
            {"rating": rating, "comment": comment},
        )
        self.wrote(comment, (case, party))

    # --- Reading, after every step -----------------------------------------------------

    @invariant()
    def the_case_is_open_to_the_business_exactly_when_the_model_says(self) -> None:
        opened = dict(
            Case.objects.filter(pk__in=[c.pk for c in self.world.cases.values()]).values_list(
                "reference", "opened_to_respondent_at"
            )
        )
        for case in CASES:
            assert (opened[self.world.reference(case)] is not None) == self.model[case].opened, case

    def changes(self) -> tuple[Any, ...]:
        """What any change to a case shows in: its events (every change is one event in
        the timeline, in the same transaction) and the e-mails queued."""
        events = Case.objects.filter(pk__in=[c.pk for c in self.world.cases.values()])
        return (
            tuple(events.order_by("pk").values_list("event_count", flat=True)),
            OutboundMessage.objects.count(),
        )

    @invariant()
    def no_party_output_of_the_case_acted_on_leaks(self) -> None:
        """Every output of both parties of the case acted on, read again after each step
        that changed anything (a refused act changes nothing: no event, no e-mail, and
        the opening invariant and the stored rows are unchanged)."""
        if self.acted_on is None:
            return
        now = self.changes()
        if now != self.last_changes:
            self.read_every_output(self.acted_on)
            self.last_changes = now

    def read_every_output(self, case: str) -> None:
        started = time.process_time()
        access = self.access_checked[case] != self.model[case].opened
        for party in (C, R):
            self.read_outputs(self.party_actor(party, case), case, party, access=access)
        self.access_checked[case] = self.model[case].opened
        type(self).reads += 1
        type(self).read_seconds += time.process_time() - started

    def forbidden(self, readers: Readers) -> set[str]:
        return {token for token, allowed in self.readers.items() if not allowed & readers}

    def check(self, text: str, readers: Readers, business: bool, where: str) -> None:
        type(self).outputs_read += 1
        leaked = set(TOKEN.findall(text)) & self.forbidden(readers)
        assert not leaked, (where, readers, sorted(leaked))
        if business:
            told = [word for word in self.world.hidden if word in text]
            assert not told, (where, told)

    def read_outputs(self, who: Actor, case: str, party: str, *, access: bool) -> None:
        reference = self.world.reference(case)
        business = party == R
        readers = {(case, party)}
        paths = [
            f"/cases/{reference}",
            f"/cases/{reference}/threads",
            f"/cases/{reference}/documents",
            f"/cases/{reference}/proposals",
            f"/cases/{reference}/proposal-submissions",
            f"/cases/{reference}/agreements",
            f"/cases/{reference}/feedback",
        ]
        hidden = business and not self.model[case].opened
        responses = [(path, who.api.get(path)) for path in paths]
        if not hidden and responses[5][1].status_code == 200:
            for agreement in responses[5][1].json():
                path = f"/cases/{reference}/agreements/{agreement['id']}/document"
                responses.append((path, who.api.get(path)))
        for path, response in responses:
            if hidden:
                assert response.status_code == 404, (path, response.content)
            else:
                assert response.status_code == 200, (path, response.content)
            self.check(response.content.decode(), readers, business, path)
        # Staff's only: the letters and the e-mails of the case (404 while the case is
        # hidden from the business, else 403), tried whenever that could have changed.
        if access:
            for path in (f"/letters/cases/{reference}", f"/outbox/cases/{reference}"):
                assert who.api.get(path).status_code == (404 if hidden else 403), path
        page = who.pages.get(f"/my/cases/{reference}/")
        assert page.status_code == (404 if hidden else 200), page.status_code
        self.check(page.content.decode(), readers, business, "case page")
        listing = who.pages.get("/my/cases/")
        assert listing.status_code == 200
        listed = listing.content.decode()
        assert (reference in listed) == (not hidden), "case list"
        own = {(c, party) for c in CASES if self.party_actor(party, c) == who}
        self.check(listed, own, business, "case list")
        addresses = self.world.addresses[(case, party)]
        for email in OutboundMessage.objects.filter(case=self.world.cases[case]):
            if {a.lower() for a in email.to} & addresses:
                assert not hidden, ("an e-mail to the business on a case not open to it", email)
                self.check(
                    f"{email.subject}\n{email.text}\n{email.html}",
                    readers,
                    business,
                    f"e-mail {email.purpose}",
                )


@pytest.fixture
def world(organisations: dict[str, Organisation]) -> World:
    """Two OCCS cases against the same practice, each with its own complainant, neither
    open to the practice yet; its representative is the business on both."""
    occs = organisations["occs"]
    practice = Business.objects.filter(organisation=occs).order_by("pk").first()
    assert practice is not None
    publish_form(
        occs,
        title="Consent to release records",
        text="I consent to the practice releasing my optical records to the mediator.",
        effective_from=dt.date(2020, 1, 1),
    )
    cases: dict[str, Case] = {}
    users: dict[str, User] = {}
    written: dict[str, Readers] = {}
    with time_machine.travel(AT, tick=False):
        for case, name in (("A", "Alex Morgan"), ("B", "Blake Rivers")):
            email = f"{name.split()[0].lower()}@example.com"
            description = with_token("My glasses were made to the wrong prescription.")
            desired = with_token("A remake.")
            response = ApiClient().post(
                "/organisations/occs/complaints",
                complaint_body(
                    complainant={"name": name, "email": email},
                    respondent_id=practice.pk,
                    description=description,
                    desired_outcome=desired,
                ),
            )
            assert response.status_code == 201, response.content
            for text in (description, desired):
                for token in TOKEN.findall(text):
                    written[token] = {(case, C)}
            cases[case] = Case.objects.select_related("complainant").get(
                reference=response.json()["reference"]
            )
            consumer = User.objects.create_user(f"consumer-{case}", email=email)
            cases[case].complainant.user = consumer
            cases[case].complainant.save()
            users[f"complainant_{case.lower()}"] = consumer
    users |= {
        "respondent_rep": User.objects.create_user(
            "rep", business=practice, email="rep@practice.example"
        ),
        "handler": make_staff(occs, "handler", "handler"),
        "senior_handler": make_staff(occs, "senior_handler", "senior"),
        "manager": make_staff(occs, "manager", "manager"),
    }
    actors = {}
    for name, user in users.items():
        pages = Client()
        pages.force_login(user)
        actors[name] = Actor(name=name, user=user, api=ApiClient(user), pages=pages)
    addresses: dict[tuple[str, str], set[str]] = {}
    for case, made in cases.items():
        complainant, respondent = party_addresses(made.pk)
        addresses[(case, C)], addresses[(case, R)] = complainant, respondent
    return World(
        actors=actors,
        cases=cases,
        complainants={"A": "complainant_a", "B": "complainant_b"},
        written=written,
        addresses=addresses,
        hidden=hidden_from_business(engine.procedure_of(cases["A"])),
    )


def test_the_hidden_words_are_found_where_they_should_be(world: World) -> None:
    """The words the business must never read are the ones of the pack (so the check
    below is not vacuous)."""
    assert "referred_to_regulator" in world.hidden
    assert "out_of_remit" in world.hidden
    assert "Referred to the regulator (serious concern or safeguarding)" in world.hidden
    assert "resolved_by_agreement" not in world.hidden


@pytest.mark.slow
@pytest.mark.parametrize("part", range(PARTS))
def test_no_party_output_ever_holds_what_the_mediator_did_not_pass_on(
    world: World, part: int
) -> None:
    CasePolicy.world = world
    CasePolicy.steps_run = CasePolicy.outputs_read = CasePolicy.reads = 0
    CasePolicy.read_seconds = 0.0
    steps = -(-MIN_STEPS // PARTS)
    with time_machine.travel(AT, tick=False):
        run_steps(CasePolicy, steps, STEPS_PER_EXAMPLE, seed_for(part))
    assert CasePolicy.steps_run >= steps
    print(
        f"{CasePolicy.steps_run} steps, {CasePolicy.reads} reads of every output of a case"
        f" ({CasePolicy.outputs_read} outputs) in {CasePolicy.read_seconds:.1f} s"
    )
