"""Receiving complaints through the API: public submission, idempotent retries, staff
logging, the receipt notice task and the intake's query budget."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from accord.accounts.models import User
from accord.cases import intake
from accord.cases.choices import Channel
from accord.cases.models import Case, Clock, Complainant, Event
from accord.cases.tasks import send_receipt_notice
from accord.organisations.models import Business
from accord.outbox.delivery import deliver_pending
from tests.conftest import ApiClient, complaint_body, london

pytestmark = pytest.mark.django_db

RECEIVED = london(2026, 3, 2, 10, 0)  # Monday 2 March 2026, before closing time


@pytest.fixture
def practice(occs):
    return Business.objects.filter(organisation=occs).order_by("pk").first()


def submit(
    slug: str,
    body: dict,
    at: dt.datetime = RECEIVED,
    key: str | None = None,
):
    headers = {"Idempotency-Key": key} if key is not None else None
    with time_machine.travel(at, tick=False):
        return ApiClient().post(f"/organisations/{slug}/complaints", body, headers=headers)


def occs_body(practice, **overrides) -> dict:
    return complaint_body(respondent_id=practice.pk, **overrides)


def counts() -> tuple[int, int, int, int, int]:
    return (
        Case.objects.count(),
        Complainant.objects.count(),
        Event.objects.count(),
        Clock.objects.count(),
        DBTaskResult.objects.count(),
    )


# Public submission


def test_public_submission_returns_the_reference_and_the_acknowledgement_clock(practice):
    response = submit("occs", occs_body(practice))
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert receipt["reference"] == "OCC-2026-000001"
    assert receipt["stage"] == "received"
    assert dt.datetime.fromisoformat(receipt["received_at"]) == RECEIVED
    acknowledgement = next(c for c in receipt["clocks"] if c["key"] == "acknowledgement")
    assert acknowledgement["status"] == "running"
    # 2 working days from Monday 2 March 2026.
    assert acknowledgement["due_date"] == "2026-03-04"
    assert acknowledgement["due_at"] is not None
    assert acknowledgement["explanation"]
    assert all(isinstance(line, str) and line for line in acknowledgement["explanation"])


def test_public_submission_stores_the_case_its_received_event_and_clocks(practice):
    response = submit("occs", occs_body(practice))
    assert response.status_code == 201, response.content
    case = Case.objects.get(reference=response.json()["reference"])
    assert case.channel == Channel.WEB_FORM
    assert case.organisation.slug == "occs"
    assert case.respondent_id == practice.pk
    assert case.received_at == RECEIVED
    assert case.is_open
    assert case.description == complaint_body()["description"]
    assert case.complainant.name == "Alex Morgan"
    assert case.complainant.email == "alex@example.com"
    assert case.idempotency_key is None
    events = list(Event.objects.filter(case=case))
    assert len(events) == 1
    assert events[0].kind == "received"
    assert events[0].seq == 1
    assert events[0].actor is None
    assert case.event_count == 1
    clocks = {clock.key: clock for clock in Clock.objects.filter(case=case)}
    assert "acknowledgement" in clocks
    assert clocks["acknowledgement"].status == "running"
    assert case.next_deadline_at == min(c.due_at for c in clocks.values() if c.due_at)


def test_references_are_numbered_per_organisation_and_year_consecutively(practice):
    references = [
        submit("occs", occs_body(practice), at=RECEIVED + dt.timedelta(minutes=i)).json()[
            "reference"
        ]
        for i in range(3)
    ]
    assert references == ["OCC-2026-000001", "OCC-2026-000002", "OCC-2026-000003"]
    other = submit("optimised", complaint_body())
    assert other.status_code == 201, other.content
    assert other.json()["reference"] == "OPT-2026-000001"
    next_year = submit("occs", occs_body(practice), at=london(2027, 1, 5, 10, 0))
    assert next_year.json()["reference"] == "OCC-2027-000001"
    again = submit("occs", occs_body(practice), at=RECEIVED + dt.timedelta(hours=1))
    assert again.json()["reference"] == "OCC-2026-000004"


# Idempotency


def test_a_retried_submission_with_the_same_key_returns_the_first_case(practice):
    first = submit("occs", occs_body(practice), key="retry-me-123")
    assert first.status_code == 201, first.content
    before = counts()
    retried = submit("occs", occs_body(practice), key="retry-me-123")
    assert retried.status_code == 200, retried.content
    assert retried.json()["reference"] == first.json()["reference"]
    assert counts() == before
    assert Case.objects.get().idempotency_key == "retry-me-123"


def test_a_different_key_makes_a_new_case(practice):
    first = submit("occs", occs_body(practice), key="key-one")
    second = submit("occs", occs_body(practice), key="key-two")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["reference"] != second.json()["reference"]
    assert Case.objects.count() == 2
    assert Complainant.objects.count() == 2
    assert Event.objects.count() == 2


def test_the_same_key_at_another_organisation_is_another_case(practice):
    first = submit("occs", occs_body(practice), key="shared-key")
    second = submit("optimised", complaint_body(), key="shared-key")
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["reference"].startswith("OCC-")
    assert second.json()["reference"].startswith("OPT-")
    assert Case.objects.count() == 2


# Staff logging


def log(user: User | None, body: dict, at: dt.datetime = RECEIVED):
    with time_machine.travel(at, tick=False):
        return ApiClient(user).post("/cases", body)


def test_staff_log_a_phone_complaint_referred_by_the_regulator(practice, staff):
    handler = staff("occs", "handler")
    earlier = london(2026, 2, 27, 15, 30)
    response = log(
        handler,
        occs_body(practice, channel="phone", source="regulator", received_at=earlier.isoformat()),
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(reference=response.json()["reference"])
    assert case.channel == Channel.PHONE
    assert case.source == "regulator"
    assert case.received_at == earlier
    assert case.verbal_summary_pending is True
    received = Event.objects.get(case=case)
    assert received.actor == handler
    assert received.actor_role == "handler"
    assert received.at == earlier


@pytest.mark.parametrize("channel", ["letter", "in_person"])
def test_staff_log_letters_and_visits(practice, staff, channel):
    response = log(staff("occs", "handler"), occs_body(practice, channel=channel))
    assert response.status_code == 201, response.content
    case = Case.objects.get(reference=response.json()["reference"])
    assert case.channel == channel
    assert case.received_at == RECEIVED
    assert case.verbal_summary_pending is (channel == "in_person")


def test_a_letter_does_not_await_a_verbal_summary(practice, staff):
    response = log(staff("occs", "handler"), occs_body(practice, channel="letter"))
    assert response.status_code == 201, response.content
    assert Case.objects.get().verbal_summary_pending is False


def test_anonymous_callers_cannot_log_complaints(practice):
    response = log(None, occs_body(practice, channel="phone"))
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    assert Case.objects.count() == 0


def test_a_respondent_representative_cannot_log_complaints(practice):
    representative = User.objects.create_user(username="rep", business=practice)
    response = log(representative, occs_body(practice, channel="phone"))
    assert response.status_code == 403, response.content
    assert response.json()["error"] == "not_permitted"
    assert Case.objects.count() == 0


def test_a_complainant_cannot_log_complaints(practice):
    reference = submit("occs", occs_body(practice)).json()["reference"]
    person = User.objects.create_user(username="complainant")
    Complainant.objects.filter(case__reference=reference).update(user=person)
    response = log(person, occs_body(practice, channel="letter"))
    assert response.status_code == 403, response.content
    assert Case.objects.count() == 1


# The receipt notice


def test_the_receipt_notice_is_queued_with_the_case(practice):
    response = submit("occs", occs_body(practice))
    case = Case.objects.get(reference=response.json()["reference"])
    task = DBTaskResult.objects.get()
    assert task.task_path == "accord.cases.tasks.send_receipt_notice"
    assert task.args_kwargs["args"] == [case.pk]


def test_no_notice_is_queued_when_intake_fails(practice):
    invalid = submit("occs", occs_body(practice, description="   "))
    assert invalid.status_code == 422
    refused = submit("occs", complaint_body())  # OCCS needs a respondent
    assert refused.status_code == 422
    assert refused.json()["field"] == "respondent_id"
    assert DBTaskResult.objects.count() == 0
    assert Case.objects.count() == 0
    assert Complainant.objects.count() == 0


def test_a_refused_staff_intake_queues_no_notice(practice, staff):
    response = log(
        staff("occs", "handler"),
        occs_body(practice, channel="phone", received_at=london(2026, 3, 3, 10, 0).isoformat()),
    )
    assert response.status_code == 422, response.content
    assert DBTaskResult.objects.count() == 0
    assert Case.objects.count() == 0


def test_the_receipt_notice_e_mails_the_complainant_the_reference(practice):
    response = submit("occs", occs_body(practice))
    reference = response.json()["reference"]
    case = Case.objects.get(reference=reference)
    mail.outbox.clear()
    assert send_receipt_notice.call(case.pk) == "queued"
    deliver_pending()  # the e-mail goes through the outbox
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alex@example.com"]
    assert reference in message.subject
    assert reference in str(message.body)


def test_no_receipt_notice_without_an_e_mail_address(practice):
    body = occs_body(practice, complainant={"name": "Sam Lee", "phone": "01234 567890"})
    case = Case.objects.get(reference=submit("occs", body).json()["reference"])
    mail.outbox.clear()
    assert send_receipt_notice.call(case.pk) == "no e-mail address"
    assert mail.outbox == []


# Query budget

INTAKE_QUERY_BUDGET = 8
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN")


def _measure(organisation, complaint: intake.Complaint, key: str | None = None) -> tuple[int, int]:
    """(statements that read or write data, every statement captured). Inside the test's
    transaction the intake's own transaction is a savepoint; outside it would be a
    BEGIN/COMMIT, so transaction control is not counted against the budget."""
    with CaptureQueriesContext(connection) as queries:
        case, created = intake.receive_complaint(
            organisation, complaint, now=RECEIVED, idempotency_key=key
        )
    assert created
    assert case.pk is not None
    statements = [query["sql"].lstrip().upper() for query in queries.captured_queries]
    data = [sql for sql in statements if not sql.startswith(TRANSACTION_CONTROL)]
    return len(data), len(statements)


def _complaint(practice) -> intake.Complaint:
    return intake.Complaint(
        complainant=intake.ComplainantDetails(name="Alex Morgan", email="alex@example.com"),
        description="My glasses were made to the wrong prescription.",
        channel=Channel.WEB_FORM,
        respondent_id=practice.pk,
    )


def test_public_intake_stays_within_its_query_budget(occs, practice):
    first_data, first_all = _measure(occs, _complaint(practice))
    data, captured = _measure(occs, _complaint(practice))
    keyed_data, keyed_all = _measure(occs, _complaint(practice), key="budget-key")
    print(
        f"intake queries: {data} data statements ({captured} captured with savepoints); "
        f"first of the year {first_data} ({first_all}); with Idempotency-Key {keyed_data} "
        f"({keyed_all})"
    )
    # Steady state: a public submission once the year's counter exists.
    assert data <= INTAKE_QUERY_BUDGET
    # The year's first case creates its counter row in the same upsert: no extra cost.
    # A keyed submission first looks for an earlier attempt: exactly one statement more.
    assert first_data == data
    assert keyed_data == data + 1


def test_a_public_submission_reads_nothing_back_it_has_just_written(ocasa):
    """The whole request, as the public makes it: the receipt lists the clocks intake
    started without reading them again, and an in-house team's own respondent is one
    small read once it exists."""
    submit(ocasa.slug, complaint_body())  # makes the organisation's own respondent
    with CaptureQueriesContext(connection) as queries:
        response = submit(ocasa.slug, complaint_body())
    assert response.status_code == 201, response.content
    assert [clock["key"] for clock in response.json()["clocks"]]
    # A read reads a table (keys reserved from a sequence read none).
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().startswith("SELECT") and " FROM " in q["sql"]
    ]
    assert not [sql for sql in reads if "cases_clock" in sql]
    assert len([sql for sql in reads if "organisations_business" in sql]) == 1
