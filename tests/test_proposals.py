"""Proposals through the API: the handler puts structured proposals (a party's, or
their own option), each party accepts, rejects or counters for its own side by the date
to answer by, and the whole history stays on the case."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.accounts.models import User
from accord.cases.models import Case, Event
from accord.mediation.models import Proposal
from tests.conftest import ApiClient, complaint_body, london, open_to_business

pytestmark = pytest.mark.django_db

RECEIVED = london(2026, 12, 1, 10)  # under occs-mediation v2 (in force from 24 Nov 2026)
PUT = london(2026, 12, 2, 10)
DIALOGUE_STEPS = (
    "confirm_complaint",
    "accept_for_mediation",
    "record_consent",
    "gather_information",
    "begin_review",
)


def call(client: ApiClient, when: dt.datetime, method: str, path: str, body: Any = None) -> Any:
    with time_machine.travel(when, tick=False):
        return client.get(path) if method == "get" else client.post(path, body)


def make_world(occs, staff, *, received: dt.datetime = RECEIVED) -> dict[str, Any]:
    """An OCCS case in review and dialogue, its consumer and practice linked as users."""
    practice = occs.businesses.order_by("pk").first()
    other_practice = occs.businesses.order_by("pk").last()
    handler = staff("occs", "handler")
    with time_machine.travel(received, tick=False):
        response = ApiClient().post(
            "/organisations/occs/complaints", complaint_body(respondent_id=practice.pk)
        )
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    consumer = User.objects.create_user("consumer", email="alex@example.com")
    case = Case.objects.get(reference=reference)
    case.complainant.user = consumer
    case.complainant.save()
    rep = User.objects.create_user("rep", business=practice, email="rep@practice.example")
    open_to_business(reference, handler, received)
    handler_client = ApiClient(handler)
    assigned = call(
        handler_client,
        received,
        "post",
        f"/cases/{reference}/assign",
        {"handler": handler.username},
    )
    assert assigned.status_code == 200, assigned.content
    with time_machine.travel(received + dt.timedelta(hours=1), tick=False):
        for step in DIALOGUE_STEPS:
            taken = handler_client.step(reference, step)
            assert taken.status_code == 200, (step, taken.content)
    return {
        "reference": reference,
        "case_id": case.pk,
        "handler_user": handler,
        "handler": handler_client,
        "consumer": ApiClient(consumer),
        "practice": ApiClient(rep),
        "stranger": ApiClient(User.objects.create_user("other-rep", business=other_practice)),
    }


def refund(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "respondent",
        "kind": "refund",
        "description": "The practice refunds the price of the glasses.",
        "amount": "120.50",
        "answer_by": "2026-12-09",
    }
    body.update(overrides)
    return body


def put(world: dict[str, Any], body: dict[str, Any], when: dt.datetime = PUT) -> Any:
    return call(world["handler"], when, "post", f"/cases/{world['reference']}/proposals", body)


def answer(
    world: dict[str, Any],
    who: str,
    proposal_id: int,
    party: str,
    body: dict[str, Any],
    when: dt.datetime = PUT,
) -> Any:
    path = f"/cases/{world['reference']}/proposals/{proposal_id}/answers/{party}"
    return call(world[who], when, "post", path, body)


def accepted_proposal(world: dict[str, Any], when: dt.datetime = PUT) -> int:
    """A refund both parties accepted."""
    made = put(world, refund(), when)
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    for who, party in (("consumer", "complainant"), ("practice", "respondent")):
        given = answer(world, who, pk, party, {"answer": "accept"}, when)
        assert given.status_code == 201, given.content
    return pk


@pytest.fixture
def world(occs, staff) -> dict[str, Any]:
    return make_world(occs, staff)


def test_the_handler_puts_a_structured_proposal(world) -> None:
    made = put(world, refund(currency=None))
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["kind"], body["amount"], body["currency"], body["status"]) == (
        "refund",
        "120.50",
        "GBP",  # the default
        "open",
    )
    assert body["answer_by"] == "2026-12-09"
    option = put(
        world,
        {
            "source": "handler",
            "kind": "apology",
            "description": "A written apology from the practice manager.",
            "answer_by": "2026-12-02",  # today is fine
        },
    )
    assert option.status_code == 201, option.content
    assert (option.json()["amount"], option.json()["currency"]) == (None, "")
    euros = put(world, refund(kind="goodwill", amount=25, currency="EUR"))
    assert (euros.json()["amount"], euros.json()["currency"]) == ("25.00", "EUR")
    # The event says a proposal was put, never what it offers.
    event = Event.objects.filter(case__reference=world["reference"], kind="proposal").first()
    assert event is not None
    assert event.data["source"] == "respondent"
    assert "120" not in str(event.data)
    assert "refund" not in str(event.data)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "POUNDS"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "gbp"}, "currency"),
        ({"currency": "XAU"}, "currency"),  # gold is an ISO 4217 code, not money
        ({"currency": "XTS"}, "currency"),  # the code kept for testing
        ({"amount": None}, "amount"),  # a refund needs an amount
        ({"kind": "goodwill", "amount": None}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "10.005"}, "amount"),
        ({"kind": "apology"}, "amount"),  # an apology has no amount
        ({"kind": "repair", "amount": None, "currency": "GBP"}, "currency"),
        ({"kind": "bribe"}, "kind"),
        ({"source": "the cat"}, "source"),
        ({"answer_by": "2026-12-01"}, "answer_by"),  # yesterday
        ({"description": "   "}, "description"),
    ],
)
def test_bad_proposals_are_refused(world, change, field) -> None:
    refused = put(world, refund(**change))
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"] == field
    assert not Proposal.objects.exists()


def test_only_the_handlers_put_proposals(world) -> None:
    for who in ("consumer", "practice"):
        assert put_as(world, who).status_code == 403
    assert put_as(world, "stranger").status_code == 404


def put_as(world: dict[str, Any], who: str) -> Any:
    return call(world[who], PUT, "post", f"/cases/{world['reference']}/proposals", refund())


def test_each_party_answers_its_own_side_only(world) -> None:
    pk = put(world, refund()).json()["id"]
    # Answering for the other party is refused; so is staff answering for a party.
    assert answer(world, "consumer", pk, "respondent", {"answer": "accept"}).status_code == 403
    assert answer(world, "practice", pk, "complainant", {"answer": "accept"}).status_code == 403
    assert answer(world, "handler", pk, "complainant", {"answer": "accept"}).status_code == 403
    assert answer(world, "stranger", pk, "respondent", {"answer": "accept"}).status_code == 404
    first = answer(world, "consumer", pk, "complainant", {"answer": "accept", "note": "Fine."})
    assert first.status_code == 201, first.content
    # The consumer is told it answered, not whether the other side has.
    assert first.json()["proposal"]["status"] == "answered"
    assert Proposal.objects.get(pk=pk).status == "open"
    again = answer(world, "consumer", pk, "complainant", {"answer": "reject"})
    assert again.status_code == 409
    both = answer(world, "practice", pk, "respondent", {"answer": "accept"})
    assert both.json()["proposal"]["status"] == "accepted"
    # Each side sees its own answer only (the consumer's note "Fine." stays with it).
    assert [a["party"] for a in both.json()["proposal"]["answers"]] == ["respondent"]
    staff_view = call(world["handler"], PUT, "get", f"/cases/{world['reference']}/proposals")
    assert [a["party"] for a in staff_view.json()[0]["answers"]] == ["complainant", "respondent"]
    bad = answer(world, "consumer", pk, "complainant", {"answer": "maybe"})
    assert bad.status_code == 422


def test_a_rejection_ends_the_proposal(world) -> None:
    pk = put(world, refund()).json()["id"]
    rejected = answer(world, "practice", pk, "respondent", {"answer": "reject"})
    assert rejected.json()["proposal"]["status"] == "closed"
    assert Proposal.objects.get(pk=pk).status == "rejected"
    late = answer(world, "consumer", pk, "complainant", {"answer": "accept"})
    assert late.status_code == 409
    # The consumer learns the proposal is closed, not how the practice answered.
    assert "no longer be answered" in late.json()["message"]
    assert "reject" not in late.content.decode()


def test_a_counter_is_a_new_linked_proposal_and_the_history_stays(world) -> None:
    pk = put(world, refund(source="complainant", amount="200")).json()["id"]
    # A counter needs its proposal, and the proposal is checked like any other.
    assert answer(world, "practice", pk, "respondent", {"answer": "counter"}).status_code == 422
    bad = answer(
        world,
        "practice",
        pk,
        "respondent",
        {"answer": "counter", "counter": {**refund(amount=None), "source": None}},
    )
    assert bad.status_code == 422
    bad = answer(
        world,
        "practice",
        pk,
        "respondent",
        {
            "answer": "counter",
            "counter": {
                "kind": "refund",
                "description": "Half the price.",
                "answer_by": "2026-12-09",
            },
        },
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "amount")
    assert Proposal.objects.get(pk=pk).status == "open"
    countered = answer(
        world,
        "practice",
        pk,
        "respondent",
        {
            "answer": "counter",
            "note": "We can offer half.",
            "counter": {
                "kind": "refund",
                "description": "Half the price of the glasses.",
                "amount": "100.00",
                "answer_by": "2026-12-09",
            },
        },
    )
    assert countered.status_code == 201, countered.content
    old, held = countered.json()["proposal"], countered.json()["counter"]
    assert Proposal.objects.get(pk=pk).status == "countered"
    assert old["status"] == "closed"  # as the practice sees it
    # The counter goes to the mediator, held: the consumer sees nothing of it.
    assert (held["counter_to"], held["party"], held["status"]) == (pk, "respondent", "held")
    reference = world["reference"]
    consumer_view = call(world["consumer"], PUT, "get", f"/cases/{reference}/proposals").json()
    assert [(p["id"], p["status"]) for p in consumer_view] == [(pk, "closed")]
    assert "Half the price" not in str(consumer_view)
    assert (
        call(world["consumer"], PUT, "get", f"/cases/{reference}/proposal-submissions").json() == []
    )
    assert answer(world, "consumer", pk, "complainant", {"answer": "accept"}).status_code == 409
    # The mediator puts it as written: it stands as the practice's own acceptance.
    put_it = call(
        world["handler"],
        PUT,
        "post",
        f"/cases/{reference}/proposal-submissions/{held['id']}/put",
        {},
    )
    assert put_it.status_code == 201, put_it.content
    new = put_it.json()
    assert (new["counter_to"], new["source"], new["status"], new["edited"]) == (
        pk,
        "respondent",
        "open",
        False,
    )
    assert [(a["party"], a["answer"]) for a in new["answers"]] == [("respondent", "accept")]
    accepted = answer(world, "consumer", new["id"], "complainant", {"answer": "accept"})
    assert accepted.json()["proposal"]["status"] == "accepted"
    history = call(world["consumer"], PUT, "get", f"/cases/{reference}/proposals").json()
    assert [(p["id"], p["status"]) for p in history] == [(pk, "closed"), (new["id"], "accepted")]
    practice_view = call(world["practice"], PUT, "get", f"/cases/{reference}/proposals")
    assert len(practice_view.json()) == 2
    events = Event.objects.filter(case__reference=reference, kind="proposal_answered")
    assert [e.data["answer"] for e in events] == ["counter", "accept"]
    assert all("100" not in str(e.data) for e in events)


def test_no_answer_after_the_date_to_answer_by(world) -> None:
    pk = put(world, refund(answer_by="2026-12-09")).json()["id"]
    last_minute = answer(
        world, "consumer", pk, "complainant", {"answer": "accept"}, london(2026, 12, 9, 23, 59)
    )
    assert last_minute.status_code == 201
    too_late = answer(
        world, "practice", pk, "respondent", {"answer": "accept"}, london(2026, 12, 10, 0, 0)
    )
    assert too_late.status_code == 409
    assert "has passed" in too_late.json()["message"]
    assert Proposal.objects.get(pk=pk).status == "open"


def test_a_proposal_not_answered_by_its_date_lapses_in_the_sweep(occs, staff) -> None:
    from accord.cases.sweep import sweep_once

    world = make_world(occs, staff)
    made = put(world, refund(answer_by="2026-12-09"))
    assert made.status_code == 201, made.content
    proposal = made.json()["id"]
    # On its last day it is still open; the sweep leaves it.
    assert sweep_once(london(2026, 12, 9, 23, 0)).proposals_lapsed == 0
    assert Proposal.objects.get(pk=proposal).status == "open"
    # The next day it lapses, once, with one event on the timeline.
    result = sweep_once(london(2026, 12, 10, 0, 5))
    assert result.proposals_lapsed == 1
    assert Proposal.objects.get(pk=proposal).status == "lapsed"
    assert sweep_once(london(2026, 12, 10, 1, 0)).proposals_lapsed == 0
    events = Event.objects.filter(case__reference=world["reference"], kind="proposal_lapsed")
    assert [e.data["proposal"] for e in events] == [proposal]
    case = Case.objects.get(reference=world["reference"])
    assert case.event_count == case.events.count()


def test_an_answered_proposal_does_not_lapse(occs, staff) -> None:
    from accord.cases.sweep import sweep_once

    world = make_world(occs, staff)
    proposal = put(world, refund(answer_by="2026-12-09")).json()["id"]
    rejected = answer(world, "practice", proposal, "respondent", {"answer": "reject"})
    assert rejected.status_code in {200, 201}, rejected.content
    assert Proposal.objects.get(pk=proposal).status == "rejected"
    assert sweep_once(london(2026, 12, 11, 9)).proposals_lapsed == 0
    assert Proposal.objects.get(pk=proposal).status == "rejected"
