"""The lettings agent's customer complaints process (seed 004, Ocasa): stage 1 with the
Customer Resolution Team, stage 2 with the Head of Operations or Head of Lettings,
every branch through the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.accounts.models import User
from accord.cases.models import Event
from tests.conftest import ApiClient, attempt, clock, complaint_body, detail_at, london, take

pytestmark = pytest.mark.django_db

# Received Monday 30 March 2026; the stage 2 request comes on Thursday 2 April, the day
# before Good Friday, so the stage 2 counts cross Easter.
RECEIVED = london(2026, 3, 30, 10, 0)
STAGE2_REQUESTED = london(2026, 4, 2, 11, 0)


@pytest.fixture
def people(ocasa, staff) -> dict[str, User]:
    return {
        "handler": staff("ocasa", "handler"),
        "head": staff("ocasa", "senior_handler"),
        "manager": staff("ocasa", "manager"),
    }


def submit(at: dt.datetime, **overrides: Any) -> str:
    with time_machine.travel(at, tick=False):
        response = ApiClient().post("/organisations/ocasa/complaints", complaint_body(**overrides))
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


def assign(client: ApiClient, reference: str, at: dt.datetime, username: str) -> Any:
    with time_machine.travel(at, tick=False):
        return client.post(f"/cases/{reference}/assign", {"handler": username})


def event(reference: str, action: str) -> Event:
    return Event.objects.get(case__reference=reference, action=action)


def stage1_responded(people: dict[str, User]) -> tuple[str, ApiClient]:
    """Stage 1 taken by the Customer Resolution Team handler and answered."""
    reference = submit(RECEIVED)
    handler = ApiClient(people["handler"])
    assert assign(handler, reference, RECEIVED, people["handler"].username).status_code == 200
    take(handler, reference, london(2026, 3, 31, 9, 0), "acknowledge")
    take(handler, reference, london(2026, 4, 1, 15, 0), "send_stage1_response")
    return reference, handler


def at_stage2(people: dict[str, User]) -> tuple[str, ApiClient]:
    """Escalated to stage 2 by the customer-side handler, taken by a Head of Lettings."""
    reference, handler = stage1_responded(people)
    take(handler, reference, STAGE2_REQUESTED, "request_stage2")
    head = ApiClient(people["head"])
    assigned = assign(
        ApiClient(people["manager"]), reference, STAGE2_REQUESTED, people["head"].username
    )
    assert assigned.status_code == 200, assigned.content
    take(head, reference, london(2026, 4, 2, 14, 0), "acknowledge_stage2")
    return reference, head


# --- Stage 1 --------------------------------------------------------------------------


def test_stage1_acknowledgement_is_due_in_two_working_days_the_worked_example(people):
    # REGULATIONS, UK working days: received Thursday 24 December 2026; Fri 25 (Christmas
    # Day), Sat 26 and Sun 27 (weekend) and Mon 28 (Boxing Day, observed) are skipped;
    # Tue 29 (1), Wed 30 December 2026 (2).
    received = london(2026, 12, 24, 10, 0)
    with time_machine.travel(received, tick=False):
        receipt = ApiClient().post("/organisations/ocasa/complaints", complaint_body())
    assert receipt.status_code == 201
    assert receipt.json()["stage"] == "stage1_received"
    # Only the stage 1 clock runs until the customer asks for stage 2.
    assert [c["key"] for c in receipt.json()["clocks"]] == ["stage1_acknowledgement"]
    acknowledgement = clock(receipt.json(), "stage1_acknowledgement")
    assert acknowledgement["due_date"] == "2026-12-30"
    lines = acknowledgement["explanation"]
    assert "Skipped Friday 25 December 2026: Christmas Day." in lines
    assert "Skipped Saturday 26 December 2026: weekend." in lines
    assert "Skipped Sunday 27 December 2026: weekend." in lines
    assert "Skipped Monday 28 December 2026: Boxing Day (observed)." in lines
    assert lines[-1] == "Due by end of Wednesday 30 December 2026."


def test_resolved_at_stage1(people):
    reference, handler = stage1_responded(people)
    detail = detail_at(handler, reference, london(2026, 4, 1, 15, 0))
    assert detail["stage"] == "stage1_responded"
    # Acknowledged on Tuesday 31 March, within 2 working days of Monday 30 March (due Wed 1 April).
    assert clock(detail, "stage1_acknowledgement")["due_date"] == "2026-04-01"
    assert clock(detail, "stage1_acknowledgement")["state"] == "met"
    assert event(reference, "acknowledge").data["letters_required"] == ["acknowledgement"]
    assert event(reference, "send_stage1_response").data["letters_required"] == ["stage1_response"]
    detail = take(handler, reference, london(2026, 4, 7, 10, 0), "close_stage1")
    assert detail["is_open"] is False
    assert detail["stage"] == "closed"
    assert detail["outcome"] == "resolved_stage1"


def test_a_late_stage1_acknowledgement_shows_the_clock_breached(people):
    reference = submit(RECEIVED)
    detail = take(ApiClient(people["handler"]), reference, london(2026, 4, 2, 9, 0), "acknowledge")
    assert clock(detail, "stage1_acknowledgement")["state"] == "breached"


# --- Stage 2 --------------------------------------------------------------------------


def test_a_stage2_request_starts_the_stage2_clocks_and_hands_the_case_on(people):
    reference, handler = stage1_responded(people)
    detail = take(handler, reference, STAGE2_REQUESTED, "request_stage2")
    assert detail["stage"] == "stage2_received"
    assert detail["handler"] is None  # stage 1's handler no longer holds the case
    request = event(reference, "request_stage2")
    assert request.actor == people["handler"]
    assert request.data["handler_released"] == people["handler"].pk
    assert request.data["marks"] == ["stage2_request"]
    # Counted from the stage 2 request on Thursday 2 April 2026; Good Friday (3 April),
    # the weekend and Easter Monday (6 April) are not working days.
    #   Acknowledge within 1 working day: Tuesday 7 April (1).
    #   Review within 5 working days: Tue 7 (1), Wed 8 (2), Thu 9 (3), Fri 10 (4),
    #   Mon 13 April 2026 (5).
    acknowledgement = clock(detail, "stage2_acknowledgement")
    review = clock(detail, "stage2_review")
    assert acknowledgement["due_date"] == "2026-04-07"
    assert review["due_date"] == "2026-04-13"
    for started in (acknowledgement, review):
        assert dt.datetime.fromisoformat(started["started_at"]) == STAGE2_REQUESTED
        assert started["state"] == "running"
    lines = acknowledgement["explanation"]
    assert "Skipped Friday 3 April 2026: Good Friday." in lines
    assert "Skipped Monday 6 April 2026: Easter Monday." in lines


def test_stage2_can_be_requested_before_the_stage1_response(people):
    reference = submit(RECEIVED)
    handler = ApiClient(people["handler"])
    take(handler, reference, london(2026, 3, 31, 9, 0), "acknowledge")
    detail = take(handler, reference, STAGE2_REQUESTED, "request_stage2")
    assert detail["stage"] == "stage2_received"


def test_stage2_is_acknowledged_by_an_assigned_senior_handler(people):
    reference, handler = stage1_responded(people)
    take(handler, reference, STAGE2_REQUESTED, "request_stage2")
    head = ApiClient(people["head"])
    at = london(2026, 4, 2, 14, 0)
    # Nobody holds the case yet: only its assigned handler takes its steps.
    unassigned = attempt(head, reference, at, "acknowledge_stage2")
    assert unassigned.status_code == 403
    assert "assign yourself first" in unassigned.json()["message"]
    # A Customer Resolution Team handler may not take the stage 2 steps.
    assert attempt(
        ApiClient(people["handler"]), reference, at, "acknowledge_stage2"
    ).status_code in {
        403,
        409,
    }
    assigned = assign(ApiClient(people["manager"]), reference, at, people["head"].username)
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["handler"] == people["head"].username

    detail = take(head, reference, at, "acknowledge_stage2")
    assert detail["stage"] == "stage2_review"
    assert clock(detail, "stage2_acknowledgement")["state"] == "met"
    assert clock(detail, "stage2_review")["state"] == "running"
    acknowledgement = event(reference, "acknowledge_stage2")
    assert acknowledgement.actor_role == "senior_handler"
    assert acknowledgement.data["letters_required"] == ["escalation_acknowledgement"]


def test_a_holding_response_needs_reasons_and_stops_the_review_clock(people):
    reference, head = at_stage2(people)
    at = london(2026, 4, 13, 16, 0)
    refused = attempt(head, reference, at, "send_holding_response")
    assert refused.status_code == 422
    assert refused.json()["field"] == "reason"
    detail = take(
        head,
        reference,
        at,
        "send_holding_response",
        reason="The contractor's report is due on 20 April; we expect to conclude by 24 April.",
    )
    assert detail["stage"] == "stage2_review"  # still under review
    assert detail["is_open"] is True
    assert clock(detail, "stage2_review")["status"] == "stopped"
    assert clock(detail, "stage2_review")["state"] == "met"  # Monday 13 April, the due day
    holding = event(reference, "send_holding_response")
    assert "contractor's report" in holding.reason
    assert holding.data["letters_required"] == ["holding_response"]


@pytest.mark.parametrize("outcome", ["upheld", "partly_upheld", "not_upheld"])
def test_stage2_concludes_with_an_outcome_and_signposts_the_redress_scheme(people, outcome):
    reference, head = at_stage2(people)
    detail = take(head, reference, london(2026, 4, 10, 12, 0), "conclude_stage2", outcome=outcome)
    assert detail["is_open"] is False
    assert detail["stage"] == "closed"
    assert detail["outcome"] == outcome
    assert clock(detail, "stage2_review")["state"] == "met"
    conclusion = event(reference, "conclude_stage2")
    assert conclusion.data["outcome"] == outcome
    assert "final_response" in conclusion.data["letters_required"]
    assert "signposting" in conclusion.data["letters_required"]


@pytest.mark.parametrize("outcome", [None, "", "resolved_stage1", "partly", "UPHELD"])
def test_stage2_cannot_conclude_without_a_valid_outcome(people, outcome):
    reference, head = at_stage2(people)
    body = {} if outcome is None else {"outcome": outcome}
    at = london(2026, 4, 10, 12, 0)
    refused = attempt(head, reference, at, "conclude_stage2", **body)
    assert refused.status_code == 422
    assert refused.json()["field"] == "outcome"
    assert detail_at(head, reference, at)["stage"] == "stage2_review"


def test_a_missed_stage2_acknowledgement_shows_breached(people):
    reference, handler = stage1_responded(people)
    take(handler, reference, STAGE2_REQUESTED, "request_stage2")
    manager = ApiClient(people["manager"])
    # Due by the end of Tuesday 7 April 2026 (the instant Wednesday 8 April begins).
    acknowledgement = clock(
        detail_at(manager, reference, STAGE2_REQUESTED), "stage2_acknowledgement"
    )
    assert acknowledgement["state"] == "running"
    assert dt.datetime.fromisoformat(acknowledgement["due_at"]) == london(2026, 4, 8)
    # No lead time: at risk from the start of the due day.
    on_due_day = detail_at(manager, reference, london(2026, 4, 7, 9, 0))
    assert clock(on_due_day, "stage2_acknowledgement")["state"] == "at_risk"
    just_before = detail_at(manager, reference, london(2026, 4, 7, 23, 59))
    assert clock(just_before, "stage2_acknowledgement")["state"] == "at_risk"

    missed = detail_at(manager, reference, london(2026, 4, 8, 0, 0))
    assert clock(missed, "stage2_acknowledgement")["state"] == "breached"
    assert clock(missed, "stage2_review")["state"] == "running"
    assert missed["clock_state"] == "breached"

    # Acknowledging late leaves the record breached.
    assert (
        assign(manager, reference, london(2026, 4, 8, 9, 0), people["head"].username).status_code
        == 200
    )
    detail = take(
        ApiClient(people["head"]), reference, london(2026, 4, 8, 9, 30), "acknowledge_stage2"
    )
    assert clock(detail, "stage2_acknowledgement")["status"] == "stopped"
    assert clock(detail, "stage2_acknowledgement")["state"] == "breached"


@pytest.mark.parametrize("stage", ["stage1", "stage2"])
def test_withdrawn_by_the_customer(people, stage):
    if stage == "stage1":
        reference = submit(RECEIVED)
        client = ApiClient(people["handler"])
    else:
        reference, client = at_stage2(people)
    at = london(2026, 4, 8, 10, 0)
    refused = attempt(client, reference, at, "withdraw")
    assert refused.status_code == 422
    assert refused.json()["field"] == "reason"
    detail = take(
        client, reference, at, "withdraw", reason="The customer has moved out and withdrawn it."
    )
    assert detail["is_open"] is False
    assert detail["outcome"] == "withdrawn"
    assert all(c["status"] == "stopped" for c in detail["clocks"])
    assert detail["next_deadline_at"] is None
    assert "moved out" in event(reference, "withdraw").reason
