"""The e-mail quarantine page (issue 14, part 3): staff see each quarantined message
with its reason, read its text escaped and download its attachments safely, and deal
with it once — open a case from it, file it in a party's thread, or discard it with a
reason. Bad input is a form error; other organisations' messages are not found."""

from __future__ import annotations

import secrets

import pytest
from django.test import Client
from django.utils import timezone

from accord.accounts.models import User
from accord.cases.choices import Channel
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case, Event
from accord.inbound.choices import InboundStatus
from accord.inbound.models import InboundMessage
from accord.mediation.models import Message
from accord.organisations.models import Organisation
from tests.conftest import verified_client
from tests.test_inbound import deliver, last

pytestmark = pytest.mark.django_db

EVIL_NAME = "../../r\u202eport<x>.pdf.html"
RAW = (
    "From: Robin Hood <robin@example.org>\n"
    "To: complaints+oca-2026-000001-complainant@ocasahomes.co.uk\n"
    "Subject: My <b>deposit</b>\n"
    "Message-ID: <q-1@example.org>\n"
    "Date: Wed, 2 Dec 2026 10:00:00 +0000\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/mixed; boundary="XX"\n'
    "\n"
    "--XX\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<p>My deposit &lt;was&gt; kept.</p><script>alert('x')</script>"
    '<img src="https://tracker.example/p.gif">\n'
    "--XX\n"
    f'Content-Type: text/html; name="{EVIL_NAME}"\n'
    f'Content-Disposition: attachment; filename="{EVIL_NAME}"\n'
    "\n"
    "<html><script>alert('attached')</script></html>\n"
    "--XX--\n"
).encode()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def held(ocasa) -> InboundMessage:
    assert "quarantined" in deliver(RAW)
    record = last()
    assert record.organisation_id == ocasa.pk
    return record


@pytest.fixture
def handler(staff) -> Client:
    return verified_client(staff("ocasa", "handler"))


def key() -> dict[str, str]:
    return {"submission_key": secrets.token_urlsafe(16)}


def url(record: InboundMessage, action: str = "") -> str:
    return f"/staff/quarantine/{record.pk}/" + (f"{action}/" if action else "")


def test_the_list_shows_each_message_with_its_reason(held, handler) -> None:
    page = handler.get("/staff/quarantine/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "robin@example.org" in text
    assert "is of the old guessable form" in text
    assert "My &lt;b&gt;deposit&lt;/b&gt;" in text
    assert url(held) in text
    assert 'href="/staff/quarantine/"' in handler.get("/staff/").content.decode()  # in the nav


def test_the_message_is_shown_as_escaped_text_never_as_html(held, handler) -> None:
    page = handler.get(url(held))
    assert page.status_code == 200
    text = page.content.decode()
    assert "My deposit &lt;was&gt; kept." in text
    assert "<script>alert" not in text
    assert "tracker.example" not in text
    assert "<b>deposit</b>" not in text


def test_an_attachment_is_downloaded_under_a_safe_name(held, handler) -> None:
    page = handler.get(url(held)).content.decode()
    assert "\u202e" not in page
    served = handler.get(url(held, "attachments/0"))
    assert served.status_code == 200
    disposition = served["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "/" not in disposition.split("filename*=")[0]
    assert "\u202e" not in disposition
    assert "<" not in disposition
    assert served["Content-Type"] == "application/octet-stream"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"alert('attached')" in served.content  # as it arrived, only downloaded
    assert handler.get(url(held, "attachments/5")).status_code == 404


def test_only_the_organisations_staff_see_it(held, staff, ocasa) -> None:
    other = verified_client(staff("occs", "handler"))
    assert url(held) not in other.get("/staff/quarantine/").content.decode()
    assert other.get(url(held)).status_code == 404
    assert other.get(url(held, "attachments/0")).status_code == 404
    assert other.post(url(held, "discard"), {"discard-reason": "x", **key()}).status_code == 404
    party = Client()
    party.force_login(User.objects.create_user("robin", email="robin@example.org"))
    assert party.get("/staff/quarantine/").status_code == 403
    assert Client().get("/staff/quarantine/").status_code == 302
    assert InboundMessage.objects.get(pk=held.pk).status == InboundStatus.QUARANTINED


def test_open_a_case_from_it_once(held, handler, ocasa: Organisation) -> None:
    business = ocasa.businesses.get(is_self=True)
    bad = handler.post(url(held, "open"), {"open-business": "nonsense", **key()})
    assert bad.status_code == 400
    assert "Select a valid choice" in bad.content.decode()
    opened = handler.post(url(held, "open"), {"open-business": str(business.pk), **key()})
    assert opened.status_code == 303, opened.content
    record = InboundMessage.objects.get(pk=held.pk)
    assert record.status == InboundStatus.RELEASED
    assert record.case is not None
    case = record.case
    assert opened["Location"] == f"/staff/cases/{case.reference}/"
    assert case.complainant.email == "robin@example.org"
    assert Event.objects.filter(case=case, kind="received").count() == 1
    again = handler.post(url(held, "open"), {"open-business": str(business.pk), **key()})
    assert again.status_code == 409
    assert "already dealt with" in again.content.decode()
    assert Case.objects.filter(organisation=ocasa).count() == 1


def test_file_it_in_a_partys_thread(held, handler, ocasa: Organisation) -> None:
    case, _ = receive_complaint(
        ocasa,
        Complaint(
            complainant=ComplainantDetails(name="Robin Hood", email="robin@example.org"),
            description="My deposit was kept.",
            channel=Channel.WEB_FORM,
        ),
        now=timezone.now(),
    )
    missing = handler.post(url(held, "file"), {"file-case_reference": case.reference, **key()})
    assert missing.status_code == 400
    unknown = handler.post(
        url(held, "file"),
        {"file-case_reference": "OCA-1999-000001", "file-party": "complainant", **key()},
    )
    assert unknown.status_code == 422
    assert "No such case" in unknown.content.decode()
    no_other_party = handler.post(
        url(held, "file"),
        {"file-case_reference": case.reference, "file-party": "respondent", **key()},
    )
    assert no_other_party.status_code == 422
    assert "has no other party" in no_other_party.content.decode()
    filed = handler.post(
        url(held, "file"),
        {"file-case_reference": case.reference.lower(), "file-party": "complainant", **key()},
    )
    assert filed.status_code == 303, filed.content
    message = Message.objects.get(thread__case=case)
    assert message.thread.party == "complainant"
    assert "My deposit <was> kept." in message.body
    event = Event.objects.get(case=case, kind="message")
    assert event.data["inbound"] == held.pk
    again = handler.post(
        url(held, "file"),
        {"file-case_reference": case.reference, "file-party": "complainant", **key()},
    )
    assert again.status_code == 409
    assert Message.objects.filter(thread__case=case).count() == 1


def test_discard_it_with_a_reason(held, handler, staff) -> None:
    empty = handler.post(url(held, "discard"), {"discard-reason": "  ", **key()})
    assert empty.status_code == 400
    assert "This field is required" in empty.content.decode()
    too_long = handler.post(url(held, "discard"), {"discard-reason": "x" * 2001, **key()})
    assert too_long.status_code == 400
    discarded = handler.post(url(held, "discard"), {"discard-reason": "Spam.", **key()})
    assert discarded.status_code == 303
    assert discarded["Location"] == "/staff/quarantine/"
    record = InboundMessage.objects.select_related("discarded_by").get(pk=held.pk)
    assert record.status == InboundStatus.DISCARDED
    assert record.discard_reason == "Spam."
    assert record.discarded_by is not None
    assert record.discarded_at is not None
    assert url(held) not in handler.get("/staff/quarantine/").content.decode()
    page = handler.get(url(held)).content.decode()
    assert "Spam." in page
    assert "Open a case" not in page
    again = handler.post(url(held, "discard"), {"discard-reason": "Again.", **key()})
    assert again.status_code == 409
    assert InboundMessage.objects.get(pk=held.pk).discard_reason == "Spam."


def test_an_expired_or_replayed_form_does_nothing(held, handler) -> None:
    stale = handler.post(url(held, "discard"), {"discard-reason": "Spam."})
    assert stale.status_code == 303  # no submission key: back to the page, nothing done
    assert InboundMessage.objects.get(pk=held.pk).status == InboundStatus.QUARANTINED
