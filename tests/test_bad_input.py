"""Bad input gets a clear 4xx JSON error that names the field, never a 500; text that
looks like markup is kept as text and escaped wherever it is shown."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from accord.accounts.models import User
from accord.cases.models import Case, Complainant
from accord.organisations.models import Business
from tests.conftest import ApiClient, complaint_body, london, verified_client

pytestmark = pytest.mark.django_db

NOW = london(2026, 3, 2, 10, 0)
PUBLIC = "/organisations/occs/complaints"


@pytest.fixture
def practice(occs):
    return Business.objects.filter(organisation=occs).order_by("pk").first()


@pytest.fixture
def other_practice(occs):
    return Business.objects.filter(organisation=occs).order_by("pk").last()


def body(practice, **overrides: Any) -> dict[str, Any]:
    return complaint_body(**{"respondent_id": practice.pk, **overrides})


def submit(payload: Any, slug: str = "occs", headers: dict[str, str] | None = None):
    with time_machine.travel(NOW, tick=False):
        return ApiClient().post(f"/organisations/{slug}/complaints", payload, headers=headers)


def fields_of(response) -> list[str | None]:
    """Every field the error names (validation errors list them; refusals name one)."""
    data = response.json()
    if "fields" in data:
        return [item["field"] for item in data["fields"]]
    return [data.get("field")]


def assert_json_error(response, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    assert isinstance(data, dict)
    if field is not None:
        assert field in fields_of(response), data
    assert data.get("message") or data.get("detail"), data
    return data


# Unknown fields


def test_an_unknown_top_level_field_is_refused_by_name(practice):
    data = assert_json_error(submit(body(practice, colour="blue")), 422, "colour")
    assert data["error"] == "invalid"


def test_an_unknown_nested_field_is_refused_by_name(practice):
    payload = body(practice, complainant={"name": "Alex Morgan", "nickname": "Al"})
    assert_json_error(submit(payload), 422, "complainant.nickname")


# Missing and blank


def test_a_missing_description_is_named(practice):
    payload = body(practice)
    del payload["description"]
    assert_json_error(submit(payload), 422, "description")


@pytest.mark.parametrize("blank", ["", "   ", "\n\t  \n"])
def test_a_blank_description_is_named(practice, blank):
    assert_json_error(submit(body(practice, description=blank)), 422, "description")


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_name_is_named(practice, blank):
    payload = body(practice, complainant={"name": blank, "email": "alex@example.com"})
    assert_json_error(submit(payload), 422, "complainant.name")


def test_a_missing_name_is_named(practice):
    payload = body(practice, complainant={"email": "alex@example.com"})
    assert_json_error(submit(payload), 422, "complainant.name")


def test_a_missing_complainant_is_named(practice):
    payload = body(practice)
    del payload["complainant"]
    assert_json_error(submit(payload), 422, "complainant")


# Lengths, formats and types


def test_an_over_long_name_is_named(practice):
    payload = body(practice, complainant={"name": "x" * 201})
    assert_json_error(submit(payload), 422, "complainant.name")


def test_a_name_of_exactly_200_characters_is_accepted(practice):
    response = submit(body(practice, complainant={"name": "x" * 200}))
    assert response.status_code == 201, response.content


def test_an_over_long_description_is_named(practice):
    assert_json_error(submit(body(practice, description="x" * 20_001)), 422, "description")


def test_a_description_of_exactly_20000_characters_is_accepted(practice):
    response = submit(body(practice, description="x" * 20_000))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("email", ["not-an-email", "alex@", "@example.com", "a b@example.com"])
def test_an_invalid_email_is_named(practice, email):
    payload = body(practice, complainant={"name": "Alex Morgan", "email": email})
    assert_json_error(submit(payload), 422, "complainant.email")


@pytest.mark.parametrize("date", ["2026-02-30", "yesterday", "02/03/2026", "2026-13-01"])
def test_an_invalid_date_is_named(practice, date):
    assert_json_error(submit(body(practice, issue_arose_on=date)), 422, "issue_arose_on")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": 42}, "description"),
        ({"description": ["a", "list"]}, "description"),
        ({"complainant": "Alex Morgan"}, "complainant"),
        ({"complainant": {"name": 7}}, "complainant.name"),
        ({"respondent_id": "the practice"}, "respondent_id"),
        ({"respondent_id": 0}, "respondent_id"),
        ({"respondent_id": 1.5}, "respondent_id"),
        ({"share_information": [True]}, "share_information"),
        ({"issue_arose_on": 20260301}, "issue_arose_on"),
    ],
)
def test_wrong_types_are_named(practice, overrides, field):
    assert_json_error(submit(body(practice, **overrides)), 422, field)


@pytest.mark.parametrize("payload", [[], "a complaint", 42, None])
def test_a_body_that_is_not_an_object_is_refused(payload):
    client = Client()
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            f"/api{PUBLIC}", json.dumps(payload), content_type="application/json"
        )
    assert_json_error(response, 422)


def test_an_empty_body_is_refused():
    with time_machine.travel(NOW, tick=False):
        response = Client().post(f"/api{PUBLIC}", "", content_type="application/json")
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/json")
    assert Case.objects.count() == 0


# Size and syntax


def test_a_body_over_the_upload_limit_is_too_large(practice):
    description = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    data = assert_json_error(submit(body(practice, description=description)), 413)
    assert data["error"] == "too_large"


@pytest.mark.parametrize(
    "raw", ['{"description": ', "{'description': 'single quotes'}", "not json at all", "{,}"]
)
def test_malformed_json_is_a_400(raw):
    with time_machine.travel(NOW, tick=False):
        response = Client().post(f"/api{PUBLIC}", raw, content_type="application/json")
    data = assert_json_error(response, 400)
    assert data["error"] == "malformed"


# Intake rules


def test_an_unknown_organisation_is_a_404(practice):
    response = submit(body(practice), slug="no-such-organisation")
    assert_json_error(response, 404)
    assert Case.objects.count() == 0


def test_a_404_has_the_apis_declared_error_shape(practice, staff):
    # Both endpoints declare 404 as ErrorOut: {"error", "message", "field"}.
    unknown_organisation = submit(body(practice), slug="no-such-organisation")
    unknown_case = ApiClient(staff("occs", "handler")).get("/cases/OCC-2026-999999")
    for response in (unknown_organisation, unknown_case):
        data = assert_json_error(response, 404)
        assert isinstance(data.get("error"), str), data
        assert isinstance(data.get("message"), str), data


def test_another_organisations_business_is_refused_as_respondent(practice, optimised):
    foreign = Business.objects.get(organisation=optimised)
    data = assert_json_error(submit(body(foreign)), 422, "respondent_id")
    assert data["field"] == "respondent_id"


def test_a_respondent_that_does_not_exist_is_refused(practice):
    assert_json_error(submit(complaint_body(respondent_id=999_999)), 422, "respondent_id")


def test_staff_cannot_log_a_complaint_received_in_the_future(practice, staff):
    handler = ApiClient(staff("occs", "handler"))
    later = NOW + dt.timedelta(minutes=1)
    with time_machine.travel(NOW, tick=False):
        response = handler.post(
            "/cases", body(practice, channel="letter", received_at=later.isoformat())
        )
    data = assert_json_error(response, 422, "received_at")
    assert data["field"] == "received_at"


def test_staff_logging_names_an_invalid_received_at(practice, staff):
    handler = ApiClient(staff("occs", "handler"))
    with time_machine.travel(NOW, tick=False):
        response = handler.post("/cases", body(practice, channel="letter", received_at="today"))
    assert_json_error(response, 422, "received_at")


def test_a_received_at_without_a_time_zone_is_not_a_server_error(practice, staff):
    # "2026-02-27T10:00:00" has no offset: either refuse it by name or read it as UK
    # local time; never compare it with an aware instant and fail with a 500.
    handler = ApiClient(staff("occs", "handler"))
    handler.client.raise_request_exception = False
    with time_machine.travel(NOW, tick=False):
        response = handler.post(
            "/cases", body(practice, channel="letter", received_at="2026-02-27T10:00:00")
        )
    assert response.status_code != 500
    if response.status_code == 201:
        case = Case.objects.get(reference=response.json()["reference"])
        assert case.received_at == london(2026, 2, 27, 10, 0)
    else:
        assert_json_error(response, 422, "received_at")


@pytest.mark.parametrize("channel", ["carrier_pigeon", "", None])
def test_staff_logging_names_an_unknown_channel(practice, staff, channel):
    handler = ApiClient(staff("occs", "handler"))
    with time_machine.travel(NOW, tick=False):
        response = handler.post("/cases", body(practice, channel=channel))
    assert_json_error(response, 422, "channel")


@pytest.mark.parametrize("slug", ["optimised", "occs"])
def test_an_issue_cannot_arise_after_the_complaint_is_received(organisations, slug):
    organisation = organisations[slug]
    respondent = Business.objects.filter(organisation=organisation).order_by("pk")[0]
    tomorrow = (NOW + dt.timedelta(days=1)).date().isoformat()
    payload = complaint_body(respondent_id=respondent.pk, issue_arose_on=tomorrow)
    response = submit(payload, slug=slug)
    data = assert_json_error(response, 422, "issue_arose_on")
    assert data["field"] == "issue_arose_on"


def test_a_staff_logged_issue_cannot_arise_after_the_stated_receipt(staff):
    handler = ApiClient(staff("optimised", "handler"))
    received = london(2026, 2, 20, 10, 0)
    payload = complaint_body(
        channel="letter", received_at=received.isoformat(), issue_arose_on="2026-02-25"
    )
    with time_machine.travel(NOW, tick=False):
        response = handler.post("/cases", payload)
    assert_json_error(response, 422, "issue_arose_on")


def test_an_over_long_idempotency_key_is_refused(practice):
    data = assert_json_error(
        submit(body(practice), headers={"Idempotency-Key": "k" * 201}), 422, "Idempotency-Key"
    )
    assert data["field"] == "Idempotency-Key"


def test_a_blank_idempotency_key_is_refused(practice):
    assert_json_error(
        submit(body(practice), headers={"Idempotency-Key": "   "}), 422, "Idempotency-Key"
    )


def test_an_idempotency_key_of_200_characters_is_accepted(practice):
    response = submit(body(practice), headers={"Idempotency-Key": "k" * 200})
    assert response.status_code == 201, response.content


# Steps


@pytest.fixture
def case_and_handler(practice, staff) -> tuple[str, ApiClient]:
    response = submit(body(practice))
    assert response.status_code == 201, response.content
    return response.json()["reference"], ApiClient(staff("occs", "handler"))


def test_an_unknown_step_is_named(case_and_handler):
    reference, handler = case_and_handler
    with time_machine.travel(NOW, tick=False):
        response = handler.step(reference, "fly_to_the_moon")
    data = assert_json_error(response, 422)
    assert data["field"] == "action"
    assert "fly_to_the_moon" in data["message"]


def test_a_step_of_another_stage_is_a_conflict(case_and_handler):
    reference, handler = case_and_handler
    with time_machine.travel(NOW, tick=False):
        response = handler.step(reference, "agree_resolution")
    data = assert_json_error(response, 409)
    assert data["error"] == "refused"
    assert Case.objects.get(reference=reference).stage == "received"


def test_no_step_can_be_taken_on_a_closed_case(case_and_handler):
    reference, handler = case_and_handler
    with time_machine.travel(NOW, tick=False):
        closed = handler.step(reference, "confirm_complaint")
        assert closed.status_code == 200, closed.content
        closed = handler.step(reference, "out_of_remit", reason="Clinical negligence.")
        assert closed.status_code == 200, closed.content
        assert closed.json()["is_open"] is False
        response = handler.step(reference, "accept_for_mediation")
        withdrawn = handler.step(reference, "withdraw", reason="Changed their mind.")
    data = assert_json_error(response, 409)
    assert "closed" in data["message"]
    assert withdrawn.status_code == 409


def test_step_input_is_validated_by_name(case_and_handler):
    reference, handler = case_and_handler
    with time_machine.travel(NOW, tick=False):
        unknown = handler.step(reference, "confirm_complaint", colour="blue")
        long_reason = handler.step(reference, "confirm_complaint", reason="x" * 10_001)
    assert_json_error(unknown, 422, "colour")
    assert_json_error(long_reason, 422, "reason")


# The queue cursor


def _token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!not base64!!!",
        "abc",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
        _token({"deadline": None}),
        _token([None]),
        _token([None, 1, 2]),
        _token(["not a date", 1]),
        _token([None, "one"]),
        _token([None, None]),
        _token([123, 1]),
        _token("a string"),
        _token(42),
        _token(["2026-03-02T10:00:00", 1]),  # no offset: the queue never gives this out
        "x" * 501,
    ],
)
def test_a_bad_queue_cursor_is_named(staff, cursor):
    handler = ApiClient(staff("occs", "handler"))
    handler.client.raise_request_exception = False
    response = handler.get("/cases", cursor=cursor)
    assert_json_error(response, 422, "cursor")


# Rate limiting


def test_public_intake_is_rate_limited_per_address(practice):
    # IntakeThrottle takes its rate from settings when the module is imported, so the
    # configured rate is the one in force: send one more than it allows.
    allowed = int(settings.ACCORD_INTAKE_RATE.split("/")[0])
    client = ApiClient()
    with time_machine.travel(NOW, tick=False):
        statuses = [client.post(PUBLIC, body(practice)).status_code for _ in range(allowed)]
        throttled = client.post(PUBLIC, body(practice))
        elsewhere = Client(REMOTE_ADDR="203.0.113.9").post(
            f"/api{PUBLIC}", json.dumps(body(practice)), content_type="application/json"
        )
    assert statuses == [201] * allowed
    assert throttled.status_code == 429, throttled.content
    assert throttled["Content-Type"].startswith("application/json")
    assert throttled.json()["error"] == "throttled"
    assert Case.objects.count() == allowed + 1  # another address is not held back
    assert elsewhere.status_code == 201


def test_the_limit_lifts_after_a_minute(practice):
    allowed = int(settings.ACCORD_INTAKE_RATE.split("/")[0])
    client = ApiClient()
    with time_machine.travel(NOW, tick=False):
        for _ in range(allowed):
            client.post(PUBLIC, body(practice))
        assert client.post(PUBLIC, body(practice)).status_code == 429
    with time_machine.travel(NOW + dt.timedelta(minutes=1, seconds=1), tick=False):
        assert client.post(PUBLIC, body(practice)).status_code == 201


# Markup in a complaint

SCRIPT = "<script>alert(1)</script>"


def test_markup_is_stored_as_text_and_escaped_in_the_admin(practice):
    payload = body(
        practice,
        complainant={"name": f"{SCRIPT} Morgan", "email": "alex@example.com"},
        description=f'Before {SCRIPT} after <b>bold</b> & "quotes"',
    )
    response = submit(payload)
    assert response.status_code == 201, response.content
    case = Case.objects.select_related("complainant").get(reference=response.json()["reference"])
    assert case.complainant.name == payload["complainant"]["name"]
    assert case.description == payload["description"]
    assert Complainant.objects.get().name == f"{SCRIPT} Morgan"

    superuser = User.objects.create_superuser("root", "root@example.com", "x")
    client = verified_client(superuser)
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "<b>bold</b>" not in html


def test_markup_is_returned_verbatim_as_json_data(practice, staff):
    payload = body(practice, description=SCRIPT)
    reference = submit(payload).json()["reference"]
    detail = ApiClient(staff("occs", "handler")).get(f"/cases/{reference}")
    assert detail["Content-Type"].startswith("application/json")
    assert detail.json()["description"] == SCRIPT
