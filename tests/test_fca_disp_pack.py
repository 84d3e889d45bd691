"""The FCA DISP packs (fca-disp and fca-disp-payments), driven through the engine with
the dates passed in. Each test is named after the rule it checks (REGULATIONS.md, "FCA
Handbook, DISP"). Working days are England and Wales: 2026 has Good Friday 3 April,
Easter Monday 6 April, the early May bank holiday 4 May and the Spring bank holiday
25 May."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.accounts.models import User
from accord.cases import engine
from accord.cases.choices import Channel, EventKind
from accord.cases.engine import StepRequest
from accord.cases.errors import ActionRefused, InvalidAction
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case, Clock, Event
from accord.cases.rights import rights_of
from accord.cases.sweep import sweep_once
from accord.organisations.models import Organisation
from accord.procedures.registry import PACKS_DIR, Registry
from tests.conftest import london, make_staff, typical_step_letters

pytestmark = pytest.mark.django_db

FOS = "https://www.financial-ombudsman.org.uk"


@pytest.fixture
def packs(monkeypatch: pytest.MonkeyPatch) -> Registry:
    # The shipped packs without the lock file: these packs are published separately.
    registry = Registry(PACKS_DIR)
    monkeypatch.setattr("accord.cases.intake.registry", lambda: registry)
    monkeypatch.setattr("accord.cases.engine.registry", lambda: registry)
    return registry


def firm(slug: str, procedure_key: str) -> Organisation:
    organisation = Organisation.objects.create(
        slug=slug,
        name=f"Firm {slug}",
        kind="in_house",
        nation="ENG",
        reference_prefix=slug[:6].upper(),
        procedure_key=procedure_key,
    )
    organisation.businesses.create(name=organisation.name, is_self=True)
    organisation.external_bodies.create(
        kind="ombudsman",
        name="Financial Ombudsman Service",
        website=FOS,
        time_limit="Within six months of the date of the final response",
    )
    return organisation


@pytest.fixture
def disp(packs: Registry) -> Organisation:
    return firm("bank", "fca-disp")


@pytest.fixture
def payments(packs: Registry) -> Organisation:
    return firm("payco", "fca-disp-payments")


@pytest.fixture
def handler(disp: Organisation) -> User:
    return make_staff(disp, "handler", "disp-handler")


@pytest.fixture
def payments_handler(payments: Organisation) -> User:
    return make_staff(payments, "handler", "payments-handler")


def receive(organisation: Organisation, at: dt.datetime) -> Case:
    complaint = Complaint(
        complainant=ComplainantDetails(name="Sam Patel", email="sam@example.com"),
        description="A payment was taken twice.",
        channel=Channel.EMAIL,
    )
    return receive_complaint(organisation, complaint, now=at)[0]


def step(case: Case, actor: User | None, action: str, at: dt.datetime, **request: Any) -> Case:
    if actor is not None and "letters" not in request:
        request["letters"] = typical_step_letters(case, action, request.get("reason", ""))
    return engine.take_step(case.pk, actor, action, StepRequest(**request), now=at)


def clock(case: Case, key: str) -> Clock:
    return Clock.objects.get(case=case, key=key)


def met(row: Clock) -> bool:
    """Whether a stopped clock stopped before its due instant."""
    assert row.status == "stopped"
    assert row.stopped_at is not None
    assert row.due_at is not None
    return row.stopped_at < row.due_at


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def right(case: Case, key: str, now: dt.datetime) -> dict[str, Any]:
    current = fresh(case)
    shown = rights_of(current, engine.procedure_of(current), now)
    return next(r for r in shown if r["key"] == key)


def events(case: Case, kind: str) -> list[Event]:
    return list(Event.objects.filter(case=case, kind=kind).order_by("seq"))


# Received Thursday 2 April 2026, the day before Good Friday.
RECEIVED = london(2026, 4, 2, 10, 0)


# --- fca-disp --------------------------------------------------------------------------


def test_disp_1_6_1R_prompt_written_acknowledgement_default_5_working_days(disp, handler):
    case = receive(disp, RECEIVED)
    # Thursday 2 April 2026; Good Friday 3, the weekend and Easter Monday 6 are skipped:
    # Tue 7 (1), Wed 8 (2), Thu 9 (3), Fri 10 (4), Mon 13 April (5).
    acknowledgement = clock(case, "acknowledgement")
    assert acknowledgement.explanation["due_date"] == "2026-04-13"
    assert "Skipped Friday 3 April 2026: Good Friday." in acknowledgement.explanation["lines"]
    assert "Skipped Monday 6 April 2026: Easter Monday." in acknowledgement.explanation["lines"]
    # "Prompt" has no number of days in the rule: the pack says the figure is Accord's.
    cites = engine.procedure_of(case).clocks["acknowledgement"].cites
    assert "DISP 1.6.1R" in cites
    assert "Accord's default, not the rule's" in cites
    step(case, handler, "acknowledge", london(2026, 4, 7, 9, 0))
    assert clock(case, "acknowledgement").status == "stopped"
    acknowledged = Event.objects.get(case=case, action="acknowledge")
    assert acknowledged.data["letters_required"] == ["acknowledgement"]
    # Keeping the complainant informed thereafter.
    step(case, handler, "send_progress_update", london(2026, 4, 20, 9, 0))
    update = Event.objects.get(case=case, action="send_progress_update")
    assert update.data["letters_required"] == ["progress_update"]


def test_disp_summary_resolution_only_until_close_of_business_on_third_business_day(disp, handler):
    # The third business day following Thursday 2 April 2026: Good Friday (3 April), the
    # weekend and Easter Monday (6 April) are not business days, so Tue 7 (1), Wed 8 (2),
    # Thu 9 April (3); close of business is the firm's closing time, 17:00.
    in_time = receive(disp, RECEIVED)
    too_late = receive(disp, RECEIVED)
    window = clock(in_time, "summary_resolution_window")
    assert window.explanation["due_date"] == "2026-04-09"
    assert window.due_at == london(2026, 4, 9, 17, 0)
    assert window.explanation["lines"][-1] == (
        "Due by close of business (17:00) on Thursday 9 April 2026."
    )

    # Acknowledged first: the window still holds (it only stops counting).
    step(in_time, handler, "acknowledge", london(2026, 4, 7, 9, 0))
    just_before = london(2026, 4, 9, 16, 59)
    assert "send_summary_resolution" in engine.allowed_steps(fresh(in_time), handler, just_before)
    closed = step(
        in_time,
        handler,
        "send_summary_resolution",
        just_before,
        data={"acceptance": "Accepted the refund by telephone."},
    )
    assert (closed.is_open, closed.outcome) == (False, "resolved_summary")
    summary = Event.objects.get(case=in_time, action="send_summary_resolution")
    assert summary.data["letters_required"] == ["summary_resolution"]
    assert summary.data["input"] == {"acceptance": "Accepted the refund by telephone."}

    at_close = london(2026, 4, 9, 17, 0)
    assert "send_summary_resolution" not in engine.allowed_steps(fresh(too_late), handler, at_close)
    with pytest.raises(ActionRefused, match="only possible within") as refused:
        step(too_late, handler, "send_summary_resolution", at_close)
    assert refused.value.status == 409
    assert fresh(too_late).is_open
    # The final response route is still open to the late one.
    assert "send_final_response" in engine.allowed_steps(fresh(too_late), handler, at_close)


def test_disp_summary_resolution_window_is_a_window_not_a_deadline(disp, handler):
    # The window closes at 17:00 on Thursday 9 April 2026 (see above) without anybody
    # having failed: it is never at risk, never breached, never the next deadline.
    case = receive(disp, RECEIVED)
    assert fresh(case).next_deadline_at == clock(case, "acknowledgement").due_at
    result = sweep_once(london(2026, 4, 10, 9, 0))
    assert result.breached == 0
    assert events(case, "clock_breached") == []
    assert clock(case, "summary_resolution_window").breach_recorded_at is None


def test_disp_summary_resolution_window_counts_from_the_next_business_day_after_closing(
    disp, handler
):
    # Received at 17:30 on Thursday 2 April 2026, after the firm's closing time: it counts
    # as received on Tuesday 7 April (Good Friday and Easter Monday are not business
    # days), so Wed 8 (1), Thu 9 (2), Fri 10 April (3), close of business 17:00.
    case = receive(disp, london(2026, 4, 2, 17, 30))
    assert clock(case, "summary_resolution_window").due_at == london(2026, 4, 10, 17, 0)
    step(case, handler, "send_summary_resolution", london(2026, 4, 10, 16, 0))
    assert fresh(case).outcome == "resolved_summary"


def test_disp_1_6_2R_final_or_holding_response_by_end_of_8_weeks(disp, handler):
    # 8 weeks after Thursday 2 April 2026 is Thursday 28 May 2026; due by the end of it.
    held = receive(disp, RECEIVED)
    late = receive(disp, RECEIVED)
    deadline = clock(held, "final_or_holding_response")
    assert deadline.explanation["due_date"] == "2026-05-28"
    assert deadline.due_at == london(2026, 5, 29)

    # A holding response needs its reasons (why there is no final response yet).
    with pytest.raises(InvalidAction) as missing:
        step(held, handler, "send_holding_response", london(2026, 5, 28, 16, 0))
    assert missing.value.field == "reason"
    step(
        held,
        handler,
        "send_holding_response",
        london(2026, 5, 28, 23, 59),
        reason="We are waiting for the merchant's records of the two payments.",
    )
    assert met(clock(held, "final_or_holding_response"))  # in the last minute
    holding = Event.objects.get(case=held, action="send_holding_response")
    assert holding.data["letters_required"] == ["holding_response", "signposting"]
    assert fresh(held).is_open  # the final response is still to come

    # A final response only at the start of Friday 29 May is past the end of 8 weeks.
    step(
        late,
        handler,
        "send_final_response",
        london(2026, 5, 29, 0, 0),
        outcome="upheld",
        reason="We took the payment twice and refund it with interest.",
    )
    assert not met(clock(late, "final_or_holding_response"))  # breached


@pytest.mark.parametrize("outcome", ["upheld", "partly_upheld", "rejected"])
def test_disp_1_6_2R_final_response_outcomes_carry_the_ombudsman_signposting(
    disp, handler, outcome
):
    case = receive(disp, RECEIVED)
    at = london(2026, 5, 4, 11, 0)  # the early May bank holiday: staff may still act
    with pytest.raises(InvalidAction) as no_reasons:
        step(case, handler, "send_final_response", at, outcome=outcome)
    assert no_reasons.value.field == "reason"
    with pytest.raises(InvalidAction) as no_outcome:
        step(case, handler, "send_final_response", at, reason="Reasons.")
    assert no_outcome.value.field == "outcome"
    closed = step(
        case, handler, "send_final_response", at, outcome=outcome, reason="Our reasons are..."
    )
    assert (closed.is_open, closed.outcome) == (False, outcome)
    final = Event.objects.get(case=case, action="send_final_response")
    assert final.data["letters_required"] == ["final_response", "signposting"]
    letters = engine.procedure_of(case).letters
    assert "www.financial-ombudsman.org.uk" in letters["signposting"]
    assert "within six months" in letters["signposting"]
    assert all(c.status == "stopped" for c in Clock.objects.filter(case=case))


def test_disp_2_8_2R_ombudsman_window_6_months_from_final_response(disp, handler):
    case = receive(disp, RECEIVED)
    # Nothing sent yet: the right opens once 8 weeks have passed since receipt, at the
    # end of Thursday 28 May 2026.
    waiting = right(case, "financial_ombudsman", london(2026, 4, 10))
    assert waiting["open"] is False
    assert waiting["opens_at"] == london(2026, 5, 29)
    assert waiting["closes_at"] is None
    assert waiting["body"]["website"] == FOS
    assert (
        "Available once 8 weeks have passed since receipt: from the end of Thursday 28 May 2026."
        in waiting["lines"]
    )

    # A holding response opens it at once ("may now refer").
    held_at = london(2026, 4, 20, 10, 0)
    step(case, handler, "send_holding_response", held_at, reason="Waiting for records.")
    assert right(case, "financial_ombudsman", held_at)["open"] is True
    assert right(case, "financial_ombudsman", held_at)["opens_at"] == held_at

    # The final response on Monday 1 June 2026: six months later is Tuesday 1 December
    # 2026, so the right closes at the end of that day.
    step(
        case,
        handler,
        "send_final_response",
        london(2026, 6, 1, 11, 0),
        outcome="rejected",
        reason="The payment was authorised.",
    )
    final = right(case, "financial_ombudsman", london(2026, 12, 1, 23, 59))
    assert final["open"] is True
    assert final["closes_at"] == london(2026, 12, 2)
    assert (
        "Must be used within 6 months of send the final response: by the end of "
        "Tuesday 1 December 2026." in final["lines"]
    )
    assert right(case, "financial_ombudsman", london(2026, 12, 2))["open"] is False


def test_disp_ombudsman_right_opens_at_once_on_a_final_response_before_8_weeks(disp, handler):
    case = receive(disp, RECEIVED)
    at = london(2026, 4, 15, 12, 0)
    step(case, handler, "send_final_response", at, outcome="partly_upheld", reason="In part.")
    state = right(case, "financial_ombudsman", at)
    assert (state["open"], state["opens_at"]) == (True, at)
    # Six months after Wednesday 15 April 2026: the end of Thursday 15 October 2026.
    assert state["closes_at"] == london(2026, 10, 16)


def test_disp_1_6_2R_sweep_warns_and_records_the_breach_of_the_8_week_clock(disp, handler):
    case = receive(disp, RECEIVED)
    step(case, handler, "acknowledge", london(2026, 4, 7, 9, 0))  # stops the short clocks
    # Due Thursday 28 May 2026; the warning comes 5 working days before: Wed 27 (1),
    # Tue 26 (2), Mon 25 is the Spring bank holiday, Fri 22 (3), Thu 21 (4), Wed 20 May (5).
    assert clock(case, "final_or_holding_response").at_risk_at == london(2026, 5, 20)
    assert sweep_once(london(2026, 5, 19, 23, 59)).at_risk == 0
    assert sweep_once(london(2026, 5, 20)).at_risk == 1
    assert sweep_once(london(2026, 5, 28, 23, 59)).breached == 0
    assert sweep_once(london(2026, 5, 29)).breached == 1
    (at_risk,) = events(case, EventKind.CLOCK_AT_RISK)
    (breach,) = events(case, EventKind.CLOCK_BREACHED)
    assert (at_risk.at, at_risk.data["clock"]) == (london(2026, 5, 20), "final_or_holding_response")
    assert (breach.at, breach.data["clock"]) == (london(2026, 5, 29), "final_or_holding_response")


def test_disp_the_complainant_may_withdraw(disp, handler):
    complainant = User.objects.create_user(username="sam")
    case = receive(disp, RECEIVED)
    case.complainant.user = complainant
    case.complainant.save()
    with pytest.raises(InvalidAction):
        step(case, complainant, "withdraw", london(2026, 4, 8, 10, 0))
    closed = step(case, complainant, "withdraw", london(2026, 4, 8, 10, 0), reason="Sorted.")
    assert (closed.is_open, closed.outcome) == (False, "withdrawn")
    assert fresh(case).next_deadline_at is None


# --- fca-disp-payments -----------------------------------------------------------------

# Received Monday 18 May 2026, a week before the Spring bank holiday (25 May).
PAYMENT_RECEIVED = london(2026, 5, 18, 10, 0)


def test_payments_15_business_days_or_holding_then_35(payments, payments_handler):
    case = receive(payments, PAYMENT_RECEIVED)
    # 15 business days from Monday 18 May 2026: Tue 19 (1), Wed 20 (2), Thu 21 (3),
    # Fri 22 (4), [Mon 25 Spring bank holiday], Tue 26 (5), Wed 27 (6), Thu 28 (7),
    # Fri 29 (8), Mon 1 June (9), Tue 2 (10), Wed 3 (11), Thu 4 (12), Fri 5 (13),
    # Mon 8 (14), Tue 9 June (15).
    assert clock(case, "final_response").explanation["due_date"] == "2026-06-09"
    keys = set(Clock.objects.filter(case=case).values_list("key", flat=True))
    assert keys == {"acknowledgement", "final_response"}  # nothing at 35 days yet

    held_at = london(2026, 6, 8, 10, 0)
    # The holding response needs its reasons and the anticipated date, not in the past.
    with pytest.raises(InvalidAction) as no_date:
        step(case, payments_handler, "send_holding_response", held_at, reason="Card scheme.")
    assert no_date.value.field == "anticipated_date"
    with pytest.raises(InvalidAction, match="cannot be in the past"):
        step(
            case,
            payments_handler,
            "send_holding_response",
            held_at,
            reason="Card scheme.",
            data={"anticipated_date": "2026-06-05"},
        )
    with pytest.raises(InvalidAction) as no_reason:
        step(
            case,
            payments_handler,
            "send_holding_response",
            held_at,
            data={"anticipated_date": "2026-07-03"},
        )
    assert no_reason.value.field == "reason"
    # A date past the 35 business days (Tuesday 7 July) is refused, and leaves nothing.
    with pytest.raises(InvalidAction, match="no later than Tuesday 7 July 2026") as too_late:
        step(
            case,
            payments_handler,
            "send_holding_response",
            held_at,
            reason="The card scheme has not yet answered our chargeback request.",
            data={"anticipated_date": "2026-07-08"},
        )
    assert too_late.value.field == "anticipated_date"
    assert fresh(case).stage == "received"
    assert not Event.objects.filter(case=case, action="send_holding_response").exists()
    step(
        case,
        payments_handler,
        "send_holding_response",
        held_at,
        reason="The card scheme has not yet answered our chargeback request.",
        data={"anticipated_date": "2026-07-03"},
    )
    assert fresh(case).stage == "holding"
    fifteen = clock(case, "final_response")
    assert (fifteen.status, fifteen.stopped_at) == ("stopped", held_at)  # met: before 10 June
    # 35 business days from Monday 18 May: on from Tue 9 June (15): Wed 10 (16), Thu 11,
    # Fri 12, Mon 15, Tue 16 (20), Wed 17, Thu 18, Fri 19, Mon 22, Tue 23 (25), Wed 24,
    # Thu 25, Fri 26, Mon 29, Tue 30 (30), Wed 1 July, Thu 2, Fri 3, Mon 6, Tue 7 July (35).
    thirty_five = clock(case, "final_response_after_holding")
    assert thirty_five.explanation["due_date"] == "2026-07-07"
    assert thirty_five.due_at == london(2026, 7, 8)
    promised = clock(case, "anticipated_final_response")
    assert promised.explanation["due_date"] == "2026-07-03"
    holding = Event.objects.get(case=case, action="send_holding_response")
    assert holding.data["input"] == {"anticipated_date": "2026-07-03"}
    assert holding.data["letters_required"] == ["holding_response", "signposting"]
    # The holding response opens the ombudsman route at once.
    assert right(case, "financial_ombudsman", held_at)["open"] is True

    step(
        case,
        payments_handler,
        "send_final_response",
        london(2026, 7, 2, 15, 0),
        outcome="upheld",
        reason="The chargeback succeeded; we refund the payment.",
    )
    assert met(clock(case, "final_response_after_holding"))
    assert met(clock(case, "anticipated_final_response"))
    # Six months after Thursday 2 July 2026: the end of Saturday 2 January 2027.
    assert right(case, "financial_ombudsman", london(2026, 7, 2, 15, 0))["closes_at"] == (
        london(2027, 1, 3)
    )


def test_payments_final_response_within_15_business_days_needs_no_holding(
    payments, payments_handler
):
    case = receive(payments, PAYMENT_RECEIVED)
    step(case, payments_handler, "acknowledge", london(2026, 5, 19, 9, 0))
    step(
        case,
        payments_handler,
        "send_final_response",
        london(2026, 6, 9, 16, 0),  # the 15th business day
        outcome="rejected",
        reason="The payment was authorised with the card and PIN.",
    )
    assert met(clock(case, "final_response"))
    assert not Clock.objects.filter(case=case, key="final_response_after_holding").exists()


def test_payments_sweep_warns_of_the_15_days_and_records_the_breach_of_the_35(
    payments, payments_handler
):
    case = receive(payments, PAYMENT_RECEIVED)
    step(case, payments_handler, "acknowledge", london(2026, 5, 19, 9, 0))
    # The 15-day clock is due Tuesday 9 June 2026; warned 3 working days before: Mon 8 (1),
    # Fri 5 (2), Thu 4 June (3).
    assert sweep_once(london(2026, 6, 3, 23, 59)).at_risk == 0
    assert sweep_once(london(2026, 6, 4)).at_risk == 1
    step(
        case,
        payments_handler,
        "send_holding_response",
        london(2026, 6, 8, 10, 0),
        reason="Waiting for the card scheme.",
        data={"anticipated_date": "2026-07-03"},
    )
    # The date given passes first: due by the end of Friday 3 July.
    assert sweep_once(london(2026, 7, 3, 23, 59)).breached == 0
    assert sweep_once(london(2026, 7, 4)).breached == 1
    # Then the outer limit: the end of Tuesday 7 July, the 35th business day.
    assert sweep_once(london(2026, 7, 7, 23, 59)).breached == 0
    assert sweep_once(london(2026, 7, 8)).breached == 1
    at_risk = [(e.at, e.data["clock"]) for e in events(case, EventKind.CLOCK_AT_RISK)]
    assert (london(2026, 6, 4), "final_response") in at_risk
    breaches = [(e.at, e.data["clock"]) for e in events(case, EventKind.CLOCK_BREACHED)]
    assert breaches == [
        (london(2026, 7, 4), "anticipated_final_response"),
        (london(2026, 7, 8), "final_response_after_holding"),
    ]


def test_payments_a_holding_response_may_promise_the_last_of_the_35_days(
    payments, payments_handler
):
    case = receive(payments, PAYMENT_RECEIVED)
    step(
        case,
        payments_handler,
        "send_holding_response",
        london(2026, 6, 8, 10, 0),
        reason="The card scheme has not yet answered our chargeback request.",
        data={"anticipated_date": "2026-07-07"},
    )
    assert fresh(case).stage == "holding"
    assert clock(case, "anticipated_final_response").explanation["due_date"] == "2026-07-07"
