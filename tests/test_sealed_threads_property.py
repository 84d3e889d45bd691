"""Sealed threads, as a property: random sequences of posts and relays by every role on
two cases, checked after every step against a model of what each one may read. A party
reads exactly its own thread (its own messages, staff's to it and the copies relayed
into it): never the other party's originals, never the words an edited relay left out,
nothing of the other case. Strangers get 404, anonymous callers 401, and a refusal
stores nothing.

Every body carries a fresh token, so a leak anywhere in the JSON a reader gets (threads
or case detail) is found by substring. Each example runs in a savepoint rolled back at
its end; the organisations, users and cases are made once.

What is read after a step, to keep 10,000 steps near two minutes (a request costs
several milliseconds here): `visible_messages` for every actor on the case the step
acted on, and on both cases every API_READ_EVERY steps; the count of messages stored;
and, every API_READ_EVERY steps, the API (threads and case detail) as read by the
(actor, case) the step drew. A message stored in the wrong place shows at once (the
case acted on lacks it, or the count is off); a read path gone wrong for the other case
shows the next time that case is acted on, as nothing is ever deleted.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
)

from accord.accounts.models import User
from accord.cases.models import Case
from accord.mediation.choices import Party
from accord.mediation.models import Message
from accord.mediation.visibility import visible_messages
from accord.organisations.models import Business, Organisation
from tests.conftest import ApiClient, complaint_body, london, make_staff, open_to_business
from tests.sealed_machinery import run_steps, seed_for, tokens_in, with_token

pytestmark = pytest.mark.django_db

AT = london(2026, 12, 1, 10)
MIN_STEPS = 10_000
STEPS_PER_EXAMPLE = 50
API_READ_EVERY = 10

# How an actor stands on a case.
STAFF = "staff"
STRANGER = "stranger"
ANONYMOUS = "anonymous"

CASES = ("A", "B")
COMPLAINANT, RESPONDENT = Party.COMPLAINANT.value, Party.RESPONDENT.value
ACTORS = (
    "complainant_a",  # the complainant of case A (a stranger to B)
    "complainant_b",  # the complainant of case B (a stranger to A)
    "respondent_rep",  # a representative of the practice both cases are against
    "other_business_rep",  # a representative of another practice of the same organisation
    "handler",
    "senior_handler",
    "manager",
    "other_org_senior",  # a senior handler of another organisation
    "anonymous",
)
STANDINGS: dict[str, dict[str, str]] = {
    "complainant_a": {"A": COMPLAINANT, "B": STRANGER},
    "complainant_b": {"A": STRANGER, "B": COMPLAINANT},
    "respondent_rep": {"A": RESPONDENT, "B": RESPONDENT},
    "other_business_rep": {"A": STRANGER, "B": STRANGER},
    "handler": {"A": STAFF, "B": STAFF},
    "senior_handler": {"A": STAFF, "B": STAFF},
    "manager": {"A": STAFF, "B": STAFF},
    "other_org_senior": {"A": STRANGER, "B": STRANGER},
    "anonymous": {"A": ANONYMOUS, "B": ANONYMOUS},
}
RELAYERS = frozenset({"handler", "senior_handler"})

WORDS = st.sampled_from(
    ["They were rude.", "We refunded £40.", "Offer: a remake", "No.", "See attached", "ok"]
)
READER = st.tuples(st.sampled_from(ACTORS), st.sampled_from(CASES))


@dataclasses.dataclass(frozen=True)
class Actor:
    name: str
    user: User | None  # None: an anonymous caller
    client: ApiClient
    standing: dict[str, str]  # case key -> STAFF, a party, STRANGER or ANONYMOUS
    staff_role: str | None  # for staff of the cases' organisation


@dataclasses.dataclass(frozen=True)
class World:
    actors: dict[str, Actor]
    cases: dict[str, Case]

    def reference(self, case: str) -> str:
        return self.cases[case].reference


@dataclasses.dataclass(frozen=True)
class Sent:
    """A message as the model knows it."""

    id: int
    case: str
    party: str  # whose thread it is in
    author_role: str
    body: str
    relayed_from: int | None = None
    relay_edited: bool = False

    def __repr__(self) -> str:
        return f"<#{self.id} in {self.case}/{self.party} by {self.author_role}>"

    def out(self) -> dict[str, Any]:
        """What the API should say of it (but sent_at: the clock is frozen)."""
        return {
            "id": self.id,
            "party": self.party,
            "author_role": self.author_role,
            "body": self.body,
            "without_prejudice": True,
            "relayed": self.relayed_from is not None,
            "relay_edited": self.relay_edited,
        }

    @property
    def tokens(self) -> set[str]:
        return tokens_in(self.body)


def without_time(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "sent_at"}


class SealedThreads(RuleBasedStateMachine):
    world: ClassVar[World]
    steps_run: ClassVar[int] = 0

    messages = Bundle("messages")

    def __init__(self) -> None:
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        assert not Message.objects.exists(), "the previous example was not rolled back"
        self.sent: list[Sent] = []
        self.steps = 0
        self.acted_on: str | None = None
        self.reader: tuple[str, str] | None = None

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # The model.

    def expected(self, who: Actor, case: str) -> list[Sent]:
        """What `who` may read on `case`, in order."""
        standing = who.standing[case]
        return [s for s in self.sent if s.case == case and standing in {STAFF, s.party}]

    @staticmethod
    def refusal(who: Actor, case: str) -> int | None:
        """The status of any call on `case` by someone who may not see it at all."""
        return {ANONYMOUS: 401, STRANGER: 404}.get(who.standing[case])

    def begin(self, case: str, then_read: tuple[str, str]) -> None:
        self.steps += 1
        type(self).steps_run += 1
        self.acted_on = case
        self.reader = then_read

    # Writing.

    @rule(
        target=messages,
        actor=st.sampled_from(ACTORS),
        case=st.sampled_from(CASES),
        party=st.sampled_from((COMPLAINANT, RESPONDENT)),
        words=WORDS,
        then_read=READER,
    )
    def post(
        self, actor: str, case: str, party: str, words: str, then_read: tuple[str, str]
    ) -> Any:
        """Anyone tries to write in either thread of either case: a party in its own
        thread only, staff in both."""
        self.begin(case, then_read)
        who = self.world.actors[actor]
        body = with_token(words)
        response = who.client.post(
            f"/cases/{self.world.reference(case)}/threads/{party}/messages", {"body": body}
        )
        standing = who.standing[case]
        expected = self.refusal(who, case) or (201 if standing in {STAFF, party} else 403)
        assert response.status_code == expected, response.content
        if expected != 201:
            return multiple()  # and the invariant checks nothing was stored
        data = response.json()
        sent = Sent(data["id"], case, party, who.staff_role or party, body)
        assert without_time(data) == sent.out()
        self.sent.append(sent)
        return sent

    @rule(
        target=messages,
        actor=st.sampled_from(ACTORS),
        case=st.sampled_from(CASES),
        original=messages,
        edit=st.none() | WORDS,
        then_read=READER,
    )
    def relay(
        self,
        actor: str,
        case: str,
        original: Sent,
        edit: str | None,
        then_read: tuple[str, str],
    ) -> Any:
        """Anyone tries to relay any message, of this case or the other, as written
        (edit None) or edited: only the case's handlers and senior handlers may, and
        only a message of that case."""
        return self.try_relay(actor, case, original, edit, then_read)

    @rule(
        target=messages,
        actor=st.sampled_from(sorted(RELAYERS)),
        original=messages,
        edit=st.none() | WORDS,
        then_read=READER,
    )
    def handler_relays(
        self, actor: str, original: Sent, edit: str | None, then_read: tuple[str, str]
    ) -> Any:
        """A handler or senior handler relays a message of its case (so that relays,
        relays of relays and edited relays are frequent, not one step in a hundred)."""
        return self.try_relay(actor, original.case, original, edit, then_read)

    def try_relay(
        self,
        actor: str,
        case: str,
        original: Sent,
        edit: str | None,
        then_read: tuple[str, str],
    ) -> Any:
        self.begin(case, then_read)
        who = self.world.actors[actor]
        body = None if edit is None else with_token(edit)
        payload: dict[str, Any] = {"message_id": original.id}
        if body is not None:
            payload["body"] = body
        response = who.client.post(f"/cases/{self.world.reference(case)}/relay", payload)
        expected = self.refusal(who, case) or (
            403 if actor not in RELAYERS else 422 if original.case != case else 201
        )
        assert response.status_code == expected, response.content
        if expected != 201:
            return multiple()
        target = RESPONDENT if original.party == COMPLAINANT else COMPLAINANT
        text = original.body if body is None else body
        data = response.json()
        copy = Sent(
            data["id"],
            case,
            target,
            who.staff_role or target,
            text,
            relayed_from=original.id,
            relay_edited=text != original.body,
        )
        assert without_time(data) == copy.out()
        self.sent.append(copy)
        return copy

    # Reading, after every step.

    @invariant()
    def nothing_is_stored_but_what_was_accepted(self) -> None:
        assert Message.objects.count() == len(self.sent)

    @invariant()
    def everyone_reads_exactly_the_model_through_visible_messages(self) -> None:
        cases: tuple[str, ...] = CASES
        if self.acted_on is not None and self.steps % API_READ_EVERY != 0:
            cases = (self.acted_on,)
        for who in self.world.actors.values():
            user: Any = who.user if who.user is not None else AnonymousUser()
            for case in cases:
                # Unordered: the order is the API's to check, and ORDER BY costs a third.
                read = (
                    visible_messages(user, self.world.cases[case])
                    .order_by()
                    .values_list("pk", "thread__party", "relayed_from_id")
                )
                assert set(read) == {
                    (s.id, s.party, s.relayed_from) for s in self.expected(who, case)
                }, (who.name, case)

    @invariant()
    def the_reader_the_step_drew_reads_exactly_the_model_through_the_api(self) -> None:
        if self.reader is not None and self.steps % API_READ_EVERY == 0:
            actor, case = self.reader
            self.read_api(self.world.actors[actor], case)

    def read_api(self, who: Actor, case: str) -> None:
        reference = self.world.reference(case)
        threads = who.client.get(f"/cases/{reference}/threads")
        detail = who.client.get(f"/cases/{reference}")
        refused = self.refusal(who, case)
        if refused is not None:
            assert (threads.status_code, detail.status_code) == (refused, refused), who.name
        else:
            assert threads.status_code == 200, threads.content
            by_party: dict[str, list[dict[str, Any]]] = {}
            for sent in self.expected(who, case):
                by_party.setdefault(sent.party, []).append(sent.out())
            assert [
                {"party": t["party"], "messages": [without_time(m) for m in t["messages"]]}
                for t in threads.json()
            ] == [{"party": party, "messages": by_party[party]} for party in sorted(by_party)]
            assert detail.status_code == 200, detail.content
            # A party gets the party view (no timeline); staff the whole case.
            assert ("timeline" in detail.json()) == (who.standing[case] == STAFF)
        allowed = {token for sent in self.expected(who, case) for token in sent.tokens}
        forbidden = {token for sent in self.sent for token in sent.tokens} - allowed
        for response in (threads, detail):
            text = response.content.decode()
            leaked = sorted(token for token in forbidden if token in text)
            assert not leaked, (who.name, case, response.request["PATH_INFO"], leaked)


@pytest.fixture
def world(organisations: dict[str, Organisation]) -> World:
    """Two OCCS cases against the same practice, each with its own complainant; that
    practice's representative is the respondent on both, another practice's on none."""
    occs = organisations["occs"]
    practice, other_practice = Business.objects.filter(organisation=occs).order_by("pk")
    cases: dict[str, Case] = {}
    users: dict[str, User | None] = {}
    with time_machine.travel(AT, tick=False):
        for case, name in (("A", "Alex Morgan"), ("B", "Blake Rivers")):
            email = f"{name.split()[0].lower()}@example.com"
            response = ApiClient().post(
                "/organisations/occs/complaints",
                complaint_body(
                    complainant={"name": name, "email": email}, respondent_id=practice.pk
                ),
            )
            assert response.status_code == 201, response.content
            cases[case] = Case.objects.select_related("complainant").get(
                reference=response.json()["reference"]
            )
            consumer = User.objects.create_user(f"consumer-{case}", email=email)
            cases[case].complainant.user = consumer
            cases[case].complainant.save()
            users[f"complainant_{case.lower()}"] = consumer
    users |= {
        "respondent_rep": User.objects.create_user("rep", business=practice),
        "other_business_rep": User.objects.create_user("other-rep", business=other_practice),
        "handler": make_staff(occs, "handler", "handler"),
        "senior_handler": make_staff(occs, "senior_handler", "senior"),
        "manager": make_staff(occs, "manager", "manager"),
        "other_org_senior": make_staff(organisations["optimised"], "senior_handler", "elsewhere"),
        "anonymous": None,
    }
    assert set(users) == set(ACTORS) == set(STANDINGS)
    # The model has the practice a party on both cases: the mediator opens them to it.
    mediator = users["handler"]
    assert mediator is not None
    for made in cases.values():
        open_to_business(made.reference, mediator, AT)
        made.refresh_from_db()
    actors = {}
    for name in ACTORS:
        user = users[name]
        standing = STANDINGS[name]
        actors[name] = Actor(
            name=name,
            user=user,
            client=ApiClient(user),
            standing=standing,
            staff_role=user.staff_role if user and standing["A"] == STAFF else None,
        )
    return World(actors=actors, cases=cases)


def test_no_party_ever_reads_a_message_but_its_own_and_those_relayed_to_it(
    world: World,
) -> None:
    SealedThreads.world = world
    SealedThreads.steps_run = 0
    with time_machine.travel(AT, tick=False):
        run_steps(SealedThreads, MIN_STEPS, STEPS_PER_EXAMPLE, seed_for(0))
    assert SealedThreads.steps_run >= MIN_STEPS
