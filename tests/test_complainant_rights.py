"""The complainant's own clocks, shown to staff and to both parties: the window to
raise a complaint, the ombudsman for microbusinesses, the Property Redress Scheme."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.accounts.models import User
from tests.conftest import ApiClient, complaint_body, london

pytestmark = pytest.mark.django_db


def file(slug: str, at: dt.datetime, **overrides: Any) -> str:
    with time_machine.travel(at, tick=False):
        response = ApiClient().post(
            f"/organisations/{slug}/complaints", complaint_body(**overrides)
        )
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


def detail(client: ApiClient, reference: str, at: dt.datetime) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        response = client.get(f"/cases/{reference}")
    assert response.status_code == 200, response.content
    return dict(response.json())


def step(
    client: ApiClient, reference: str, at: dt.datetime, action: str, **body: Any
) -> dict[str, Any]:
    with time_machine.travel(at, tick=False):
        response = client.step(reference, action, **body)
    assert response.status_code == 200, (action, response.content)
    return dict(response.json())


def right(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(r for r in data["rights"] if r["key"] == key)


def test_the_complaint_window_is_shown_with_its_last_day(optimised, staff) -> None:
    handler = ApiClient(staff("optimised", "handler"))
    # Issue on Monday 30 November 2026; 7 working days -> Wednesday 9 December.
    reference = file("optimised", london(2026, 12, 14, 10), issue_arose_on="2026-11-30")
    window = right(detail(handler, reference, london(2026, 12, 14, 11)), "raise_within")
    assert "Wednesday 9 December 2026" in window["lines"][0]
    assert "a member of staff decides" in window["lines"][1]


def test_a_microbusiness_may_go_to_the_ombudsman_after_8_weeks(optimised, staff) -> None:
    handler = ApiClient(staff("optimised", "handler"))
    body = complaint_body()
    body["complainant"] |= {"is_microbusiness": True, "business_name": "Corner Bakery Ltd"}
    with time_machine.travel(london(2026, 12, 1, 10), tick=False):
        reference = (
            ApiClient().post("/organisations/optimised/complaints", body).json()["reference"]
        )
    # 8 weeks from Tuesday 1 December 2026 is Tuesday 26 January 2027.
    before = right(detail(handler, reference, london(2027, 1, 26, 12)), "ombudsman_services")
    assert before["applies"] is True
    assert before["open"] is False
    assert "Tuesday 26 January 2027" in before["lines"][0]
    assert before["body"]["phone"] == "0330 440 1624"
    assert before["body"]["email"] == "enquiry@ombudsman-services.org"
    after = right(detail(handler, reference, london(2027, 1, 27, 9)), "ombudsman_services")
    assert after["open"] is True


def test_a_deadlock_letter_opens_the_ombudsman_at_once(optimised, staff) -> None:
    handler_user = staff("optimised", "handler")
    senior_user = staff("optimised", "senior_handler")
    handler, senior = ApiClient(handler_user), ApiClient(senior_user)
    body = complaint_body()
    body["complainant"] |= {"is_microbusiness": True, "business_name": "Corner Bakery Ltd"}
    with time_machine.travel(london(2026, 12, 1, 10), tick=False):
        reference = (
            ApiClient().post("/organisations/optimised/complaints", body).json()["reference"]
        )
    at = london(2026, 12, 2, 10)
    for action in ("acknowledge", "propose_resolution", "escalate"):
        step(handler, reference, at, action)
    with time_machine.travel(at, tick=False):
        senior.post(f"/cases/{reference}/assign", {"handler": senior_user.username})
    step(senior, reference, london(2026, 12, 3, 10), "issue_deadlock", reason="We cannot agree.")
    deadlock = right(detail(senior, reference, london(2026, 12, 3, 11)), "ombudsman_services")
    assert deadlock["open"] is True


def test_the_ombudsman_right_does_not_apply_to_a_consumer(optimised, staff) -> None:
    handler = ApiClient(staff("optimised", "handler"))
    reference = file("optimised", london(2026, 12, 1, 10))
    later = right(detail(handler, reference, london(2027, 3, 1, 10)), "ombudsman_services")
    assert (later["applies"], later["open"]) == (False, False)


def stage2_review(ocasa, staff, received: dt.datetime) -> tuple[str, ApiClient]:
    handler, senior_user = staff("ocasa", "handler"), staff("ocasa", "senior_handler")
    reference = file("ocasa", received)
    client, senior = ApiClient(handler), ApiClient(senior_user)
    for action in ("acknowledge", "send_stage1_response", "request_stage2"):
        step(client, reference, received + dt.timedelta(hours=1), action)
    with time_machine.travel(received + dt.timedelta(hours=2), tick=False):
        senior.post(f"/cases/{reference}/assign", {"handler": senior_user.username})
    step(senior, reference, received + dt.timedelta(hours=3), "acknowledge_stage2")
    return reference, senior


def test_a_stage2_holding_response_gives_reasons_and_an_anticipated_date(ocasa, staff) -> None:
    reference, senior = stage2_review(ocasa, staff, london(2026, 12, 1, 9))
    at = london(2026, 12, 7, 10)
    with time_machine.travel(at, tick=False):
        missing = senior.step(reference, "send_holding_response", reason="Awaiting the contractor.")
    assert (missing.status_code, missing.json()["field"]) == (422, "anticipated_date")
    data = step(
        senior,
        reference,
        at,
        "send_holding_response",
        reason="Awaiting the contractor's report.",
        data={"anticipated_date": "2026-12-18"},
    )
    anticipated = next(c for c in data["clocks"] if c["key"] == "stage2_anticipated")
    assert anticipated["due_date"] == "2026-12-18"
    assert any("anticipated date" in line for line in anticipated["explanation"])
    review = next(c for c in data["clocks"] if c["key"] == "stage2_review")
    assert review["state"] == "met"


def test_the_property_redress_scheme_opens_when_the_in_house_procedure_is_exhausted(
    ocasa, staff
) -> None:
    reference, senior = stage2_review(ocasa, staff, london(2026, 12, 1, 9))
    before = right(detail(senior, reference, london(2026, 12, 4, 10)), "property_redress_scheme")
    assert before["open"] is False
    assert before["body"]["website"] == "https://www.theprs.co.uk"
    step(senior, reference, london(2026, 12, 4, 11), "conclude_stage2", outcome="not_upheld")
    after = right(detail(senior, reference, london(2026, 12, 4, 12)), "property_redress_scheme")
    assert after["open"] is True
    # 12 months from Friday 4 December 2026.
    assert any("Saturday 4 December 2027" in line for line in after["lines"])


def test_the_complainant_sees_their_rights_in_their_own_view(ocasa, staff) -> None:
    reference, _ = stage2_review(ocasa, staff, london(2026, 12, 1, 9))
    from accord.cases.models import Case

    complainant = User.objects.create_user("tenant", email="alex@example.com")
    case = Case.objects.get(reference=reference)
    case.complainant.user = complainant
    case.complainant.save()
    mine = detail(ApiClient(complainant), reference, london(2026, 12, 4, 10))
    assert "timeline" not in mine
    assert right(mine, "property_redress_scheme")["body"]["phone"] == "0333 321 9418"
