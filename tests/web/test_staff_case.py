"""The staff case page: it offers exactly the steps the procedure allows this person
now, taking one writes the event, refusals come back as form errors, and another
organisation's case is not found."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.utils import timezone

from accord.accounts.models import User
from accord.cases import engine
from accord.cases.models import Case, Event
from accord.letters.models import Letter
from accord.mediation import threads
from accord.mediation.choices import Party
from accord.mediation.models import Message
from tests.conftest import ApiClient, complaint_body, london, take, verified_client

pytestmark = pytest.mark.django_db

SUBMISSION = {"submission_key": "k" * 20}
STAGE2 = london(2026, 12, 2, 10)


def key() -> dict[str, str]:
    import secrets

    return {"submission_key": secrets.token_urlsafe(16)}


def submit(slug: str, at, **overrides) -> str:
    with time_machine.travel(at, tick=False):
        response = ApiClient().post(
            f"/organisations/{slug}/complaints", complaint_body(**overrides)
        )
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


@pytest.fixture
def people(ocasa, optimised, staff) -> dict[str, User]:
    return {
        "handler": staff("ocasa", "handler"),
        "head": staff("ocasa", "senior_handler"),
        "manager": staff("ocasa", "manager"),
        "cs_handler": staff("optimised", "handler"),
    }


def offered(html: str) -> set[str]:
    return set(re.findall(r'id="step-([a-z0-9_]+)"', html))


def page(client, reference: str, at):
    with time_machine.travel(at, tick=False):
        return client.get(f"/staff/cases/{reference}/")


def allowed(reference: str, user: User, at) -> set[str]:
    case = Case.objects.get(reference=reference)
    return set(engine.allowed_steps(case, user, at))


def test_the_page_offers_exactly_the_allowed_steps_for_each_role_and_stage(people):
    reference = submit("ocasa", london(2026, 11, 30, 10))
    handler_api = ApiClient(people["handler"])
    at = london(2026, 11, 30, 11)
    checked = 0
    for stage_steps in ([], ["acknowledge"], ["request_stage2"]):
        take(handler_api, reference, at, *stage_steps)
        for role in ("handler", "head", "manager"):
            html = page(verified_client(people[role]), reference, at).content.decode()
            expected = allowed(reference, people[role], at)
            assert offered(html) == expected, (stage_steps, role)
            checked += bool(expected)
    # At stage 2 the head acknowledges once assigned; the handler is barred now.
    with time_machine.travel(at, tick=False):
        ApiClient(people["manager"]).post(
            f"/cases/{reference}/assign", {"handler": people["head"].username}
        )
    html = page(verified_client(people["head"]), reference, at).content.decode()
    assert "acknowledge_stage2" in offered(html) == allowed(reference, people["head"], at)
    assert (
        offered(page(verified_client(people["handler"]), reference, at).content.decode()) == set()
    )
    assert checked >= 4


def test_taking_a_step_on_the_page_writes_the_event(people):
    reference = submit("ocasa", london(2026, 11, 30, 10))
    client = verified_client(people["handler"])
    with time_machine.travel(london(2026, 11, 30, 11), tick=False):
        response = client.post(f"/staff/cases/{reference}/steps/acknowledge/", key())
    assert response.status_code == 303
    assert response["Location"] == f"/staff/cases/{reference}/#steps"
    event = Event.objects.get(case__reference=reference, action="acknowledge")
    assert event.actor == people["handler"]
    assert Case.objects.get(reference=reference).stage == "stage1_resolution"


def test_a_repeated_submission_is_not_acted_on_twice(people):
    reference = submit("ocasa", london(2026, 11, 30, 10))
    client = verified_client(people["handler"])
    once = key()
    with time_machine.travel(london(2026, 11, 30, 11), tick=False):
        client.post(f"/staff/cases/{reference}/notes/", {**once, "note-text": "Called back."})
        client.post(f"/staff/cases/{reference}/notes/", {**once, "note-text": "Called back."})
    assert Event.objects.filter(case__reference=reference, kind="note").count() == 1


def at_stage2_review(people) -> str:
    reference = submit("ocasa", london(2026, 11, 30, 10))
    take(ApiClient(people["handler"]), reference, london(2026, 11, 30, 11), "acknowledge")
    take(ApiClient(people["handler"]), reference, STAGE2, "request_stage2")
    with time_machine.travel(STAGE2, tick=False):
        ApiClient(people["head"]).post(
            f"/cases/{reference}/assign", {"handler": people["head"].username}
        )
    take(ApiClient(people["head"]), reference, STAGE2, "acknowledge_stage2")
    return reference


def test_a_step_with_inputs_shows_them_and_refusals_are_form_errors(people):
    reference = at_stage2_review(people)
    client = verified_client(people["head"])
    html = page(client, reference, STAGE2).content.decode()
    assert 'name="step-send_holding_response-input_anticipated_date"' in html
    # Issue 15: the GOV.UK day/month/year inputs replaced the browser's date picker.
    assert 'name="step-send_holding_response-input_anticipated_date_day"' in html
    assert "For example, 27 3 2026" in html
    url = f"/staff/cases/{reference}/steps/send_holding_response/"
    with time_machine.travel(STAGE2, tick=False):
        missing = client.post(url, key())
        assert missing.status_code == 400
        assert b"There is a problem" in missing.content
        past = client.post(
            url,
            {
                **key(),
                "step-send_holding_response-reason": "Waiting for the contractor's report.",
                "step-send_holding_response-input_anticipated_date": "2026-11-01",
            },
        )
        assert past.status_code == 422
        assert b"cannot be in the past" in past.content
        assert b'aria-invalid="true"' in past.content
        done = client.post(
            url,
            {
                **key(),
                "step-send_holding_response-reason": "Waiting for the contractor's report.",
                "step-send_holding_response-input_anticipated_date": "2026-12-18",
            },
        )
    assert done.status_code == 303
    holding = Event.objects.get(case__reference=reference, action="send_holding_response")
    assert holding.data["input"] == {"anticipated_date": "2026-12-18"}


def test_a_step_no_longer_allowed_is_refused_on_the_form_not_a_500(people):
    reference = submit("ocasa", london(2026, 11, 30, 10))
    client = verified_client(people["handler"])
    with time_machine.travel(london(2026, 11, 30, 11), tick=False):
        refused = client.post(f"/staff/cases/{reference}/steps/acknowledge_stage2/", key())
        unknown = client.post(f"/staff/cases/{reference}/steps/fly_to_the_moon/", key())
    assert refused.status_code in {403, 409}
    assert b"There is a problem" in refused.content
    assert unknown.status_code == 404


def test_another_organisations_case_is_not_found(people, occs):
    reference = submit(
        "occs", london(2026, 11, 30, 10), respondent_id=occs.businesses.order_by("pk").first().pk
    )
    client = verified_client(people["handler"])
    assert page(client, reference, london(2026, 11, 30, 11)).status_code == 404
    with time_machine.travel(london(2026, 11, 30, 11), tick=False):
        assert (
            client.post(f"/staff/cases/{reference}/notes/", {**key(), "note-text": "x"}).status_code
            == 404
        )


def test_the_page_shows_clocks_with_explanations_and_the_timeline(people):
    reference = submit("ocasa", london(2026, 11, 30, 10))
    html = page(
        verified_client(people["handler"]), reference, london(2026, 11, 30, 11)
    ).content.decode()
    assert "Acknowledge the stage 1 complaint" in html
    assert "How this date was worked out" in html
    assert "Due by end of Wednesday 2 December 2026." in html
    assert "Complaint received" in html


def test_notes_messages_and_relay(people, occs, staff):
    handler = staff("occs", "handler")
    reference = submit(
        "occs", london(2026, 11, 30, 10), respondent_id=occs.businesses.order_by("pk").first().pk
    )
    client = verified_client(handler)
    base = f"/staff/cases/{reference}"
    with time_machine.travel(london(2026, 11, 30, 11), tick=False):
        assert client.post(f"{base}/notes/", {**key(), "note-text": ""}).status_code == 400
        assert (
            client.post(f"{base}/notes/", {**key(), "note-text": "Rang the practice."}).status_code
            == 303
        )
        sent = client.post(
            f"{base}/threads/complainant/",
            {**key(), "message-complainant-body": "Can you send the receipt?"},
        )
        assert sent.status_code == 303
        original = Message.objects.get(thread__case__reference=reference)
        relayed = client.post(
            f"{base}/relay/{original.pk}/",
            {**key(), f"relay-{original.pk}-body": "The mediator asked for the receipt."},
        )
        assert relayed.status_code == 303
        html = client.get(f"{base}/").content.decode()
    copy = Message.objects.get(relayed_from=original)
    assert copy.thread.party == "respondent"
    assert copy.relay_edited
    assert "Rang the practice." in html
    assert "Message relayed from the complainant to the respondent (edited)" in html


def test_a_long_thread_shows_its_latest_messages_and_the_rest_one_link_away(people, occs, staff):
    handler = staff("occs", "handler")
    reference = submit(
        "occs", london(2026, 11, 30, 10), respondent_id=occs.businesses.order_by("pk").first().pk
    )
    case = Case.objects.get(reference=reference)
    at = london(2026, 11, 30, 11)
    for n in range(1, 26):
        threads.post_message(case.pk, handler, Party.COMPLAINANT, f"Message number {n}.", now=at)
    threads.post_message(case.pk, handler, Party.RESPONDENT, "Only one here.", now=at)
    client = verified_client(handler)
    base = f"/staff/cases/{reference}"

    def thread(html: str, party: str) -> str:
        return html.split(f'id="thread-{party}"', 1)[1].split('class="thread"', 1)[0]

    with time_machine.travel(london(2026, 11, 30, 12), tick=False):
        html = client.get(f"{base}/").content.decode()
        mine = thread(html, "complainant")
        assert "Message number 25." in mine
        assert "Message number 6." in mine
        assert "Message number 5." not in mine
        assert 'href="?history=all#thread-complainant">Show the whole thread (25 messages)' in mine
        assert "Show the whole thread" not in thread(html, "respondent")

        whole = client.get(f"{base}/?history=all").content.decode()
        assert "Message number 1." in thread(whole, "complainant")
        assert "Show the whole thread" not in whole

        # A relay of an older message sent back with an error shows it in its thread.
        first = Message.objects.get(thread__case=case, body="Message number 1.")
        refused = client.post(f"{base}/relay/{first.pk}/", {**key(), f"relay-{first.pk}-body": ""})
    assert refused.status_code == 400
    mine = thread(refused.content.decode(), "complainant")
    assert "Message number 1." in mine
    assert f'id="id_relay-{first.pk}-body"' in mine
    assert "error" in mine


def test_assignment_from_the_page(people):
    reference = submit("ocasa", london(2026, 11, 30, 10))
    base = f"/staff/cases/{reference}"
    with time_machine.travel(london(2026, 11, 30, 11), tick=False):
        taken = verified_client(people["handler"]).post(f"{base}/assign/", {**key(), "take": "me"})
        assert taken.status_code == 303
        assert Case.objects.get(reference=reference).handler == people["handler"]
        # A handler may not hand the case to someone else: a form error.
        other = verified_client(people["handler"]).post(
            f"{base}/assign/", {**key(), "assign-handler": people["head"].username}
        )
        assert other.status_code == 403
        assert b"handlers may only take cases for themselves" in other.content.lower()
        moved = verified_client(people["manager"]).post(
            f"{base}/assign/", {**key(), "assign-handler": people["head"].username}
        )
    assert moved.status_code == 303
    assert Case.objects.get(reference=reference).handler == people["head"]


def test_an_incomplete_letter_is_previewed_with_what_it_lacks_and_no_send_button(people):
    reference = submit("ocasa", london(2026, 11, 30, 10))
    client = verified_client(people["handler"])
    with time_machine.travel(london(2026, 11, 30, 11), tick=False):
        client.post(f"/staff/cases/{reference}/steps/acknowledge/", key())
        page = client.get(f"/staff/cases/{reference}/").content.decode()
        assert "Stage 1 acknowledgement (to the complainant): sent" in page
        # The redress scheme's time limit is missing, so signposting cannot be complete.
        Case.objects.get(reference=reference).organisation.external_bodies.update(time_limit="")
        preview = client.get(
            f"/staff/cases/{reference}/letter/",
            {"name": "signposting", "recipient": "complainant"},
        )
    assert preview.status_code == 200
    assert b"This letter cannot be sent yet" in preview.content
    assert b"Send this letter" not in preview.content


def test_a_letter_is_previewed_then_sent(people):
    reference = at_stage2_review(people)
    client = verified_client(people["head"])
    # Taking the step sent its letter.
    assert Letter.objects.filter(name="escalation_acknowledgement").count() == 1
    wanted = {
        "name": "holding_response",
        "recipient": "complainant",
        "reason": "We are waiting for the contractor's report.",
        "anticipated_date": "2026-12-18",
    }
    with time_machine.travel(STAGE2, tick=False):
        preview = client.get(f"/staff/cases/{reference}/letter/", wanted)
        assert preview.status_code == 200
        assert b"<iframe" in preview.content
        assert b"srcdoc=" in preview.content
        assert b"Send this letter to the complainant" in preview.content
        assert b"What we found" not in preview.content  # only this letter's fields
        assert Letter.objects.count() == 2
        sent = client.post(f"/staff/cases/{reference}/letter/", {**key(), **wanted})
        assert sent.status_code == 303
        html = client.get(f"/staff/cases/{reference}/").content.decode()
    assert Letter.objects.filter(name="holding_response").count() == 1
    assert "Stage 2 acknowledgement (to the complainant): sent" in html


def test_an_unknown_letter_is_a_form_error(people):
    reference = submit("ocasa", london(2026, 11, 30, 10))
    with time_machine.travel(london(2026, 11, 30, 11), tick=False):
        response = verified_client(people["handler"]).get(
            f"/staff/cases/{reference}/letter/", {"name": "ransom_note"}
        )
    assert response.status_code == 400
    assert b"There is a problem" in response.content


def test_logging_a_phone_complaint_flags_the_summary_for_confirmation(people):
    client = verified_client(people["handler"])
    form = {
        **key(),
        "channel": "phone",
        "source": "direct",
        "name": "Sam Taylor",
        "phone": "020 7946 0000",
        "description": "Called to say the deposit has not been returned after 6 weeks.",
        "share_information": "yes",
    }
    with time_machine.travel(london(2026, 11, 30, 10), tick=False):
        empty = client.post("/staff/log/", {**key(), "channel": "phone"})
        assert empty.status_code == 400
        assert b"There is a problem" in empty.content
        response = client.post("/staff/log/", form)
    assert response.status_code == 303
    case = Case.objects.get(complainant__name="Sam Taylor")
    assert response["Location"] == f"/staff/cases/{case.reference}/"
    assert case.channel == "phone"
    assert case.verbal_summary_pending
    received = case.events.get(kind="received")
    assert received.actor == people["handler"]
    with time_machine.travel(london(2026, 11, 30, 11), tick=False):
        html = client.get(response["Location"]).content.decode()
        assert "the written summary awaits the complainant" in html
        confirmed = client.post(
            f"/staff/cases/{case.reference}/verbal-summary/",
            {**key(), "verbal-how": "Replied by e-mail confirming the summary."},
        )
    assert confirmed.status_code == 303
    case.refresh_from_db()
    assert not case.verbal_summary_pending


def test_a_letter_received_in_the_future_is_refused_on_the_form(people):
    client = verified_client(people["handler"])
    with time_machine.travel(london(2026, 11, 30, 10), tick=False):
        response = client.post(
            "/staff/log/",
            {
                **key(),
                "channel": "letter",
                "source": "direct",
                "received_at": "2026-12-30T10:00",
                "name": "Sam Taylor",
                "address": "1 High Street",
                "description": "A letter.",
                "share_information": "yes",
            },
        )
    assert response.status_code == 422
    assert b"cannot be received in the future" in response.content
    assert not Case.objects.filter(complainant__name="Sam Taylor").exists()
    assert timezone.now()
