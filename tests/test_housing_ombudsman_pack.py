"""The housing-ombudsman pack (Housing Ombudsman Complaint Handling Code 2024), driven
through the engine with the dates passed in. Each test is named after the paragraph of
the Code it checks (REGULATIONS.md, "Housing Ombudsman Complaint Handling Code").
Working days are England and Wales: 2026 has Good Friday 3 April, Easter Monday 6 April,
the early May bank holiday 4 May and the Spring bank holiday 25 May."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord.accounts.models import User
from accord.cases import actions, engine
from accord.cases.choices import Channel, EventKind
from accord.cases.engine import StepRequest
from accord.cases.errors import ActionRefused, InvalidAction, SeparationOfDuties
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case, Clock, Event
from accord.cases.rights import rights_of
from accord.cases.sweep import sweep_once
from accord.organisations.models import Organisation
from accord.procedures.registry import PACKS_DIR, Registry
from accord.workdays.deadlines import Unit
from tests.conftest import london, make_staff, typical_step_letters

pytestmark = pytest.mark.django_db

DEFINITION = {"definition": "The boiler has failed three times; the resident wants it replaced."}


@pytest.fixture
def packs(monkeypatch: pytest.MonkeyPatch) -> Registry:
    # The shipped packs without the lock file: this pack is published separately.
    registry = Registry(PACKS_DIR)
    monkeypatch.setattr("accord.cases.intake.registry", lambda: registry)
    monkeypatch.setattr("accord.cases.engine.registry", lambda: registry)
    return registry


@pytest.fixture
def landlord(packs: Registry) -> Organisation:
    organisation = Organisation.objects.create(
        slug="homes",
        name="Riverside Homes",
        kind="in_house",
        nation="ENG",
        reference_prefix="RHA",
        procedure_key="housing-ombudsman",
        complaints_email="complaints@riverside.example",
        signatory_name="Sam Lee",
        signatory_role="Complaints Manager",
    )
    organisation.businesses.create(name="Riverside Homes", is_self=True)
    organisation.external_bodies.create(
        kind="ombudsman",
        name="Housing Ombudsman Service",
        website="https://www.housing-ombudsman.org.uk",
        time_limit="Within 12 months of the landlord's final response",
    )
    return organisation


@pytest.fixture
def people(landlord: Organisation) -> dict[str, User]:
    return {
        "officer": make_staff(landlord, "handler", "stage1-officer"),
        "senior": make_staff(landlord, "senior_handler", "stage1-senior"),
        "reviewer": make_staff(landlord, "senior_handler", "stage2-reviewer"),
        "manager": make_staff(landlord, "manager", "complaints-manager"),
        "resident": User.objects.create_user(username="resident"),
    }


def receive(organisation: Organisation, at: dt.datetime, resident: User | None = None) -> Case:
    complaint = Complaint(
        complainant=ComplainantDetails(name="Jo Resident", email="jo@example.com"),
        description="My boiler keeps failing.",
        channel=Channel.EMAIL,
    )
    case = receive_complaint(organisation, complaint, now=at)[0]
    if resident is not None:
        case.complainant.user = resident
        case.complainant.save()
    return case


def step(case: Case, actor: User | None, action: str, at: dt.datetime, **request: Any) -> Case:
    if actor is not None and "letters" not in request:
        request["letters"] = typical_step_letters(case, action, request.get("reason", ""))
    return engine.take_step(case.pk, actor, action, StepRequest(**request), now=at)


def extend(
    case: Case,
    actor: User,
    key: str,
    amount: int,
    at: dt.datetime,
    reason: str = "Awaiting a survey",
) -> Case:
    return actions.extend_clock(
        case.pk, actor, key, amount=amount, unit=Unit.WORKING_DAYS, reason=reason, now=at
    )


def clock(case: Case, key: str) -> Clock:
    return Clock.objects.get(case=case, key=key)


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def met(row: Clock) -> bool:
    """Whether a stopped clock stopped before its due instant."""
    assert row.status == "stopped"
    assert row.stopped_at is not None
    assert row.due_at is not None
    return row.stopped_at < row.due_at


# Received Wednesday 22 April 2026; acknowledged Tuesday 28 April; the stage 1 response
# counts across the early May bank holiday (Monday 4 May).
RECEIVED = london(2026, 4, 22, 10, 0)
ACKNOWLEDGED = london(2026, 4, 28, 11, 0)
RESPONDED = london(2026, 5, 7, 14, 0)
ESCALATED = london(2026, 5, 8, 12, 0)
STAGE2_ACKNOWLEDGED = london(2026, 5, 14, 10, 0)


def acknowledged(landlord: Organisation, people: dict[str, User]) -> Case:
    case = receive(landlord, RECEIVED, people["resident"])
    step(case, people["officer"], "acknowledge_stage1", ACKNOWLEDGED, data=DEFINITION)
    return case


def escalated(landlord: Organisation, people: dict[str, User]) -> Case:
    case = acknowledged(landlord, people)
    step(case, people["officer"], "send_stage1_response", RESPONDED)
    step(case, people["resident"], "escalate", ESCALATED)
    return case


def at_stage2(landlord: Organisation, people: dict[str, User]) -> Case:
    case = escalated(landlord, people)
    actions.assign(case.pk, people["manager"], handler=people["reviewer"], now=ESCALATED)
    step(case, people["reviewer"], "acknowledge_stage2", STAGE2_ACKNOWLEDGED)
    return case


def test_hoc_two_stages_only(packs):
    procedure = packs.in_force("housing-ombudsman", dt.date(2024, 4, 1))
    escalations = [s for s in procedure.stages.values() if s.separate_handler]
    assert len(escalations) == 1  # stage 1, then one escalation to stage 2
    assert procedure.rights["housing_ombudsman"].opens_on == ("send_stage2_response",)
    with pytest.raises(LookupError):
        packs.in_force("housing-ombudsman", dt.date(2024, 3, 31))  # statutory from 1 April


def test_hoc_6_2_stage1_acknowledged_within_5_working_days(landlord, people):
    case = receive(landlord, RECEIVED)
    # Wednesday 22 April 2026: Thu 23 (1), Fri 24 (2), Mon 27 (3), Tue 28 (4), Wed 29 (5).
    assert clock(case, "stage1_acknowledgement").explanation["due_date"] == "2026-04-29"
    # "Defined": the acknowledgement states the complaint and the outcomes sought.
    with pytest.raises(InvalidAction) as undefined:
        step(case, people["officer"], "acknowledge_stage1", ACKNOWLEDGED)
    assert undefined.value.field == "definition"
    step(case, people["officer"], "acknowledge_stage1", ACKNOWLEDGED, data=DEFINITION)
    assert met(clock(case, "stage1_acknowledgement"))
    event = Event.objects.get(case=case, action="acknowledge_stage1")
    assert event.data["letters_required"] == ["stage1_acknowledgement"]
    assert event.data["marks"] == ["stage1_acknowledgement"]
    assert event.data["input"] == DEFINITION


def test_hoc_6_2_sweep_warns_and_records_a_missed_acknowledgement_across_easter(landlord):
    case = receive(landlord, london(2026, 4, 1, 10, 0))
    # Wednesday 1 April 2026: Thu 2 (1), [Good Friday 3, weekend, Easter Monday 6],
    # Tue 7 (2), Wed 8 (3), Thu 9 (4), Fri 10 April (5). Warned from the start of the
    # working day before (Thursday 9 April); breached at the end of Friday 10 April.
    acknowledgement = clock(case, "stage1_acknowledgement")
    assert acknowledgement.explanation["due_date"] == "2026-04-10"
    assert sweep_once(london(2026, 4, 8, 23, 59)).at_risk == 0
    assert sweep_once(london(2026, 4, 9)).at_risk == 1
    assert sweep_once(london(2026, 4, 10, 23, 59)).breached == 0
    assert sweep_once(london(2026, 4, 11)).breached == 1
    (at_risk,) = Event.objects.filter(case=case, kind=EventKind.CLOCK_AT_RISK)
    (breach,) = Event.objects.filter(case=case, kind=EventKind.CLOCK_BREACHED)
    assert (at_risk.at, at_risk.data["clock"]) == (london(2026, 4, 9), "stage1_acknowledgement")
    assert (breach.at, breach.data["clock"]) == (london(2026, 4, 11), "stage1_acknowledgement")


def test_hoc_6_3_response_within_10_working_days_of_acknowledgement(landlord, people):
    case = acknowledged(landlord, people)
    # Counted from the acknowledgement (Tuesday 28 April 2026), not from receipt:
    # Wed 29 (1), Thu 30 (2), Fri 1 May (3), [Mon 4 May bank holiday], Tue 5 (4),
    # Wed 6 (5), Thu 7 (6), Fri 8 (7), Mon 11 (8), Tue 12 (9), Wed 13 May (10).
    # (From receipt it would have been Thursday 7 May.)
    response = clock(case, "stage1_response")
    assert response.started_at == ACKNOWLEDGED
    assert response.explanation["due_date"] == "2026-05-13"
    assert "Skipped Monday 4 May 2026: May Day." in response.explanation["lines"]
    # Warned 2 working days before: Tue 12 (1), Mon 11 May (2).
    assert response.at_risk_at == london(2026, 5, 11)
    responded = step(case, people["officer"], "send_stage1_response", london(2026, 5, 13, 16, 0))
    assert responded.stage == "stage1_responded"
    assert met(clock(case, "stage1_response"))
    event = Event.objects.get(case=case, action="send_stage1_response")
    assert event.data["letters_required"] == ["stage1_response"]


def test_hoc_6_4_extension_capped_at_10_working_days(landlord, people):
    case = acknowledged(landlord, people)
    officer = people["officer"]
    at = london(2026, 5, 12, 9, 0)
    with pytest.raises(ActionRefused, match="at most 10 working days in all; 0 already used"):
        extend(case, officer, "stage1_response", 11, at)
    with pytest.raises(InvalidAction, match="reason"):
        extend(case, officer, "stage1_response", 5, at, reason="  ")
    # Due Wednesday 13 May; 6 more: Thu 14 (1), Fri 15 (2), Mon 18 (3), Tue 19 (4),
    # Wed 20 (5), Thu 21 May (6).
    extend(case, officer, "stage1_response", 6, at, reason="Awaiting the gas engineer's report")
    extended = clock(case, "stage1_response")
    assert extended.explanation["due_date"] == "2026-05-21"
    assert any("gas engineer" in line for line in extended.explanation["lines"])
    with pytest.raises(ActionRefused, match="at most 10 working days in all; 6 already used"):
        extend(case, officer, "stage1_response", 5, london(2026, 5, 20, 9, 0))
    # The last 4: Fri 22 (1), [Mon 25 Spring bank holiday], Tue 26 (2), Wed 27 (3),
    # Thu 28 May (4) - 10 working days after the original due date in all.
    extend(case, officer, "stage1_response", 4, london(2026, 5, 20, 9, 0))
    assert clock(case, "stage1_response").explanation["due_date"] == "2026-05-28"
    with pytest.raises(ActionRefused, match="10 already used"):
        extend(case, officer, "stage1_response", 1, london(2026, 5, 27, 9, 0))


def test_hoc_6_5_ombudsman_details_on_any_extension(landlord, people):
    case = at_stage2(landlord, people)
    stage1 = acknowledged(landlord, people)
    extend(stage1, people["officer"], "stage1_response", 3, london(2026, 5, 12, 9, 0))
    extend(case, people["reviewer"], "stage2_response", 2, london(2026, 6, 1, 9, 0))
    extensions = Event.objects.filter(kind=EventKind.CLOCK_EXTENDED).order_by("at")
    assert [e.data["clock"] for e in extensions] == ["stage1_response", "stage2_response"]
    for extension in extensions:
        assert extension.data["letters_required"] == ["extension_notice", "signposting"]
    assert "Ombudsman" in engine.procedure_of(case).letters["signposting"]


def test_hoc_6_12_no_reason_needed_to_escalate(landlord, people):
    case = acknowledged(landlord, people)
    step(case, people["officer"], "send_stage1_response", RESPONDED)
    resident = people["resident"]
    assert "escalate" in engine.allowed_steps(fresh(case), resident, ESCALATED)
    assert engine.procedure_of(case).transitions["escalate"].reason_required is False
    escalated_case = step(case, resident, "escalate", ESCALATED)  # no reason given
    assert escalated_case.stage == "stage2_requested"
    event = Event.objects.get(case=case, action="escalate")
    assert (event.actor, event.actor_role, event.reason) == (resident, "complainant", "")
    assert event.data["marks"] == ["stage2_request"]


def test_hoc_6_11_stage2_request_acknowledged_within_5_working_days(landlord, people):
    case = escalated(landlord, people)
    # From the request on Friday 8 May 2026: Mon 11 (1), Tue 12 (2), Wed 13 (3),
    # Thu 14 (4), Fri 15 May (5).
    acknowledgement = clock(case, "stage2_acknowledgement")
    assert acknowledgement.started_at == ESCALATED
    assert acknowledgement.explanation["due_date"] == "2026-05-15"
    actions.assign(case.pk, people["manager"], handler=people["reviewer"], now=ESCALATED)
    step(case, people["reviewer"], "acknowledge_stage2", STAGE2_ACKNOWLEDGED)
    assert met(clock(case, "stage2_acknowledgement"))
    event = Event.objects.get(case=case, action="acknowledge_stage2")
    assert event.data["letters_required"] == ["stage2_acknowledgement"]


def test_hoc_6_13_stage2_by_a_different_person(landlord, people):
    case = receive(landlord, RECEIVED, people["resident"])
    senior = people["senior"]  # handles stage 1 this time
    step(case, senior, "acknowledge_stage1", ACKNOWLEDGED, data=DEFINITION)
    step(case, senior, "send_stage1_response", RESPONDED)
    escalation = step(case, people["resident"], "escalate", ESCALATED)
    assert escalation.handler is None  # whoever had stage 1 does not keep it
    with pytest.raises(SeparationOfDuties):
        actions.assign(case.pk, people["manager"], handler=senior, now=ESCALATED)
    with pytest.raises(SeparationOfDuties):
        step(case, senior, "acknowledge_stage2", STAGE2_ACKNOWLEDGED)
    assert "acknowledge_stage2" not in engine.allowed_steps(fresh(case), senior, ESCALATED)
    actions.assign(case.pk, people["manager"], handler=people["reviewer"], now=ESCALATED)
    step(case, people["reviewer"], "acknowledge_stage2", STAGE2_ACKNOWLEDGED)
    assert fresh(case).stage == "stage2_investigation"
    with pytest.raises(SeparationOfDuties):
        step(case, senior, "send_stage2_response", london(2026, 6, 1, 10, 0), outcome="upheld")


def test_hoc_stage2_response_within_20_working_days_of_escalation_acknowledgement(landlord, people):
    case = at_stage2(landlord, people)
    # From the acknowledgement on Thursday 14 May 2026: Fri 15 (1), Mon 18 (2), Tue 19 (3),
    # Wed 20 (4), Thu 21 (5), Fri 22 (6), [Mon 25 Spring bank holiday], Tue 26 (7),
    # Wed 27 (8), Thu 28 (9), Fri 29 (10), Mon 1 June (11), Tue 2 (12), Wed 3 (13),
    # Thu 4 (14), Fri 5 (15), Mon 8 (16), Tue 9 (17), Wed 10 (18), Thu 11 (19),
    # Fri 12 June (20).
    response = clock(case, "stage2_response")
    assert response.started_at == STAGE2_ACKNOWLEDGED
    assert response.explanation["due_date"] == "2026-06-12"
    assert "Skipped Monday 25 May 2026: Spring Bank Holiday." in response.explanation["lines"]
    # Warned 3 working days before: Thu 11 (1), Wed 10 (2), Tue 9 June (3).
    assert sweep_once(london(2026, 6, 8, 23, 59)).at_risk == 0
    assert sweep_once(london(2026, 6, 9)).at_risk == 1
    (at_risk,) = Event.objects.filter(case=case, kind=EventKind.CLOCK_AT_RISK)
    assert (at_risk.at, at_risk.data["clock"]) == (london(2026, 6, 9), "stage2_response")
    closed = step(
        case,
        people["reviewer"],
        "send_stage2_response",
        london(2026, 6, 11, 16, 0),
        outcome="partly_upheld",
    )
    assert (closed.is_open, closed.outcome) == (False, "partly_upheld")
    assert met(clock(case, "stage2_response"))
    event = Event.objects.get(case=case, action="send_stage2_response")
    assert event.data["letters_required"] == ["stage2_response", "signposting"]


def test_hoc_stage2_extension_cap_is_10_working_days_unconfirmed(landlord, people):
    case = at_stage2(landlord, people)
    cites = engine.procedure_of(case).clocks["stage2_response"].cites
    assert "UNCONFIRMED" in cites
    extend(case, people["reviewer"], "stage2_response", 10, london(2026, 6, 10, 9, 0))
    # Fri 12 June 2026 + 10: Mon 15 (1) ... Fri 19 (5), Mon 22 (6) ... Fri 26 June (10).
    assert clock(case, "stage2_response").explanation["due_date"] == "2026-06-26"
    with pytest.raises(ActionRefused, match="at most 10 working days in all; 10 already used"):
        extend(case, people["reviewer"], "stage2_response", 1, london(2026, 6, 20, 9, 0))


def test_hoc_ombudsman_right_opens_on_the_stage2_response_for_12_months(landlord, people):
    case = at_stage2(landlord, people)

    def ombudsman(now: dt.datetime) -> dict[str, Any]:
        current = fresh(case)
        shown = rights_of(current, engine.procedure_of(current), now)
        return next(r for r in shown if r["key"] == "housing_ombudsman")

    before = ombudsman(london(2026, 6, 1))
    assert (before["open"], before["opens_at"], before["closes_at"]) == (False, None, None)
    responded_at = london(2026, 6, 11, 16, 0)
    step(case, people["reviewer"], "send_stage2_response", responded_at, outcome="not_upheld")
    after = ombudsman(responded_at)
    assert (after["open"], after["opens_at"]) == (True, responded_at)
    # 12 months after Thursday 11 June 2026: the end of Friday 11 June 2027 (unconfirmed).
    assert after["closes_at"] == london(2027, 6, 12)
    assert after["body"]["name"] == "Housing Ombudsman Service"
    assert ombudsman(london(2027, 6, 11, 23, 59))["open"] is True
    assert ombudsman(london(2027, 6, 12))["open"] is False
    assert "UNCONFIRMED" in engine.procedure_of(case).rights["housing_ombudsman"].cites


def test_hoc_resolved_or_withdrawn_at_stage1(landlord, people):
    resolved = acknowledged(landlord, people)
    step(resolved, people["officer"], "send_stage1_response", RESPONDED)
    closed = step(
        resolved, people["resident"], "close_stage1", ESCALATED, outcome="resolved_stage1"
    )
    assert (closed.is_open, closed.outcome) == (False, "resolved_stage1")
    withdrawn = acknowledged(landlord, people)
    with pytest.raises(InvalidAction):
        step(withdrawn, people["resident"], "withdraw", ESCALATED)
    closed = step(withdrawn, people["resident"], "withdraw", ESCALATED, reason="Fixed now.")
    assert (closed.outcome, fresh(withdrawn).next_deadline_at) == ("withdrawn", None)
