"""A breach, once it has happened, stands; clock changes obey separation of duties;
parties do not see staff pause reasons; only what is received is deemed received
after hours. (Each was found in review.)"""

from __future__ import annotations

import pytest
import time_machine

from accord.accounts.models import User
from accord.cases import actions, engine
from accord.cases.choices import Channel
from accord.cases.errors import ActionRefused, SeparationOfDuties
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case, Clock, Event
from accord.cases.sweep import sweep_once
from tests.conftest import ApiClient, complaint_body, london, open_to_business

pytestmark = pytest.mark.django_db


def mediation_case(occs, handler, at):
    complaint = Complaint(
        complainant=ComplainantDetails(name="Kim"),
        description="Frames broke.",
        channel=Channel.WEB_FORM,
        respondent_id=occs.businesses.order_by("pk").first().pk,
    )
    case = receive_complaint(occs, complaint, now=at)[0]
    for step in ("confirm_complaint", "accept_for_mediation"):
        engine.take_step(case.pk, handler, step, engine.StepRequest(), now=at)
    return case


def test_a_clock_past_due_cannot_be_paused_to_hide_the_breach(occs, staff):
    handler = staff("occs", "handler")
    case = mediation_case(occs, handler, london(2026, 3, 2, 10))  # agreement due Thu 16 April
    with pytest.raises(ActionRefused, match="the breach stands"):
        actions.pause_clock(case.pk, handler, "agreement", reason="Late", now=london(2026, 4, 18))
    assert sweep_once(london(2026, 4, 18)).breached == 1


def test_a_pause_and_resume_on_one_day_does_not_repeat_the_at_risk_notice(occs, staff):
    handler = staff("occs", "handler")
    case = mediation_case(occs, handler, london(2026, 3, 2, 10))
    assert sweep_once(london(2026, 4, 15, 1)).at_risk == 1
    actions.pause_clock(
        case.pk, handler, "agreement", reason="Call back", now=london(2026, 4, 15, 9)
    )
    actions.resume_clock(
        case.pk, handler, "agreement", reason="Called", now=london(2026, 4, 15, 11)
    )
    assert Clock.objects.get(case=case, key="agreement").explanation["due_date"] == "2026-04-16"
    assert sweep_once(london(2026, 4, 15, 12)).at_risk == 0
    assert Event.objects.filter(case=case, kind="clock_at_risk").count() == 1


def test_an_earlier_handler_cannot_change_the_escalated_cases_clocks_or_assign_it(optimised, staff):
    handler, senior = staff("optimised", "handler"), staff("optimised", "senior_handler")
    complaint = Complaint(
        complainant=ComplainantDetails(name="Pat"), description="x", channel=Channel.EMAIL
    )
    case = receive_complaint(optimised, complaint, now=london(2026, 12, 1, 10))[0]
    actions.assign(case.pk, handler, handler=handler, now=london(2026, 12, 1, 11))
    for step in ("acknowledge", "propose_resolution", "escalate"):
        engine.take_step(case.pk, handler, step, engine.StepRequest(), now=london(2026, 12, 2, 10))
    handler.staff_role = "senior_handler"  # even promoted, they handled stage 1
    handler.save()
    with pytest.raises(SeparationOfDuties):
        actions.assign(case.pk, handler, handler=senior, now=london(2026, 12, 2, 11))


def test_a_party_sees_that_a_clock_was_paused_but_not_the_staff_reason(occs, staff):
    handler = staff("occs", "handler")
    case = mediation_case(occs, handler, london(2026, 3, 2, 10))
    actions.pause_clock(
        case.pk,
        handler,
        "agreement",
        reason="Consumer privately said she would take 200 pounds",
        now=london(2026, 3, 3, 10),
    )
    actions.resume_clock(
        case.pk, handler, "agreement", reason="Resumed", now=london(2026, 3, 5, 10)
    )
    rep = User.objects.create_user("rep", business=Case.objects.get(pk=case.pk).respondent)
    open_to_business(case.reference, handler, london(2026, 3, 5, 11))
    with time_machine.travel(london(2026, 3, 6, 10), tick=False):
        seen = ApiClient(rep).get(f"/cases/{case.reference}").content.decode()
        staff_view = ApiClient(handler).get(f"/cases/{case.reference}").content.decode()
    assert "200 pounds" not in seen
    assert "Paused for 2 day(s)" in seen
    assert "200 pounds" in staff_view


def test_a_clock_counted_from_the_organisations_own_act_is_not_deemed_the_next_day(ocasa, staff):
    handler, senior = staff("ocasa", "handler"), staff("ocasa", "senior_handler")
    complaint = Complaint(
        complainant=ComplainantDetails(name="Jo"), description="x", channel=Channel.EMAIL
    )
    case = receive_complaint(ocasa, complaint, now=london(2026, 12, 1, 9))[0]
    for step in ("acknowledge", "send_stage1_response"):
        engine.take_step(case.pk, handler, step, engine.StepRequest(), now=london(2026, 12, 1, 10))
    # The stage 2 request is taken at 17:30 on Tuesday 1 December: counted from that day,
    # 5 working days -> Tuesday 8 December (not Wednesday 9).
    engine.take_step(
        case.pk, handler, "request_stage2", engine.StepRequest(), now=london(2026, 12, 1, 17, 30)
    )
    review = Clock.objects.get(case=case, key="stage2_review")
    assert review.explanation["due_date"] == "2026-12-08"
    del senior


@pytest.mark.parametrize(
    ("path", "body_or_params", "field"),
    [
        ("/cases", {"received_at": "1999-12-31T10:00:00+00:00"}, "received_at"),
        (
            "/cases",
            {"received_at": "2021-03-01T10:00:00+00:00"},
            "received_at",
        ),  # before the policy
    ],
)
def test_impossible_receipt_dates_are_refused_with_the_field_named(
    optimised, staff, path, body_or_params, field
):
    client = ApiClient(staff("optimised", "handler"))
    body = complaint_body(channel="letter", **body_or_params)
    with time_machine.travel(london(2026, 12, 1, 10), tick=False):
        response = client.post(path, body)
    assert response.status_code == 422, response.content
    data = response.json()
    assert data.get("field") == field or any(f["field"] == field for f in data.get("fields", []))


def test_absurd_queue_parameters_are_refused_not_crashed(optimised, staff):
    import base64
    import json

    client = ApiClient(staff("optimised", "handler"))
    assert client.get("/cases", team=10**30).status_code == 422
    cursor = base64.urlsafe_b64encode(json.dumps([None, 1e999]).encode()).decode()
    assert client.get("/cases", cursor=cursor).status_code == 422


def test_a_reused_idempotency_key_with_another_complaint_is_refused(ocasa):
    path = "/organisations/ocasa/complaints"
    with time_machine.travel(london(2026, 12, 1, 10), tick=False):
        first = ApiClient().post(path, complaint_body(), headers={"Idempotency-Key": "k-1"})
        retry = ApiClient().post(path, complaint_body(), headers={"Idempotency-Key": "k-1"})
        other = ApiClient().post(
            path,
            complaint_body(description="Something else entirely."),
            headers={"Idempotency-Key": "k-1"},
        )
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["reference"] == first.json()["reference"]
    assert (other.status_code, other.json()["field"]) == (422, "Idempotency-Key")
    assert Case.objects.count() == 1


def test_an_organisation_cannot_be_set_to_an_unknown_procedure(ocasa):
    from django.core.exceptions import ValidationError

    ocasa.procedure_key = "no-such-procedure"
    with pytest.raises(ValidationError, match="no procedure"):
        ocasa.full_clean()
