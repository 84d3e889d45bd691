"""The public complaint form: what it asks, spam resistance, one case per submission,
and a confirmation only its sender can see."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from accord.cases.models import Case
from accord.outbox.models import OutboundMessage
from tests.conftest import london
from tests.notices import run_tasks

pytestmark = pytest.mark.django_db

OPENED = london(2026, 12, 1, 10)
SENT = OPENED + dt.timedelta(seconds=30)


def open_form(client: Client, slug: str = "occs") -> tuple[str, str]:
    with time_machine.travel(OPENED, tick=False):
        page = client.get(f"/{slug}/complain/")
    assert page.status_code == 200
    html = page.content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', html)
    assert token is not None
    return html, token.group(1)


def answers(occs: Any, token: str, **overrides: str) -> dict[str, str]:
    data = {
        "respondent": str(occs.businesses.filter(is_self=False).order_by("pk").first().pk),
        "description": "My new glasses give me headaches.",
        "issue_arose_on": "2026-11-20",
        "desired_outcome": "A remake.",
        "share_information": "yes",
        "name": "Alex Morgan",
        "email": "alex@example.com",
        "phone": "",
        "address": "",
        "website": "",
        "form_token": token,
    }
    data.update(overrides)
    return data


def send(client: Client, slug: str, data: dict[str, str], at: dt.datetime = SENT) -> Any:
    with time_machine.travel(at, tick=False):
        return client.post(f"/{slug}/complain/", data)


def test_the_landing_page_links_to_the_form_and_the_procedure(occs) -> None:
    page = Client().get("/occs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/occs/complain/" in html
    assert "/occs/procedure/" in html
    assert "/occs/procedure.pdf" in html


def test_an_unknown_organisation_is_not_found(organisations) -> None:
    assert Client().get("/nobody/").status_code == 404
    assert Client().get("/nobody/complain/").status_code == 404


def test_the_form_asks_what_the_procedure_needs(organisations) -> None:
    occs_form, _ = open_form(Client(), "occs")
    assert 'name="respondent"' in occs_form  # a mediation service: which practice
    assert 'name="is_microbusiness"' not in occs_form
    optimised_form, _ = open_form(Client(), "optimised")
    assert 'name="respondent"' not in optimised_form  # in-house: about itself
    assert 'name="is_microbusiness"' in optimised_form  # the ombudsman right depends on it
    assert "within 7 working days" in optimised_form
    assert 'autocomplete="email"' in occs_form
    assert 'autocomplete="name"' in occs_form
    assert 'autocomplete="tel"' in occs_form


def test_a_complaint_sent_opens_one_case_and_shows_its_confirmation(occs) -> None:
    client = Client()
    _, token = open_form(client)
    response = send(client, "occs", answers(occs, token))
    assert response.status_code == 303
    case = Case.objects.get()
    assert response["Location"] == f"/occs/complain/received/{case.reference}/"
    assert case.channel == "web_form"
    assert case.issue_arose_on == dt.date(2026, 11, 20)
    assert case.no_information_sharing is False
    with time_machine.travel(SENT, tick=False):
        confirmation = client.get(response["Location"])
    html = confirmation.content.decode()
    assert case.reference in html
    assert "Thursday 3 December 2026" in html  # 2 working days from Tuesday 1 December
    # What happens next in the complainant's words, never the staff's task list.
    assert (
        "We will acknowledge your complaint and confirm its details with you by the end of "
        "Thursday 3 December 2026." in html
    )
    assert "Acknowledge and confirm" not in html
    run_tasks()
    # One e-mail: the receipt, with the link and what happens next in the reader's words.
    [receipt] = OutboundMessage.objects.all()
    assert receipt.purpose == "receipt_notice"
    assert receipt.to == ["alex@example.com"]
    assert "/my/link/" in receipt.text
    assert "Thursday 3 December 2026" in receipt.text
    assert "Acknowledge" not in receipt.text  # never the staff's task list


def test_the_confirmation_is_not_shown_to_anyone_else(occs) -> None:
    client = Client()
    _, token = open_form(client)
    location = send(client, "occs", answers(occs, token))["Location"]
    assert Client().get(location).status_code == 404


def test_a_retried_submission_makes_one_case(occs) -> None:
    client = Client()
    _, token = open_form(client)
    first = send(client, "occs", answers(occs, token))
    second = send(client, "occs", answers(occs, token), at=SENT + dt.timedelta(seconds=5))
    assert first.status_code == second.status_code == 303
    assert first["Location"] == second["Location"]
    assert Case.objects.count() == 1
    run_tasks()
    assert OutboundMessage.objects.filter(purpose="receipt_notice").count() == 1


def test_the_same_form_sent_again_with_other_answers_is_refused(occs) -> None:
    client = Client()
    _, token = open_form(client)
    send(client, "occs", answers(occs, token))
    again = send(client, "occs", answers(occs, token, description="Something else entirely."))
    assert again.status_code == 409
    assert "already sent" in again.content.decode()
    assert Case.objects.count() == 1


def test_missing_answers_are_listed_and_linked_to_their_fields(occs) -> None:
    client = Client()
    _, token = open_form(client)
    response = send(client, "occs", answers(occs, token, description="", name="", email=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#id_description"' in html
    assert 'href="#id_name"' in html
    assert 'href="#id_email"' in html  # neither an e-mail address nor a phone number
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_description_hint id_description_error"' in html
    assert Case.objects.count() == 0


def test_a_filled_honeypot_makes_no_case(occs) -> None:
    client = Client()
    _, token = open_form(client)
    response = send(client, "occs", answers(occs, token, website="http://spam.example"))
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_a_form_sent_too_fast_is_refused_keeping_the_answers(occs) -> None:
    client = Client()
    _, token = open_form(client)
    response = send(client, "occs", answers(occs, token), at=OPENED + dt.timedelta(seconds=1))
    assert response.status_code == 400
    html = response.content.decode()
    assert "very quickly" in html
    assert "My new glasses give me headaches." in html  # what was typed is kept
    assert Case.objects.count() == 0


def test_a_form_older_than_a_day_is_refused_keeping_the_answers(occs) -> None:
    client = Client()
    _, token = open_form(client)
    late = OPENED + dt.timedelta(days=1, minutes=1)
    response = send(client, "occs", answers(occs, token), at=late)
    assert response.status_code == 400
    html = response.content.decode()
    assert "expired" in html
    assert "My new glasses give me headaches." in html
    fresh = re.search(r'name="form_token" value="([^"]+)"', html)
    assert fresh is not None
    assert fresh.group(1) != token
    resent = send(client, "occs", answers(occs, fresh.group(1)), at=late + dt.timedelta(seconds=30))
    assert resent.status_code == 303
    assert Case.objects.count() == 1


def test_a_tampered_stamp_is_refused(occs) -> None:
    client = Client()
    _, token = open_form(client)
    response = send(client, "occs", answers(occs, token[:-2] + "xx"))
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_a_date_in_the_future_is_an_error_on_its_field(occs) -> None:
    client = Client()
    _, token = open_form(client)
    response = send(client, "occs", answers(occs, token, issue_arose_on="2026-12-25"))
    assert response.status_code == 422
    assert 'href="#id_issue_arose_on"' in response.content.decode()


def test_the_intake_throttle_applies_to_the_form(occs, settings) -> None:
    settings.ACCORD_INTAKE_RATE = "1/m"
    client = Client()
    _, token = open_form(client)
    assert send(client, "occs", answers(occs, token)).status_code == 303
    _, other = open_form(client)
    refused = send(client, "occs", answers(occs, other, description="Another complaint."))
    assert refused.status_code == 429
    assert "wait a minute" in refused.content.decode()


def test_an_unanswered_choice_is_linked_to_its_first_option(occs) -> None:
    client = Client()
    _, token = open_form(client)
    response = send(client, "occs", answers(occs, token, share_information=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#id_share_information_0"' in html
    assert 'id="id_share_information_0"' in html
    assert 'href="#"' not in html


def test_a_failure_queueing_the_receipt_leaves_no_case_and_a_retry_makes_both(
    occs, monkeypatch
) -> None:
    """The case and the receipt (with its link) are queued together."""
    from accord.cases import intake

    client = Client()
    _, token = open_form(client)
    real = intake.send_receipt_notice  # type: ignore[attr-defined]

    class Broken:
        def enqueue(self, *args: object) -> None:
            raise RuntimeError("the task queue is unavailable")

    monkeypatch.setattr(intake, "send_receipt_notice", Broken())
    with pytest.raises(RuntimeError):
        send(client, "occs", answers(occs, token))
    assert Case.objects.count() == 0
    monkeypatch.setattr(intake, "send_receipt_notice", real)
    retried = send(client, "occs", answers(occs, token), at=SENT + dt.timedelta(seconds=5))
    assert retried.status_code == 303
    assert Case.objects.count() == 1
    run_tasks()
    assert OutboundMessage.objects.filter(purpose="receipt_notice").count() == 1
