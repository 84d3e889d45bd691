"""The independent mediation procedure (seeds 000-002), every branch through the API."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accord.cases.models import Case, Event
from accord.organisations.models import Business
from tests.conftest import ApiClient, clock, complaint_body, london, take

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(occs, staff):
    return {
        "handler": staff("occs", "handler"),
        "senior": staff("occs", "senior_handler"),
        "manager": staff("occs", "manager"),
        "practice": Business.objects.filter(organisation=occs).order_by("pk").first(),
    }


def file_complaint(people, at: dt.datetime) -> str:
    with time_machine.travel(at, tick=False):
        response = ApiClient().post(
            "/organisations/occs/complaints",
            complaint_body(respondent_id=people["practice"].pk),
        )
    assert response.status_code == 201, response.content
    return response.json()["reference"]


def into_dialogue(people, received: dt.datetime) -> tuple[str, ApiClient]:
    reference = file_complaint(people, received)
    handler = ApiClient(people["handler"])
    with time_machine.travel(received, tick=False):
        handler.post(f"/cases/{reference}/assign", {"handler": people["handler"].username})
    take(
        handler,
        reference,
        received + dt.timedelta(hours=1),
        "confirm_complaint",
        "accept_for_mediation",
        "record_consent",
        "gather_information",
        "begin_review",
    )
    return reference, handler


def test_receipt_starts_the_acknowledgement_clock_with_its_explanation(people):
    reference = file_complaint(people, london(2026, 12, 24, 10, 0))
    detail = ApiClient(people["handler"]).get(f"/cases/{reference}").json()
    acknowledgement = clock(detail, "acknowledgement")
    # 2 working days from Thursday 24 December 2026 in England: Christmas Day, the
    # weekend and Boxing Day (observed) are skipped.
    assert acknowledgement["due_date"] == "2026-12-30"
    assert any("Christmas Day" in line for line in acknowledgement["explanation"])
    assert any("Boxing Day (observed)" in line for line in acknowledgement["explanation"])


def test_resolved_at_an_early_stage(people):
    received = london(2026, 3, 2, 9, 0)
    reference = file_complaint(people, received)
    handler = ApiClient(people["handler"])
    detail = take(
        handler,
        reference,
        received + dt.timedelta(hours=2),
        "confirm_complaint",
        "accept_for_mediation",
        "record_consent",
        "resolve_early",
    )
    assert detail["is_open"] is False
    assert detail["outcome"] == "resolved_early"
    assert clock(detail, "acknowledgement")["state"] == "met"
    assert clock(detail, "agreement")["state"] == "met"


def test_agreement_within_45_days_of_acceptance(people):
    received = london(2026, 3, 2, 9, 0)
    reference, handler = into_dialogue(people, received)
    detail = handler.get(f"/cases/{reference}").json()
    # 45 calendar days from acceptance on Monday 2 March 2026.
    assert clock(detail, "agreement")["due_date"] == "2026-04-16"
    detail = take(handler, reference, london(2026, 4, 10, 11, 0), "agree_resolution")
    assert detail["stage"] == "implementing"
    assert clock(detail, "agreement")["state"] == "met"
    detail = take(handler, reference, london(2026, 5, 1, 11, 0), "confirm_implementation")
    assert detail["outcome"] == "resolved_by_agreement"
    letters = Event.objects.filter(case__reference=reference, action="agree_resolution").get()
    assert letters.data["letters_required"] == ["agreement"]


def test_agreement_after_45_days_shows_the_clock_breached(people):
    received = london(2026, 3, 2, 9, 0)
    reference, handler = into_dialogue(people, received)
    detail = take(handler, reference, london(2026, 4, 20, 11, 0), "agree_resolution")
    assert clock(detail, "agreement")["state"] == "breached"


def test_no_agreement_consumer_accepts_the_practice_response(people):
    received = london(2026, 3, 2, 9, 0)
    reference, handler = into_dialogue(people, received)
    take(handler, reference, london(2026, 3, 20, 10, 0), "record_no_agreement")
    detail = take(handler, reference, london(2026, 3, 23, 10, 0), "accept_practice_response")
    assert detail["outcome"] == "accepted_practice_response"
    assert detail["is_open"] is False


def refer_to_senior(people, received):
    reference, handler = into_dialogue(people, received)
    take(handler, reference, london(2026, 3, 20, 10, 0), "record_no_agreement")
    detail = take(handler, reference, london(2026, 3, 23, 10, 0), "refer_to_senior_mediator")
    senior = ApiClient(people["senior"])
    with time_machine.travel(london(2026, 3, 23, 11, 0), tick=False):
        response = senior.post(f"/cases/{reference}/assign", {"handler": people["senior"].username})
    assert response.status_code == 200, response.content
    return reference, senior, detail


def test_referral_starts_the_three_senior_mediation_clocks(people):
    _, _, detail = refer_to_senior(people, london(2026, 3, 2, 9, 0))
    # Referred on Monday 23 March 2026: 10 days, 14 days and three weeks.
    assert clock(detail, "senior_consideration")["due_date"] == "2026-04-02"
    assert clock(detail, "senior_mediation")["due_date"] == "2026-04-06"
    assert clock(detail, "senior_timeframe")["due_date"] == "2026-04-13"
    assert detail["handler"] is None  # the escalation hands the case on


def test_senior_mediation_reaches_agreement(people):
    reference, senior, _ = refer_to_senior(people, london(2026, 3, 2, 9, 0))
    take(senior, reference, london(2026, 3, 30, 10, 0), "complete_senior_consideration")
    take(senior, reference, london(2026, 4, 2, 10, 0), "hold_senior_mediation")
    detail = take(senior, reference, london(2026, 4, 9, 10, 0), "agree_senior_resolution")
    for key in ("senior_consideration", "senior_mediation", "senior_timeframe"):
        assert clock(detail, key)["state"] == "met", key
    detail = take(senior, reference, london(2026, 5, 1, 10, 0), "confirm_implementation")
    assert detail["outcome"] == "resolved_by_agreement"


def test_senior_mediation_concludes_without_agreement_with_reasons(people):
    reference, senior, _ = refer_to_senior(people, london(2026, 3, 2, 9, 0))
    take(senior, reference, london(2026, 3, 30, 10, 0), "complete_senior_consideration")
    with time_machine.travel(london(2026, 4, 3, 10, 0), tick=False):
        refused = senior.step(reference, "conclude_without_agreement")
    assert refused.status_code == 422
    assert refused.json()["field"] == "reason"
    detail = take(
        senior,
        reference,
        london(2026, 4, 3, 10, 0),
        "conclude_without_agreement",
        reason="The practice will not move beyond its offer and the consumer will not accept it.",
    )
    assert detail["outcome"] == "concluded_without_agreement"
    event = Event.objects.get(case__reference=reference, action="conclude_without_agreement")
    assert "will not move" in event.reason
    assert event.data["letters_required"] == ["conclusion", "feedback_request"]


def test_out_of_remit_is_signposted_with_reasons(people):
    received = london(2026, 3, 2, 9, 0)
    reference = file_complaint(people, received)
    handler = ApiClient(people["handler"])
    take(handler, reference, received, "confirm_complaint")
    detail = take(
        handler,
        reference,
        received,
        "out_of_remit",
        reason="An allegation of clinical negligence: signposted to the regulator.",
    )
    assert detail["outcome"] == "out_of_remit"
    assert detail["is_open"] is False


def test_safeguarding_concern_is_referred_to_the_regulator_and_recorded(people):
    received = london(2026, 3, 2, 9, 0)
    reference = file_complaint(people, received)
    manager = ApiClient(people["manager"])
    detail = take(
        manager,
        reference,
        received,
        "refer_to_regulator",
        reason="The consumer describes a practitioner working while impaired.",
    )
    assert detail["outcome"] == "referred_to_regulator"
    assert detail["flags"]["safeguarding_concern"] is True
    case = Case.objects.get(reference=reference)
    assert case.referred_to_regulator_at is not None


def test_records_cannot_be_requested_without_consent(people):
    received = london(2026, 3, 2, 9, 0)
    reference = file_complaint(people, received)
    handler = ApiClient(people["handler"])
    take(handler, reference, received, "confirm_complaint", "accept_for_mediation")
    with time_machine.travel(received, tick=False):
        # Not yet a step of this stage, and so not offered.
        response = handler.step(reference, "gather_information")
        assert response.status_code == 409
        assert (
            "gather_information" not in handler.get(f"/cases/{reference}").json()["allowed_steps"]
        )


def test_a_handler_cannot_take_a_senior_mediator_step(people):
    reference, _, _ = refer_to_senior(people, london(2026, 3, 2, 9, 0))
    response = ApiClient(people["handler"]).step(reference, "complete_senior_consideration")
    assert response.status_code in {403, 409}
