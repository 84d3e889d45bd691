"""The same deadline reads the same on the queue, the staff case page, the API and the
e-mail to the complainant (issue 15: one way of writing time)."""

from __future__ import annotations

import re

import pytest
import time_machine

from accord.cases.models import Case
from accord.cases.tasks import send_receipt_notice
from accord.outbox.models import OutboundMessage
from tests.conftest import ApiClient, complaint_body, london, verified_client

pytestmark = pytest.mark.django_db

# An Ocasa complaint received on Monday 2 March 2026 must be acknowledged within
# 2 working days: by the end of Wednesday 4 March.
DUE = "by the end of Wednesday 4 March 2026"


@pytest.fixture
def reference(ocasa) -> str:
    with time_machine.travel(london(2026, 3, 2, 10), tick=False):
        response = ApiClient().post("/organisations/ocasa/complaints", complaint_body())
    assert response.status_code == 201
    return str(response.json()["reference"])


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_queue_and_the_case_page_say_the_same_words(reference, staff):
    client = verified_client(staff("ocasa", "handler"))
    with time_machine.travel(london(2026, 3, 3, 12), tick=False):
        queue = text(client.get("/staff/").content.decode())
        case = text(client.get(f"/staff/cases/{reference}/").content.decode())
    assert f"{DUE} (tomorrow)" in queue
    assert f"{DUE} (tomorrow)" in case
    for page in (queue, case):
        assert "00:00" not in page
        assert "Thu 5 Mar" not in page


def test_the_relative_words_follow_the_clock(reference, staff):
    client = verified_client(staff("ocasa", "handler"))
    with time_machine.travel(london(2026, 3, 2, 12), tick=False):
        assert f"{DUE} (2 working days left)" in text(client.get("/staff/").content.decode())
    with time_machine.travel(london(2026, 3, 9, 12), tick=False):
        html = client.get(f"/staff/cases/{reference}/").content.decode()
    assert f"{DUE} (5 days overdue)" in text(html)
    assert 'class="due-relative overdue"' in html


def test_the_api_and_the_receipt_e_mail_use_the_same_words(reference, staff):
    handler = staff("ocasa", "handler")
    with time_machine.travel(london(2026, 3, 3, 12), tick=False):
        detail = ApiClient(handler).get(f"/cases/{reference}").json()
    due_texts = [c["due_text"] for c in detail["clocks"]]
    assert DUE in due_texts
    send_receipt_notice.call(Case.objects.get(reference=reference).pk)
    receipt = OutboundMessage.objects.get(purpose="receipt_notice")
    assert DUE in receipt.text
