"""Issue 12, done when: for each seed procedure, a whole case followed through the
complainant's and the business's inboxes (the outbox rows) and pages. Each letter and
notice arrives with the right words and dates, in its reader's own thread, and nothing
from the other side. (Django's test client, not a browser: the pages are server-rendered
and work without JavaScript; tests/browser/test_inbox_journeys.py follows the same in
Chromium, on the newest version of each pack.)"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

from accord.accounts.models import User
from accord.cases.complainant_links import link_path
from accord.cases.models import Case
from accord.notifications.tasks import fold_notices
from accord.organisations.models import Business
from accord.outbox.models import OutboundMessage
from tests.conftest import ApiClient, complaint_body, london
from tests.inboxes import CONSUMER, Outbox, check_thread, everything, show
from tests.notices import run_tasks

pytestmark = pytest.mark.django_db

SPRING = london(2026, 3, 2, 9)  # a Monday


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


class Journey:
    """A case followed by its parties' inboxes."""

    def __init__(self, slug: str, staff: Any, at: dt.datetime = SPRING, **body: Any) -> None:
        self.slug = slug
        self.handler = staff(slug, "handler")
        self.senior = staff(slug, "senior_handler")
        self.api = ApiClient(self.handler)
        self.at = at
        with time_machine.travel(self.at, tick=False):
            made = ApiClient().post(f"/organisations/{slug}/complaints", complaint_body(**body))
        assert made.status_code == 201, made.content
        self.case = Case.objects.get(reference=made.json()["reference"])
        self.ref = self.case.reference
        self.outbox = Outbox(self.case)
        self.flush()
        with time_machine.travel(self.at, tick=False):
            self.api.post(f"/cases/{self.ref}/assign", {"handler": self.handler.username})

    def later(self, **delta: float) -> dt.datetime:
        self.at += dt.timedelta(**delta)
        return self.at

    def flush(self) -> None:
        """The worker runs the deferred work: the receipt, the digest windows."""
        with time_machine.travel(self.at, tick=False):
            run_tasks()
            fold_notices.call(self.case.pk)

    def step(self, action: str, client: ApiClient | None = None, **body: Any) -> Any:
        with time_machine.travel(self.at, tick=False):
            response = (client or self.api).step(self.ref, action, **body)
        assert response.status_code == 200, (action, response.content)
        return response.json()

    def post(self, path: str, body: Any, client: ApiClient | None = None) -> Any:
        with time_machine.travel(self.at, tick=False):
            response = (client or self.api).post(f"/cases/{self.ref}{path}", body)
        assert response.status_code in {200, 201}, (path, response.content)
        return response.json()

    def inbox(self, address: str) -> list[OutboundMessage]:
        """What arrived for `address` since the last look."""
        return self.outbox.arrived(address)

    def complainant_page(self) -> str:
        client = Client()
        with time_machine.travel(self.at, tick=False):
            client.post(link_path(self.case))
            page = client.get(f"/my/cases/{self.ref}/")
        assert page.status_code == 200
        return page.content.decode()


def party_step_via_page(j: Journey, action: str, reason: str = "", *, ends: bool = True) -> str:
    """The complainant takes a step on their page: the button, then (for a step that
    ends the complaint) its confirmation."""
    client = Client()
    with time_machine.travel(j.at, tick=False):
        client.post(link_path(j.case))
        page = client.get(f"/my/cases/{j.ref}/").content.decode()
        key = page.split(f'action="/my/cases/{j.ref}/steps/{action}/"')[1]
        key = key.split('name="submission_key" value="')[1].split('"')[0]
        fields = {"submission_key": key, f"step-{action}-reason": reason}
        asked = client.post(f"/my/cases/{j.ref}/steps/{action}/", fields)
        if not ends:
            assert asked.status_code == 303
            return client.get(f"/my/cases/{j.ref}/").content.decode()
        assert asked.status_code == 200
        confirm = asked.content.decode()
        assert 'name="confirmed" value="yes"' in confirm  # nothing is done yet
        assert Case.objects.get(pk=j.case.pk).is_open
        key = confirm.split('name="submission_key" value="')[1].split('"')[0]
        done = client.post(
            f"/my/cases/{j.ref}/steps/{action}/",
            {**fields, "submission_key": key, "confirmed": "yes"},
        )
        assert done.status_code == 303, done.content.decode()[:2000]
        return client.get(f"/my/cases/{j.ref}/").content.decode()


def test_client_services_in_house(optimised: Any, staff: Any) -> None:
    j = Journey("optimised", staff)
    [receipt] = j.inbox(CONSUMER)
    assert "We will acknowledge your complaint by the end of Friday 6 March 2026." in receipt.text
    assert "by the end of Monday 23 March 2026" in receipt.text
    assert "/my/link/" in receipt.text
    j.later(hours=2)
    j.step("acknowledge")
    j.flush()
    [letter] = j.inbox(CONSUMER)  # the letter tells the step: one e-mail
    assert letter.purpose == "letter:acknowledgement"
    assert "Monday 23 March 2026" in letter.text
    j.later(hours=1)
    j.post("/threads/complainant/messages", {"body": "Which invoice is it about?"})
    j.flush()
    [notice] = j.inbox(CONSUMER)
    assert "Which invoice is it about?" in notice.text
    assert "a new message" in notice.subject
    j.later(hours=1)
    page = j.complainant_page()
    assert "What you told us" in page
    assert "A remake." in page
    assert "without prejudice" not in page
    assert "Respondent" not in page
    assert "<dt>About</dt>" not in page
    assert "Letters we have sent you" in page
    page = party_step_via_page(j, "withdraw", "Sorted it out myself.")
    assert "Your complaint was withdrawn" in page or "withdrawn" in page.lower()
    assert "Closed (closed)" not in page
    assert "Consumer withdraws" not in page
    j.flush()
    after = j.inbox(CONSUMER)
    assert not any("Sorted it out myself." in m.text for m in after)
    staff_alerts = j.inbox(j.handler.email)
    assert any("The complainant took a step" in m.text for m in staff_alerts)
    assert all(f"/staff/cases/{j.ref}/" in m.text for m in staff_alerts)
    check_thread(j.case, [receipt, letter, notice, *after], "complainant")
    show([receipt, letter, notice, *after, *staff_alerts])  # -s prints what each party received


def test_occs_mediation_shuttle(occs: Any, staff: Any) -> None:
    practice = Business.objects.filter(organisation=occs).order_by("pk").first()
    assert practice is not None
    rep = User.objects.create_user("rep", email="rep@practice.example", business=practice)
    business = ApiClient(rep)
    j = Journey("occs", staff, respondent_id=practice.pk)
    [receipt] = j.inbox(CONSUMER)
    assert "by the end of Wednesday 4 March 2026" in receipt.text
    j.later(hours=1)
    j.step("confirm_complaint")
    j.step("accept_for_mediation")
    j.flush()
    consumer_mail = j.inbox(CONSUMER)
    business_mail = j.inbox(practice.email) + j.inbox(rep.email)
    assert [m.purpose for m in consumer_mail] == ["letter:acknowledgement", "letter:consent_form"]
    assert business_mail == []  # the practice knows nothing of the case yet
    j.later(hours=1)
    # The mediator's first message to the practice opens the case to it.
    j.post("/threads/respondent/messages", {"body": "Could you send the order form?"})
    j.flush()
    business_mail = j.inbox(practice.email) + j.inbox(rep.email)
    [opened] = business_mail
    assert "opened a complaint about you" in opened.text
    assert "Could you send the order form?" in opened.text
    assert "/my/cases/" in opened.text
    assert "/my/link/" not in opened.text
    assert "My glasses were made to the wrong prescription." not in everything(business_mail)
    assert j.inbox(CONSUMER) == []  # the consumer is not told of the practice's thread
    j.later(hours=1)
    secret = "Between us, the technician misread the prescription."
    j.post("/threads/respondent/messages", {"body": secret}, client=business)
    original = next(
        m
        for t in j.api.get(f"/cases/{j.ref}/threads").json()
        for m in t["messages"]
        if m["body"] == secret
    )
    j.post(
        "/relay",
        {"message_id": original["id"], "body": "The practice will check the prescription."},
    )
    j.flush()
    consumer_mail = j.inbox(CONSUMER)
    assert j.inbox(practice.email) + j.inbox(rep.email) == []  # its own message: not told
    [relayed] = consumer_mail
    assert "The practice will check the prescription." in relayed.text
    assert secret not in everything(consumer_mail)
    alerts = j.inbox(j.handler.email)
    assert any("The business wrote in its thread." in m.text for m in alerts)
    assert secret not in everything(alerts)
    assert "without prejudice" in j.complainant_page()  # this procedure mediates
    check_thread(j.case, [receipt, relayed], "complainant")
    check_thread(j.case, business_mail, "respondent")


def test_lettings_in_house_two_stages(ocasa: Any, staff: Any) -> None:
    j = Journey("ocasa", staff)
    manager = staff("ocasa", "manager")
    [receipt] = j.inbox(CONSUMER)
    assert "by the end of Wednesday 4 March 2026" in receipt.text
    j.later(hours=2)
    j.step("acknowledge")
    j.later(days=1)
    j.step(
        "send_stage1_response",
        letters={
            "stage1_response": {
                "outcome": "Upheld.",
                "findings": "The repair was late.",
                "remedy": "We will pay you £50.",
            }
        },
    )
    j.flush()
    mails = j.inbox(CONSUMER)
    show(mails)  # -s prints what each party received
    assert [m.purpose for m in mails] == ["letter:acknowledgement", "letter:stage1_response"]
    page = j.complainant_page()
    assert "without prejudice" not in page
    assert "<dt>About</dt>" not in page
    j.later(hours=1)
    page = party_step_via_page(j, "request_stage2", ends=False)
    assert "Head of" in page or "stage 2" in page.lower()
    j.flush()
    assert j.inbox(CONSUMER) == []  # their own step: nothing to tell them
    # Escalated, the case waits for a Head of Operations or Lettings: its managers hear.
    [alert] = j.inbox(manager.email)
    assert "The complainant took a step" in alert.text
    head = staff("ocasa", "senior_handler")
    with time_machine.travel(j.later(hours=1), tick=False):
        ApiClient(manager).post(f"/cases/{j.ref}/assign", {"handler": head.username})
    j.step("acknowledge_stage2", client=ApiClient(head))
    j.flush()
    after = j.inbox(CONSUMER)
    show(after)  # -s prints what each party received
    assert [m.purpose for m in after] == ["letter:escalation_acknowledgement"]
    assert any("Head of" in m.text for m in after)
    check_thread(j.case, [receipt, *mails, *after], "complainant")
    assert "Property Redress Scheme" not in everything([receipt, *mails])  # not yet exhausted


def test_staff_hear_of_a_letter_a_complainants_step_left_owed(optimised: Any, staff: Any) -> None:
    """The client escalates on their page: the escalation acknowledgement that step
    requires is owed (a party writes no letters), and the staff who hold the case now
    are told so, with the link to the case; once sent, nothing is owed."""
    j = Journey("optimised", staff)
    manager = staff("optimised", "manager")
    j.later(hours=1)
    j.step("acknowledge")
    j.later(days=1)
    j.step(
        "propose_resolution",
        letters={
            "proposed_resolution": {
                "remedy": "A replacement pair of lenses.",
                "timeframe": "Within 10 working days.",
            }
        },
    )
    j.flush()
    j.inbox(CONSUMER)
    j.inbox(manager.email)
    j.later(hours=1)
    party_step_via_page(j, "escalate", "I want someone senior to look at this.", ends=False)
    j.flush()
    assert j.inbox(CONSUMER) == []  # their own step: nothing to tell them
    [alert] = j.inbox(manager.email)  # the escalation handed the case on: its managers
    show([alert])
    assert alert.subject == f"{j.ref}: letter owed"
    assert Case.objects.get(pk=j.case.pk).letters_owed == 1
    assert "Letter owed: " in alert.text
    assert "(to the complainant). Send it from the case page." in alert.text
    assert "The complainant took a step" in alert.text
    assert f"/staff/cases/{j.ref}/" in alert.text
    with time_machine.travel(j.later(hours=1), tick=False):
        sent = ApiClient(manager).post(
            f"/letters/cases/{j.ref}/send", {"name": "escalation_acknowledgement"}
        )
    assert sent.status_code == 201, sent.content
    assert Case.objects.get(pk=j.case.pk).letters_owed == 0
    j.flush()
    [letter] = j.inbox(CONSUMER)
    assert letter.purpose == "letter:escalation_acknowledgement"
    assert "/my/link/" in letter.text
    assert j.inbox(manager.email) == []  # a letter sent is nothing to alert staff of


def test_the_business_first_e_mail_says_a_complaint_was_opened_about_it(
    occs: Any, staff: Any
) -> None:
    """OCCS v3+: accepting the case opens it to the practice, but that window tells the
    practice nothing; its first e-mail (here, the consent and the mediator's question
    together) still begins with what the case is."""
    from accord.mediation.demo import create_consent_forms

    create_consent_forms()
    practice = Business.objects.filter(organisation=occs).order_by("pk").first()
    assert practice is not None
    j = Journey("occs", staff, at=london(2026, 12, 14, 9), respondent_id=practice.pk)
    assert j.case.procedure_version >= 3
    j.later(hours=1)
    j.step("confirm_complaint")
    j.step("accept_for_mediation")
    j.flush()
    assert j.inbox(practice.email) == []
    with time_machine.travel(j.later(hours=1), tick=False):
        client = Client()
        client.post(link_path(j.case))
        page = client.get(f"/my/cases/{j.ref}/").content.decode()
        key = page.split('action="/my/cases/' + j.ref + '/consent/"')[1]
        key = key.split('name="submission_key" value="')[1].split('"')[0]
        signed = client.post(
            f"/my/cases/{j.ref}/consent/",
            {
                "submission_key": key,
                "consent-form_version": "1",
                "consent-ticked": "on",
                "consent-typed_name": "Alex Morgan",
            },
        )
    assert signed.status_code == 303
    j.post("/threads/respondent/messages", {"body": "Could you send the order form?"})
    j.flush()
    [first] = j.inbox(practice.email)
    assert "has opened a complaint about you" in first.text
    assert "The consumer has consented to the release of their records." in first.text
    assert "Could you send the order form?" in first.text
    j.post("/threads/respondent/messages", {"body": "And the invoice?"})
    j.flush()
    [second] = j.inbox(practice.email)
    assert "opened a complaint" not in second.text  # said once
