"""Separation of duties at every escalation: whoever handled the earlier stage (as the
assignee, or by taking a handler's step) may neither be assigned the escalated case nor
take its senior steps; an escalated case needs a different senior handler. And a case
is invisible to another organisation's staff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine

from accord.accounts.models import User
from accord.cases.models import Event
from accord.organisations.models import Business, Organisation
from tests.conftest import ApiClient, complaint_body, london

pytestmark = pytest.mark.django_db

RECEIVED = london(2026, 3, 2, 9, 0)
STAGE_ONE = london(2026, 3, 3, 10, 0)
ESCALATED = london(2026, 3, 10, 10, 0)
AFTER = london(2026, 3, 11, 10, 0)


@dataclass(frozen=True)
class Escalation:
    """How one procedure escalates, and what the senior handler then does."""

    slug: str
    stage_one: tuple[str, ...]  # handler steps up to the escalation
    escalate: str
    escalated_stage: str
    senior_step: str
    senior_body: dict[str, Any]
    respondent_needed: bool = False


ESCALATIONS = {
    "client-services": Escalation(
        slug="optimised",
        stage_one=("acknowledge", "propose_resolution"),
        escalate="escalate",
        escalated_stage="escalated",
        senior_step="resolve_escalated",
        senior_body={},
    ),
    "lettings": Escalation(
        slug="ocasa",
        stage_one=("acknowledge", "send_stage1_response"),
        escalate="request_stage2",
        escalated_stage="stage2_received",
        senior_step="acknowledge_stage2",
        senior_body={},
    ),
    "occs-mediation": Escalation(
        slug="occs",
        stage_one=(
            "confirm_complaint",
            "accept_for_mediation",
            "record_consent",
            "gather_information",
            "begin_review",
            "record_no_agreement",
        ),
        escalate="refer_to_senior_mediator",
        escalated_stage="senior_consideration",
        senior_step="complete_senior_consideration",
        senior_body={},
        respondent_needed=True,
    ),
}


@pytest.fixture(params=list(ESCALATIONS), ids=list(ESCALATIONS))
def escalation(request: pytest.FixtureRequest) -> Escalation:
    return ESCALATIONS[request.param]


@pytest.fixture
def make(staff: Callable[[str, str], User]) -> Callable[[str, str], User]:
    """make("optimised", "senior_handler") -> a new member of that organisation's staff."""
    return staff


def submit(procedure: Escalation, organisations: dict[str, Organisation]) -> str:
    body = complaint_body()
    if procedure.respondent_needed:
        practice = (
            Business.objects.filter(organisation=organisations[procedure.slug])
            .order_by("pk")
            .first()
        )
        assert practice is not None
        body["respondent_id"] = practice.pk
    with time_machine.travel(RECEIVED, tick=False):
        response = ApiClient().post(f"/organisations/{procedure.slug}/complaints", body)
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


def assign(by: User, reference: str, handler: User, at: dt.datetime = AFTER) -> Any:
    with time_machine.travel(at, tick=False):
        return ApiClient(by).post(f"/cases/{reference}/assign", {"handler": handler.username})


def step(by: User, reference: str, action: str, at: dt.datetime = AFTER, **body: Any) -> Any:
    with time_machine.travel(at, tick=False):
        return ApiClient(by).step(reference, action, **body)


def escalate(
    procedure: Escalation,
    organisations: dict[str, Organisation],
    *,
    assignee: User | None,
    actor: User,
    manager: User,
) -> str:
    """Bring a case to its escalated stage: `assignee` (if any) holds stage 1, `actor`
    takes every stage 1 step and the escalation itself."""
    reference = submit(procedure, organisations)
    if assignee is not None:
        assert assign(manager, reference, assignee, RECEIVED).status_code == 200
    for action in procedure.stage_one:
        response = step(actor, reference, action, STAGE_ONE)
        assert response.status_code == 200, (action, response.content)
    response = step(actor, reference, procedure.escalate, ESCALATED)
    assert response.status_code == 200, response.content
    detail = response.json()
    assert detail["stage"] == procedure.escalated_stage
    assert detail["handler"] is None
    return reference


def refused_for_separation(response: Any) -> None:
    assert response.status_code == 409, response.content
    assert response.json()["error"] == "separation_of_duties"


def test_the_stage_one_handler_cannot_be_assigned_or_take_the_senior_steps(
    escalation, organisations, make
):
    # A senior handler works stage 1 themselves: assigned, and taking every step.
    first = make(escalation.slug, "senior_handler")
    manager = make(escalation.slug, "manager")
    reference = escalate(escalation, organisations, assignee=first, actor=first, manager=manager)

    refused_for_separation(assign(manager, reference, first))
    refused_for_separation(assign(first, reference, first))  # nor may they take it back

    second = make(escalation.slug, "senior_handler")
    assert assign(manager, reference, second).status_code == 200
    refused_for_separation(step(first, reference, escalation.senior_step, **escalation.senior_body))
    with time_machine.travel(AFTER, tick=False):
        seen_by_first = ApiClient(first).get(f"/cases/{reference}").json()
    assert escalation.senior_step not in seen_by_first["allowed_steps"]


def test_the_stage_one_assignee_is_barred_even_without_taking_a_step(
    escalation, organisations, make
):
    assignee = make(escalation.slug, "senior_handler")
    actor = make(escalation.slug, "handler")
    manager = make(escalation.slug, "manager")
    reference = escalate(escalation, organisations, assignee=assignee, actor=actor, manager=manager)
    assert not Event.objects.filter(case__reference=reference, actor=assignee).exists()

    refused_for_separation(assign(manager, reference, assignee))
    second = make(escalation.slug, "senior_handler")
    assert assign(manager, reference, second).status_code == 200
    refused_for_separation(
        step(assignee, reference, escalation.senior_step, **escalation.senior_body)
    )


def test_a_senior_who_took_a_stage_one_step_is_barred_without_being_assigned(
    escalation, organisations, make
):
    # The case is never assigned at stage 1; a senior handler takes its steps.
    actor = make(escalation.slug, "senior_handler")
    manager = make(escalation.slug, "manager")
    reference = escalate(escalation, organisations, assignee=None, actor=actor, manager=manager)

    refused_for_separation(assign(manager, reference, actor))
    second = make(escalation.slug, "senior_handler")
    assert assign(manager, reference, second).status_code == 200
    refused_for_separation(step(actor, reference, escalation.senior_step, **escalation.senior_body))


def test_a_senior_who_only_took_one_stage_one_step_is_barred(escalation, organisations, make):
    handler = make(escalation.slug, "handler")
    helper = make(escalation.slug, "senior_handler")
    manager = make(escalation.slug, "manager")
    reference = submit(escalation, organisations)
    first, *rest = escalation.stage_one
    assert step(helper, reference, first, STAGE_ONE).status_code == 200
    for action in rest:
        assert step(handler, reference, action, STAGE_ONE).status_code == 200, action
    assert step(handler, reference, escalation.escalate, ESCALATED).status_code == 200

    refused_for_separation(assign(manager, reference, helper))
    refused_for_separation(assign(manager, reference, handler))


def test_an_escalated_case_needs_a_senior_handler(escalation, organisations, make):
    first = make(escalation.slug, "handler")
    manager = make(escalation.slug, "manager")
    reference = escalate(escalation, organisations, assignee=first, actor=first, manager=manager)

    fresh_handler = make(escalation.slug, "handler")
    refused = assign(manager, reference, fresh_handler)
    assert refused.status_code == 422
    assert refused.json()["field"] == "handler"
    # Nor may a plain handler take it for themselves.
    assert assign(fresh_handler, reference, fresh_handler).status_code == 422
    with time_machine.travel(AFTER, tick=False):
        assert ApiClient(manager).get(f"/cases/{reference}").json()["handler"] is None


def test_a_different_senior_handler_takes_the_escalated_case(escalation, organisations, make):
    first = make(escalation.slug, "handler")
    manager = make(escalation.slug, "manager")
    reference = escalate(escalation, organisations, assignee=first, actor=first, manager=manager)

    second = make(escalation.slug, "senior_handler")
    assigned = assign(manager, reference, second)
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["handler"] == second.username
    with time_machine.travel(AFTER, tick=False):
        seen_by_second = ApiClient(second).get(f"/cases/{reference}").json()
    assert escalation.senior_step in seen_by_second["allowed_steps"]
    taken = step(second, reference, escalation.senior_step, **escalation.senior_body)
    assert taken.status_code == 200, taken.content
    senior_event = Event.objects.get(case__reference=reference, action=escalation.senior_step)
    assert senior_event.actor == second
    assert senior_event.actor_role == "senior_handler"


def test_a_senior_handler_may_take_the_escalated_case_for_themselves(
    escalation, organisations, make
):
    first = make(escalation.slug, "handler")
    manager = make(escalation.slug, "manager")
    reference = escalate(escalation, organisations, assignee=first, actor=first, manager=manager)
    second = make(escalation.slug, "senior_handler")
    assert assign(second, reference, second).status_code == 200
    assert step(second, reference, escalation.senior_step).status_code == 200


def test_client_services_deadlock_is_barred_to_the_stage_one_handler_too(organisations, make):
    procedure = ESCALATIONS["client-services"]
    first = make("optimised", "senior_handler")
    manager = make("optimised", "manager")
    reference = escalate(procedure, organisations, assignee=first, actor=first, manager=manager)
    second = make("optimised", "senior_handler")
    assert assign(manager, reference, second).status_code == 200
    refused_for_separation(step(first, reference, "issue_deadlock", reason="No further offer."))
    assert step(second, reference, "issue_deadlock", reason="No further offer.").status_code == 200


def test_lettings_stage2_review_steps_are_barred_to_the_stage_one_handler(organisations, make):
    procedure = ESCALATIONS["lettings"]
    first = make("ocasa", "senior_handler")
    manager = make("ocasa", "manager")
    reference = escalate(procedure, organisations, assignee=first, actor=first, manager=manager)
    head = make("ocasa", "senior_handler")
    assert assign(manager, reference, head).status_code == 200
    assert step(head, reference, "acknowledge_stage2").status_code == 200
    refused_for_separation(step(first, reference, "send_holding_response", reason="Waiting."))
    refused_for_separation(step(first, reference, "conclude_stage2", outcome="upheld"))
    assert step(head, reference, "conclude_stage2", outcome="upheld").status_code == 200


# --- Another organisation's staff -----------------------------------------------------


@pytest.mark.parametrize(("outsider_slug", "role"), [("ocasa", "manager"), ("occs", "handler")])
def test_another_organisations_staff_cannot_see_or_touch_the_case(
    organisations, make, outsider_slug, role
):
    reference = submit(ESCALATIONS["client-services"], organisations)
    outsider = make(outsider_slug, role)
    client = ApiClient(outsider)
    with time_machine.travel(AFTER, tick=False):
        assert client.get(f"/cases/{reference}").status_code == 404
        assert client.step(reference, "acknowledge").status_code == 404
        assert (
            client.post(f"/cases/{reference}/assign", {"handler": outsider.username}).status_code
            == 404
        )
        assert (
            client.post(
                f"/cases/{reference}/clocks/response", {"action": "pause", "reason": "Peeking."}
            ).status_code
            == 404
        )
        missing = client.get("/cases/OPT-2026-999999")
    # The same answer as for a case that does not exist.
    assert missing.status_code == 404
    with time_machine.travel(AFTER, tick=False):
        assert client.get(f"/cases/{reference}").json() == missing.json()
    assert not Event.objects.filter(case__reference=reference, actor=outsider).exists()


def test_another_organisations_senior_handler_cannot_be_assigned(organisations, make):
    procedure = ESCALATIONS["client-services"]
    first = make("optimised", "handler")
    manager = make("optimised", "manager")
    reference = escalate(procedure, organisations, assignee=first, actor=first, manager=manager)
    stranger = make("ocasa", "senior_handler")
    refused = assign(manager, reference, stranger)
    assert refused.status_code == 422
    assert refused.json()["field"] == "handler"
