"""Who sees which case, and how much of it: staff their own organisation's cases; a
respondent's representative and the complainant their own case, through the party
view (no timeline, no staff notes or reasoning)."""

from __future__ import annotations

import json

import pytest
import time_machine

from accord.accounts.models import User
from accord.cases.models import Case, Event
from accord.organisations.models import Business
from tests.conftest import ApiClient, complaint_body, london, open_to_business

pytestmark = pytest.mark.django_db

NOW = london(2026, 3, 2, 10, 0)
NOTE = "Internal: the practice manager admitted the lab error off the record."
REASONING = "Staff reasoning: complaint is clearly within remit, confirm it."
PARTY_KEYS = {
    "reference",
    "organisation",
    "stage",
    "stage_label",
    "is_open",
    "outcome",
    "received_at",
    "description",
    "complainant",
    "clocks",
    # The complainant's own clocks are shown to both sides (PRODUCT.md).
    "rights",
    "steps",
    "allowed_steps",
}


@pytest.fixture
def businesses(occs) -> tuple[Business, Business]:
    first, second = Business.objects.filter(organisation=occs).order_by("pk")
    return first, second


@pytest.fixture
def world(occs, optimised, staff, businesses):
    """An OCCS case against the first practice, with a staff step, a note and a
    linked complainant; and an Optimised case."""
    practice, _ = businesses
    occs_handler = staff("occs", "handler")
    optimised_handler = staff("optimised", "handler")
    with time_machine.travel(NOW, tick=False):
        response = ApiClient().post(
            "/organisations/occs/complaints", complaint_body(respondent_id=practice.pk)
        )
        assert response.status_code == 201, response.content
        reference = response.json()["reference"]
        other = ApiClient().post("/organisations/optimised/complaints", complaint_body())
        assert other.status_code == 201, other.content
        staff_client = ApiClient(occs_handler)
        stepped = staff_client.step(reference, "confirm_complaint", reason=REASONING)
        assert stepped.status_code == 200, stepped.content
        noted = staff_client.post(f"/cases/{reference}/notes", {"text": NOTE})
        assert noted.status_code == 200, noted.content
    assert any(event["reason"] == NOTE for event in noted.json()["timeline"])
    complainant = User.objects.create_user(username="alex")
    case = Case.objects.select_related("complainant").get(reference=reference)
    case.complainant.user = complainant
    case.complainant.save()
    return {
        "reference": reference,
        "other_reference": other.json()["reference"],
        "occs_handler": occs_handler,
        "optimised_handler": optimised_handler,
        "complainant": complainant,
    }


def detail(user: User | None, reference: str):
    with time_machine.travel(NOW, tick=False):
        return ApiClient(user).get(f"/cases/{reference}")


def queue(user: User) -> list[str]:
    with time_machine.travel(NOW, tick=False):
        response = ApiClient(user).get("/cases")
    assert response.status_code == 200, response.content
    return [row["reference"] for row in response.json()["results"]]


# Staff


def test_staff_see_only_their_own_organisations_cases_in_the_queue(world):
    assert queue(world["occs_handler"]) == [world["reference"]]
    assert queue(world["optimised_handler"]) == [world["other_reference"]]


def test_staff_asking_for_another_organisation_in_the_queue_get_nothing(world):
    with time_machine.travel(NOW, tick=False):
        response = ApiClient(world["optimised_handler"]).get("/cases", organisation="occs")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_staff_get_404_for_another_organisations_case(world):
    response = detail(world["optimised_handler"], world["reference"])
    assert response.status_code == 404
    assert detail(world["occs_handler"], world["other_reference"]).status_code == 404
    own = detail(world["occs_handler"], world["reference"])
    assert own.status_code == 200
    assert own.json()["description"] == complaint_body()["description"]


def test_staff_cannot_act_on_another_organisations_case(world, staff):
    manager = ApiClient(staff("optimised", "manager"))
    reference = world["reference"]
    before = Event.objects.filter(case__reference=reference).count()
    with time_machine.travel(NOW, tick=False):
        responses = [
            manager.step(reference, "accept_for_mediation"),
            manager.post(f"/cases/{reference}/notes", {"text": "peeking"}),
            manager.post(f"/cases/{reference}/assign", {"handler": None}),
            manager.post(f"/cases/{reference}/flags", {"vulnerable": True}),
            manager.post(
                f"/cases/{reference}/clocks/acknowledgement",
                {"action": "pause", "reason": "peeking"},
            ),
        ]
    assert [r.status_code for r in responses] == [404] * len(responses)
    assert Event.objects.filter(case__reference=reference).count() == before


# The respondent's representative


def test_the_business_does_not_know_of_a_case_not_yet_opened_to_it(world, businesses):
    practice, _ = businesses
    representative = User.objects.create_user(username="practice-rep", business=practice)
    assert detail(representative, world["reference"]).status_code == 404
    with time_machine.travel(NOW, tick=False):
        listed = ApiClient(representative).get("/cases")
    assert world["reference"] not in listed.content.decode()


def test_the_respondents_representative_sees_the_party_view(world, businesses):
    practice, _ = businesses
    representative = User.objects.create_user(username="practice-rep", business=practice)
    open_to_business(world["reference"], world["occs_handler"], NOW)
    response = detail(representative, world["reference"])
    assert response.status_code == 200, response.content
    data = response.json()
    assert set(data) == PARTY_KEYS
    assert data["reference"] == world["reference"]
    assert data["description"] is None
    assert "timeline" not in data
    assert "flags" not in data
    assert "desired_outcome" not in data
    assert [s["action"] for s in data["steps"]] == ["receive", "confirm_complaint"]
    text = response.content.decode()
    assert NOTE not in text
    assert REASONING not in text
    assert complaint_body()["description"] not in text
    assert complaint_body()["desired_outcome"] not in text
    assert "alex@example.com" not in text


def test_the_representative_does_not_see_the_case_in_the_staff_queue(world, businesses):
    practice, _ = businesses
    representative = User.objects.create_user(username="practice-rep", business=practice)
    with time_machine.travel(NOW, tick=False):
        response = ApiClient(representative).get("/cases")
    assert response.status_code == 403


def test_the_representative_cannot_add_notes(world, businesses):
    practice, _ = businesses
    representative = User.objects.create_user(username="practice-rep", business=practice)
    open_to_business(world["reference"], world["occs_handler"], NOW)
    with time_machine.travel(NOW, tick=False):
        response = ApiClient(representative).post(
            f"/cases/{world['reference']}/notes", {"text": "our side"}
        )
    assert response.status_code == 403
    assert not Event.objects.filter(reason="our side").exists()


def test_another_businesss_representative_gets_404(world, businesses):
    _, other_practice = businesses
    stranger = User.objects.create_user(username="other-rep", business=other_practice)
    response = detail(stranger, world["reference"])
    assert response.status_code == 404
    assert NOTE not in response.content.decode()
    with time_machine.travel(NOW, tick=False):
        step = ApiClient(stranger).step(world["reference"], "accept_for_mediation")
    assert step.status_code == 404


# The complainant


def test_the_complainant_sees_their_description_and_the_steps_but_no_notes(world):
    response = detail(world["complainant"], world["reference"])
    assert response.status_code == 200, response.content
    data = response.json()
    assert set(data) == PARTY_KEYS
    assert data["description"] == complaint_body()["description"]
    assert [(s["action"], s["to_stage"]) for s in data["steps"]] == [
        ("receive", "received"),
        ("confirm_complaint", "scope_check"),
    ]
    assert "timeline" not in data
    text = response.content.decode()
    assert NOTE not in text
    assert REASONING not in text
    assert "note" not in json.dumps(data["steps"])


def test_another_complainant_gets_404(world):
    stranger = User.objects.create_user(username="someone-else")
    assert detail(stranger, world["reference"]).status_code == 404


def test_an_unlinked_complainant_record_gives_no_access(world):
    # The complainant's e-mail matching a user's is not a link; only Complainant.user is.
    lookalike = User.objects.create_user(username="lookalike", email="alex@example.com")
    assert detail(lookalike, world["reference"]).status_code == 404


# Anonymous


def test_anonymous_callers_are_asked_to_sign_in(world):
    for path in (f"/cases/{world['reference']}", "/cases"):
        with time_machine.travel(NOW, tick=False):
            response = ApiClient().get(path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "unauthenticated"
    with time_machine.travel(NOW, tick=False):
        response = ApiClient().post(f"/cases/{world['reference']}/notes", {"text": "hi"})
    assert response.status_code == 401
