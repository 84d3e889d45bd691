"""The in-house client complaints policy (seed 003, Optimised Group), every branch
through the API, as the client-services team would work it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.accounts.models import User
from accord.cases.models import Event
from tests.conftest import ApiClient, attempt, clock, complaint_body, detail_at, london, take

pytestmark = pytest.mark.django_db

# Thursday 24 December 2026, mid-morning: the count crosses Christmas Day (Fri 25),
# a weekend, Boxing Day (observed, Mon 28), New Year's Day (Fri 1 January 2027) and
# further weekends.
CHRISTMAS_EVE = london(2026, 12, 24, 10, 0)


@pytest.fixture
def people(optimised, staff) -> dict[str, User]:
    return {
        "handler": staff("optimised", "handler"),
        "senior": staff("optimised", "senior_handler"),
        "manager": staff("optimised", "manager"),
    }


def submit(at: dt.datetime, **overrides: Any) -> str:
    """A client's complaint through the public form."""
    with time_machine.travel(at, tick=False):
        response = ApiClient().post(
            "/organisations/optimised/complaints", complaint_body(**overrides)
        )
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


def log(by: User, at: dt.datetime, channel: str, **overrides: Any) -> str:
    """A complaint staff log from a call, letter or visit."""
    with time_machine.travel(at, tick=False):
        response = ApiClient(by).post("/cases", complaint_body(channel=channel, **overrides))
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


def event(reference: str, action: str) -> Event:
    return Event.objects.get(case__reference=reference, action=action)


def acknowledged(
    people: dict[str, User], received: dt.datetime = CHRISTMAS_EVE
) -> tuple[str, ApiClient]:
    """A web-form complaint, taken by the handler and acknowledged the next working day."""
    reference = submit(received)
    handler = ApiClient(people["handler"])
    with time_machine.travel(received, tick=False):
        response = handler.post(
            f"/cases/{reference}/assign", {"handler": people["handler"].username}
        )
    assert response.status_code == 200, response.content
    take(handler, reference, london(2026, 12, 29, 9, 30), "acknowledge")
    return reference, handler


# --- Receipt and the two clocks -------------------------------------------------------


def test_receipt_starts_the_acknowledgement_and_response_clocks(people):
    with time_machine.travel(CHRISTMAS_EVE, tick=False):
        receipt = ApiClient().post("/organisations/optimised/complaints", complaint_body())
    assert receipt.status_code == 201
    body = receipt.json()
    assert body["stage"] == "received"
    # Acknowledge within 4 working days of Thursday 24 December 2026:
    #   Fri 25 Christmas Day, Sat 26 / Sun 27 weekend, Mon 28 Boxing Day (observed);
    #   Tue 29 (1), Wed 30 (2), Thu 31 (3), Fri 1 Jan New Year's Day, weekend,
    #   Mon 4 January 2027 (4).
    assert clock(body, "acknowledgement")["due_date"] == "2027-01-04"
    # Respond within 15 working days of the same day: Tue 29 (1), Wed 30 (2),
    #   Thu 31 (3), Mon 4 (4), Tue 5 (5), Wed 6 (6), Thu 7 (7), Fri 8 (8), Mon 11 (9),
    #   Tue 12 (10), Wed 13 (11), Thu 14 (12), Fri 15 (13), Mon 18 (14), Tue 19 January 2027 (15).
    assert clock(body, "response")["due_date"] == "2027-01-19"
    # Due by the end of the day: midnight at the start of the next day, London time.
    assert dt.datetime.fromisoformat(clock(body, "acknowledgement")["due_at"]) == london(2027, 1, 5)

    detail = detail_at(ApiClient(people["handler"]), body["reference"], CHRISTMAS_EVE)
    assert detail["respondent"] == "Optimised Group (demo)"  # in-house: about itself
    assert detail["channel"] == "web_form"
    explanation = clock(detail, "response")["explanation"]
    for holiday in ("Christmas Day", "Boxing Day (observed)", "New Year's Day"):
        assert any(holiday in line for line in explanation), holiday
    assert any("weekend" in line for line in explanation)
    assert explanation[-1] == "Due by end of Tuesday 19 January 2027."
    for key in ("acknowledgement", "response"):
        assert clock(detail, key)["state"] == "running"


def test_acknowledging_stops_the_acknowledgement_clock_in_time(people):
    reference, handler = acknowledged(people)
    detail = detail_at(handler, reference, london(2026, 12, 29, 10, 0))
    assert detail["stage"] == "analysis"
    assert clock(detail, "acknowledgement")["status"] == "stopped"
    assert clock(detail, "acknowledgement")["state"] == "met"
    assert clock(detail, "response")["state"] == "running"  # acknowledging is not a response
    assert event(reference, "acknowledge").data["letters_required"] == ["acknowledgement"]


def test_the_policy_does_not_let_its_clocks_be_paused_or_extended(people):
    reference, handler = acknowledged(people)
    with time_machine.travel(london(2026, 12, 30, 10, 0), tick=False):
        paused = handler.post(
            f"/cases/{reference}/clocks/response",
            {"action": "pause", "reason": "Waiting for the client's documents."},
        )
        extended = handler.post(
            f"/cases/{reference}/clocks/response",
            {"action": "extend", "reason": "Complex.", "amount": 5, "unit": "working_days"},
        )
    assert paused.status_code == 409
    assert extended.status_code == 409
    detail = detail_at(handler, reference, london(2026, 12, 30, 10, 0))
    assert clock(detail, "response")["due_date"] == "2027-01-19"


# --- Every branch to closure ----------------------------------------------------------


def test_resolved_quickly(people):
    reference, handler = acknowledged(people)
    detail = take(handler, reference, london(2026, 12, 30, 11, 0), "resolve_quickly")
    assert detail["is_open"] is False
    assert detail["stage"] == "closed"
    assert detail["outcome"] == "resolved_quickly"
    assert clock(detail, "response")["state"] == "met"
    assert event(reference, "resolve_quickly").data["letters_required"] == ["final_response"]


def test_resolution_proposed_accepted_and_carried_out(people):
    reference, handler = acknowledged(people)
    detail = take(handler, reference, london(2027, 1, 6, 11, 0), "propose_resolution")
    assert detail["stage"] == "resolution_proposed"
    # A proposal with its timeframe is the response the policy asks for.
    assert clock(detail, "response")["state"] == "met"
    assert event(reference, "propose_resolution").data["letters_required"] == [
        "proposed_resolution"
    ]
    detail = take(handler, reference, london(2027, 1, 8, 11, 0), "client_accepts_resolution")
    assert detail["stage"] == "resolving"
    assert detail["is_open"] is True
    detail = take(handler, reference, london(2027, 2, 1, 11, 0), "complete_resolution")
    assert detail["is_open"] is False
    assert detail["outcome"] == "resolved"
    assert event(reference, "complete_resolution").data["letters_required"] == ["final_response"]


def test_a_further_update_needs_a_reason_and_stops_the_response_clock(people):
    reference, handler = acknowledged(people)
    at = london(2027, 1, 18, 15, 0)
    refused = attempt(handler, reference, at, "send_further_update")
    assert refused.status_code == 422
    assert refused.json()["field"] == "reason"
    # Version 2 of the policy (in force from 24 November 2026): the update gives a date.
    reason = "We are waiting for the engineer's report; we expect to conclude by 1 February."
    refused = attempt(handler, reference, at, "send_further_update", reason=reason)
    assert refused.status_code == 422
    assert refused.json()["field"] == "anticipated_date"
    refused = attempt(
        handler,
        reference,
        at,
        "send_further_update",
        reason=reason,
        data={"anticipated_date": "2027-01-15"},
    )
    assert refused.status_code == 422  # in the past

    detail = take(
        handler,
        reference,
        at,
        "send_further_update",
        reason=reason,
        data={"anticipated_date": "2027-02-01"},
    )
    assert detail["stage"] == "analysis"  # no conclusion yet
    assert detail["is_open"] is True
    assert clock(detail, "response")["status"] == "stopped"
    assert clock(detail, "response")["state"] == "met"  # Monday 18 January, before the 19th
    assert clock(detail, "anticipated_conclusion")["due_date"] == "2027-02-01"
    update = event(reference, "send_further_update")
    assert "engineer's report" in update.reason
    assert update.data["letters_required"] == ["holding_response"]
    # The complaint goes on to a conclusion afterwards.
    detail = take(handler, reference, london(2027, 2, 1, 10, 0), "propose_resolution")
    assert detail["stage"] == "resolution_proposed"


def test_a_response_after_15_working_days_shows_the_clock_breached(people):
    reference, handler = acknowledged(people)
    detail = take(
        handler,
        reference,
        london(2027, 1, 20, 9, 0),
        "send_further_update",
        reason="Still looking.",
        data={"anticipated_date": "2027-02-05"},
    )
    assert clock(detail, "response")["state"] == "breached"


def escalated(people: dict[str, User]) -> tuple[str, ApiClient]:
    reference, handler = acknowledged(people)
    take(handler, reference, london(2027, 1, 6, 11, 0), "propose_resolution")
    # The client is unhappy with the proposal; the complainant-facing handler escalates.
    detail = take(handler, reference, london(2027, 1, 7, 11, 0), "escalate")
    assert detail["stage"] == "escalated"
    assert detail["handler"] is None  # the escalation hands the case on
    escalation = event(reference, "escalate")
    assert escalation.actor == people["handler"]
    assert escalation.data["handler_released"] == people["handler"].pk
    assert escalation.data["marks"] == ["escalation"]
    assert escalation.data["letters_required"] == ["escalation_acknowledgement"]
    senior = ApiClient(people["senior"])
    return reference, senior


def test_escalated_and_resolved_by_a_senior_handler(people):
    reference, senior = escalated(people)
    at = london(2027, 1, 8, 10, 0)
    # Nobody holds the escalated case yet: only its assigned handler takes its steps.
    unassigned = attempt(senior, reference, at, "resolve_escalated")
    assert unassigned.status_code == 403
    assert "assign yourself first" in unassigned.json()["message"]
    with time_machine.travel(at, tick=False):
        response = senior.post(f"/cases/{reference}/assign", {"handler": people["senior"].username})
    assert response.status_code == 200, response.content
    assert response.json()["handler"] == people["senior"].username
    detail = take(senior, reference, london(2027, 1, 15, 10, 0), "resolve_escalated")
    assert detail["is_open"] is False
    assert detail["outcome"] == "resolved_after_escalation"
    assert event(reference, "resolve_escalated").actor_role == "senior_handler"


def test_escalated_and_ended_with_a_deadlock_letter(people):
    reference, senior = escalated(people)
    at = london(2027, 1, 8, 10, 0)
    with time_machine.travel(at, tick=False):
        senior.post(f"/cases/{reference}/assign", {"handler": people["senior"].username})
    refused = attempt(senior, reference, at, "issue_deadlock")
    assert refused.status_code == 422
    assert refused.json()["field"] == "reason"
    detail = take(
        senior,
        reference,
        london(2027, 1, 20, 10, 0),
        "issue_deadlock",
        reason="We cannot offer more than the refund already made; the client will not accept it.",
    )
    assert detail["is_open"] is False
    assert detail["outcome"] == "deadlock"
    deadlock = event(reference, "issue_deadlock")
    assert "refund already made" in deadlock.reason
    assert "deadlock" in deadlock.data["letters_required"]
    assert "signposting" in deadlock.data["letters_required"]


def test_a_plain_handler_cannot_take_the_senior_steps(people, staff):
    reference, _ = escalated(people)
    other_handler = ApiClient(staff("optimised", "handler"))
    at = london(2027, 1, 8, 10, 0)
    assert attempt(other_handler, reference, at, "resolve_escalated").status_code == 403
    assert attempt(other_handler, reference, at, "issue_deadlock", reason="No.").status_code == 403


def test_not_upheld_with_reasons(people):
    reference, handler = acknowledged(people)
    at = london(2027, 1, 11, 10, 0)
    refused = attempt(handler, reference, at, "reject_complaint")
    assert refused.status_code == 422
    assert refused.json()["field"] == "reason"
    detail = take(
        handler,
        reference,
        at,
        "reject_complaint",
        reason="The work was carried out as specified in the signed order.",
    )
    assert detail["is_open"] is False
    assert detail["outcome"] == "not_upheld"
    assert clock(detail, "response")["state"] == "met"
    assert event(reference, "reject_complaint").data["letters_required"] == [
        "final_response",
        "signposting",
    ]


def test_withdrawn_by_the_client(people):
    reference = submit(CHRISTMAS_EVE)
    handler = ApiClient(people["handler"])
    at = london(2026, 12, 29, 9, 0)
    refused = attempt(handler, reference, at, "withdraw")
    assert refused.status_code == 422
    assert refused.json()["field"] == "reason"
    detail = take(handler, reference, at, "withdraw", reason="The client phoned to withdraw it.")
    assert detail["is_open"] is False
    assert detail["outcome"] == "withdrawn"
    for key in ("acknowledgement", "response"):
        # Withdrawn (v3): the clocks ended without being met.
        assert clock(detail, key)["status"] == "ended", key
        assert clock(detail, key)["state"] == "ended", key
    assert detail["next_deadline_at"] is None
    # A closed case takes no more steps.
    assert attempt(handler, reference, at, "acknowledge").status_code == 409


# --- A verbal complaint is summarised in writing and confirmed -------------------------


def test_a_phoned_in_complaint_waits_for_the_client_to_confirm_the_summary(people):
    received = london(2026, 3, 2, 10, 0)
    reference = log(people["handler"], received, "phone")
    handler = ApiClient(people["handler"])
    detail = detail_at(handler, reference, received)
    assert detail["channel"] == "phone"
    assert detail["flags"]["verbal_summary_pending"] is True
    assert Event.objects.get(case__reference=reference, action="receive").data[
        "verbal_summary_pending"
    ]

    at = london(2026, 3, 3, 10, 0)
    take(handler, reference, at, "acknowledge", "send_verbal_summary")
    assert event(reference, "send_verbal_summary").data["letters_required"] == ["verbal_summary"]
    refused = attempt(handler, reference, at, "propose_resolution")
    assert refused.status_code == 409
    assert "confirmed the written summary" in refused.json()["message"]
    assert attempt(handler, reference, at, "resolve_quickly").status_code == 409
    assert "propose_resolution" not in detail_at(handler, reference, at)["allowed_steps"]

    detail = take(handler, reference, london(2026, 3, 5, 10, 0), "confirm_verbal_summary")
    assert detail["flags"]["verbal_summary_pending"] is False
    assert detail["stage"] == "analysis"  # confirming moves nothing on by itself
    detail = take(handler, reference, london(2026, 3, 5, 11, 0), "propose_resolution")
    assert detail["stage"] == "resolution_proposed"

    again = attempt(handler, reference, london(2026, 3, 5, 11, 0), "confirm_verbal_summary")
    assert again.status_code == 409
    assert "no summary" in again.json()["message"]


@pytest.mark.parametrize(
    ("channel", "pending"),
    [("phone", True), ("in_person", True), ("letter", False), ("email", False)],
)
def test_only_verbal_complaints_await_a_confirmed_summary(people, channel, pending):
    reference = log(people["manager"], london(2026, 3, 2, 10, 0), channel)
    detail = detail_at(ApiClient(people["manager"]), reference, london(2026, 3, 2, 10, 0))
    assert detail["flags"]["verbal_summary_pending"] is pending


def test_confirming_a_summary_when_none_is_pending_is_refused(people):
    reference = submit(london(2026, 3, 2, 10, 0))
    refused = attempt(
        ApiClient(people["handler"]), reference, london(2026, 3, 2, 11, 0), "confirm_verbal_summary"
    )
    assert refused.status_code == 409


# --- Complaints should be raised within 7 working days of the issue --------------------

# Received Monday 16 March 2026. Seven working days from the day the issue arose:
#   from Wed 4 March: Thu 5 (1), Fri 6 (2), Mon 9 (3), Tue 10 (4), Wed 11 (5), Thu 12 (6),
#     Fri 13 (7) -> the last day was Friday 13 March: out of time.
#   from Thu 5 March: Fri 6 (1), Mon 9 (2) ... Fri 13 (6), Mon 16 (7) -> in time, just.
LATE_RECEIPT = london(2026, 3, 16, 10, 0)


@pytest.mark.parametrize(
    ("issue_arose_on", "out_of_time"),
    [
        ("2026-02-20", True),
        ("2026-03-04", True),
        ("2026-03-05", False),
        ("2026-03-12", False),
        ("2026-03-16", False),
        (None, None),
    ],
)
def test_a_complaint_is_flagged_when_raised_out_of_time(people, issue_arose_on, out_of_time):
    reference = submit(LATE_RECEIPT, issue_arose_on=issue_arose_on)
    detail = detail_at(ApiClient(people["handler"]), reference, LATE_RECEIPT)
    assert detail["issue_arose_on"] == issue_arose_on
    assert detail["flags"]["raised_out_of_time"] is out_of_time
    assert event(reference, "receive").data["raised_out_of_time"] is out_of_time


def test_a_late_complaint_is_considered_once_someone_decides_to(people):
    reference = submit(LATE_RECEIPT, issue_arose_on="2026-03-04")
    handler = ApiClient(people["handler"])
    at = london(2026, 3, 17, 10, 0)
    take(handler, reference, at, "acknowledge")
    refused = attempt(handler, reference, at, "propose_resolution")
    assert refused.status_code == 409
    assert "out of time" in refused.json()["message"]

    without_reason = attempt(handler, reference, at, "accept_late_complaint")
    assert without_reason.status_code == 422
    assert without_reason.json()["field"] == "reason"
    detail = take(
        handler,
        reference,
        at,
        "accept_late_complaint",
        reason="The client was in hospital until 14 March.",
    )
    assert detail["flags"]["raised_out_of_time"] is True
    assert detail["flags"]["late_complaint_accepted"] is True
    assert "hospital" in event(reference, "accept_late_complaint").reason
    detail = take(handler, reference, at, "propose_resolution")
    assert detail["stage"] == "resolution_proposed"


def test_a_late_complaint_is_declined_by_a_senior_handler(people):
    reference = submit(LATE_RECEIPT, issue_arose_on="2026-03-04")
    at = london(2026, 3, 17, 10, 0)
    reason = "Raised 8 working days after the delivery, with no reason for the delay."
    # Only a senior handler or a manager may decline.
    assert (
        attempt(
            ApiClient(people["handler"]), reference, at, "decline_late_complaint", reason=reason
        )
    ).status_code == 403
    senior = ApiClient(people["senior"])
    assert attempt(senior, reference, at, "decline_late_complaint").status_code == 422
    detail = take(senior, reference, at, "decline_late_complaint", reason=reason)
    assert detail["is_open"] is False
    assert detail["outcome"] == "out_of_time"
    for key in ("acknowledgement", "response"):
        assert clock(detail, key)["state"] == "met", key
    assert event(reference, "decline_late_complaint").data["letters_required"] == ["final_response"]


def test_accepting_a_complaint_that_was_not_late_is_refused(people):
    reference = submit(LATE_RECEIPT, issue_arose_on="2026-03-12")
    refused = attempt(
        ApiClient(people["handler"]),
        reference,
        london(2026, 3, 17, 10, 0),
        "accept_late_complaint",
        reason="Just in case.",
    )
    assert refused.status_code == 409


# --- Deemed receipt -------------------------------------------------------------------


def test_a_complaint_received_on_a_saturday_counts_from_the_next_working_day(people):
    # Saturday 7 March 2026 counts as received on Monday 9 March.
    #   Acknowledge: Tue 10 (1), Wed 11 (2), Thu 12 (3), Fri 13 March (4).
    #   Respond: Tue 10 (1) ... Fri 13 (4), Mon 16 (5) ... Fri 20 (9), Mon 23 (10) ...
    #   Fri 27 (14), Mon 30 March 2026 (15).
    received = london(2026, 3, 7, 10, 0)
    reference = submit(received)
    detail = detail_at(ApiClient(people["handler"]), reference, received)
    acknowledgement = clock(detail, "acknowledgement")
    assert acknowledgement["due_date"] == "2026-03-13"
    assert clock(detail, "response")["due_date"] == "2026-03-30"
    assert acknowledgement["detail"]["start_date"] == "2026-03-09"
    assert any(
        "counts as received on Monday 9 March 2026" in line
        for line in acknowledgement["explanation"]
    )


def test_a_complaint_received_after_five_counts_from_the_next_working_day(people):
    # Thursday 2 April 2026 at 17:30 is after closing; Good Friday (3 April), the
    # weekend and Easter Monday (6 April) follow, so it counts as received on Tuesday
    # 7 April. Acknowledge: Wed 8 (1), Thu 9 (2), Fri 10 (3), Mon 13 April (4).
    #   Respond: Wed 8 (1), Thu 9, Fri 10, Mon 13, Tue 14 (5), Wed 15 ... Tue 21 (10),
    #   Wed 22 ... Tue 28 April 2026 (15).
    received = london(2026, 4, 2, 17, 30)
    reference = submit(received)
    detail = detail_at(ApiClient(people["handler"]), reference, received)
    acknowledgement = clock(detail, "acknowledgement")
    assert acknowledgement["due_date"] == "2026-04-13"
    assert clock(detail, "response")["due_date"] == "2026-04-28"
    lines = acknowledgement["explanation"]
    assert any("after closing time (17:00)" in line for line in lines)
    assert any("counts as received on Tuesday 7 April 2026" in line for line in lines)


def test_a_complaint_received_before_five_counts_from_that_day(people):
    # Thursday 2 April 2026 at 16:59: Good Friday, the weekend and Easter Monday are
    # skipped; Tue 7 (1), Wed 8 (2), Thu 9 (3), Fri 10 April 2026 (4).
    received = london(2026, 4, 2, 16, 59)
    reference = submit(received)
    acknowledgement = clock(
        detail_at(ApiClient(people["handler"]), reference, received), "acknowledgement"
    )
    assert acknowledgement["due_date"] == "2026-04-10"
    assert acknowledgement["detail"]["deemed_reason"] is None
    assert not any("counts as received" in line for line in acknowledgement["explanation"])


def test_a_complaint_raised_in_time_cannot_be_declined_as_out_of_time(people):
    # Issue on Thursday 12 March, received Monday 16 March: 2 working days, well within 7.
    reference = submit(LATE_RECEIPT, issue_arose_on="2026-03-12")
    senior = ApiClient(people["senior"])
    at = london(2026, 3, 17, 10, 0)
    refused = attempt(
        senior, reference, at, "decline_late_complaint", reason="Raised too late, we think."
    )
    assert refused.status_code == 409, refused.content
    detail = detail_at(senior, reference, at)
    assert detail["is_open"] is True
    assert detail["outcome"] == ""
