"""The outbox: queueing in the caller's transaction, refusing bad or unsealed mail,
claiming with a lease, delivery with the stored Message-ID, backoff, permanent failure,
and the timeline events (locmem backend, or a scripted one that fails on demand)."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any, ClassVar

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.utils import timezone

from accord.cases.choices import Channel, EventKind
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case, Event
from accord.cases.tasks import send_receipt_notice
from accord.inbound.routing import reply_address
from accord.mediation.choices import Party
from accord.organisations.models import Business
from accord.outbox.choices import OutboundStatus
from accord.outbox.delivery import Policy, claim_batch, deliver_batch, deliver_pending
from accord.outbox.models import OutboundMessage
from accord.outbox.queue import InvalidEmail, SealedRecipients, queue_email
from accord.outbox.threads import thread_root
from tests.conftest import ApiClient, london, open_to_business

pytestmark = pytest.mark.django_db

NOW = london(2026, 12, 1, 9)


@pytest.fixture(autouse=True)
def _frozen():
    # Queued a little before NOW, whatever today is.
    with time_machine.travel(NOW - dt.timedelta(seconds=10), tick=False):
        yield


class ScriptedBackend(LocmemBackend):
    """Locmem, except that it raises the next scripted error for each send."""

    script: ClassVar[list[BaseException]] = []
    open_errors: ClassVar[list[BaseException]] = []
    opened: ClassVar[int] = 0

    def open(self) -> bool:
        ScriptedBackend.opened += 1
        if ScriptedBackend.open_errors:
            raise ScriptedBackend.open_errors.pop(0)
        return True

    def send_messages(self, messages: Any) -> int:
        if ScriptedBackend.script:
            raise ScriptedBackend.script.pop(0)
        return super().send_messages(messages)


@pytest.fixture
def scripted(settings):
    settings.EMAIL_BACKEND = "tests.test_outbox.ScriptedBackend"
    ScriptedBackend.script = []
    ScriptedBackend.open_errors = []
    ScriptedBackend.opened = 0
    yield ScriptedBackend.script
    ScriptedBackend.script = []
    ScriptedBackend.open_errors = []


@pytest.fixture
def case(occs) -> Case:
    practice = Business.objects.filter(organisation=occs).order_by("pk").first()
    assert practice is not None
    practice.email = "practice@business.example"
    practice.save()
    complaint = Complaint(
        complainant=ComplainantDetails(name="Jo", email="jo@example.com"),
        description="Wrong lenses.",
        channel=Channel.EMAIL,
        respondent_id=practice.pk,
    )
    return receive_complaint(occs, complaint, now=london(2026, 11, 27, 11))[0]


def queue(**overrides: Any) -> OutboundMessage:
    fields: dict[str, Any] = {"to": ["jo@example.com"], "subject": "Hello", "text": "Body"}
    fields.update(overrides)
    with transaction.atomic():
        return queue_email(**fields)


def email_events(case: Case) -> list[Event]:
    return list(
        Event.objects.filter(
            case=case, kind__in=[EventKind.EMAIL_SENT, EventKind.EMAIL_FAILED]
        ).order_by("seq")
    )


# Queueing


def test_the_row_is_written_in_the_callers_transaction():
    def change_that_fails() -> None:
        with transaction.atomic():
            queue_email(to=["a@example.com"], subject="s", text="t")
            raise RuntimeError("the change is rolled back")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert OutboundMessage.objects.count() == 0
    message = queue()
    assert message.status == OutboundStatus.QUEUED
    assert message.message_id.startswith("<")
    assert message.message_id.endswith(">")
    assert "@" in message.message_id


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"to": []}, "at least one recipient"),
        ({"subject": "Hi\nBcc: victim@example.com"}, "inject"),
        ({"subject": "Hi\r\nX: y"}, "inject"),
        ({"to": ["a@example.com\nBcc: b@example.com"]}, "inject"),
        ({"to": ["not-an-address"]}, "not an e-mail address"),
        ({"message_id": "no-angle-brackets"}, "Message-ID"),
    ],
)
def test_bad_mail_is_refused_with_a_clear_error(fields, words):
    with pytest.raises(InvalidEmail, match=words):
        queue(**fields)
    assert OutboundMessage.objects.count() == 0


def test_a_message_id_given_again_queues_nothing_more():
    first = queue(message_id="<receipt.X-1@accord.test>")
    again = queue(message_id="<receipt.X-1@accord.test>", subject="Other")
    assert again.pk == first.pk
    assert OutboundMessage.objects.count() == 1


def test_message_ids_are_unique_and_use_the_mail_domain(settings):
    settings.ACCORD_MAIL_DOMAIN = "mail.accord.test"
    ids = {queue().message_id for _ in range(5)}
    assert len(ids) == 5
    assert all(i.endswith("@mail.accord.test>") for i in ids)


# Sealed threads


def test_one_message_never_goes_to_both_parties(case):
    with pytest.raises(SealedRecipients, match="sealed"):
        queue(case_id=case.pk, to=["jo@example.com", "PRACTICE@business.example"])
    assert OutboundMessage.objects.count() == 0
    queue(case_id=case.pk, to=["jo@example.com"])
    queue(case_id=case.pk, to=["practice@business.example"])
    queue(case_id=case.pk, to=["handler@occs.example", "jo@example.com"])
    assert OutboundMessage.objects.count() == 3


def test_a_respondent_representatives_address_counts_as_the_respondents(case, django_user_model):
    django_user_model.objects.create(
        username="rep", email="rep@business.example", business_id=case.respondent_id
    )
    with pytest.raises(SealedRecipients):
        queue(case_id=case.pk, to=["rep@business.example", "jo@example.com"])


# Claiming and delivery


def test_delivery_sends_the_stored_message_id_and_records_one_event(case):
    message = queue(
        case_id=case.pk,
        html="<p>Body</p>",
        reply_to=["complaints@occs.example"],
        attachments=[("letter.pdf", b"%PDF-1.4 tiny", "application/pdf")],
        purpose="letter",
    )
    count = case.event_count
    result = deliver_batch(NOW)
    assert (result.sent, result.retried, result.failed) == (1, 0, 0)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.message()["Message-ID"] == message.message_id
    assert sent.to == ["jo@example.com"]
    assert sent.reply_to == ["complaints@occs.example"]
    assert sent.attachments[0][0] == "letter.pdf"
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT
    assert message.sent_at == NOW
    assert message.attempts == 1
    events = email_events(case)
    assert [(e.kind, e.seq) for e in events] == [(EventKind.EMAIL_SENT, count + 1)]
    assert events[0].data == {
        "message": message.pk,
        "message_id": message.message_id,
        "purpose": "letter",
    }
    assert "jo@example.com" not in str(events[0].data)  # which message, not its addresses
    case.refresh_from_db()
    assert case.event_count == count + 1
    assert deliver_batch(NOW).claimed == 0  # sent once


def test_a_message_not_yet_due_is_not_claimed():
    queue()
    assert claim_batch(NOW - dt.timedelta(days=1), 10, Policy()) == []


def test_a_claim_is_a_lease_another_worker_waits_out(scripted):
    message = queue()
    claimed = claim_batch(NOW, 10, Policy(lease=60))
    assert [m.pk for m in claimed] == [message.pk]
    # The worker holding it dies. Before the lease ends nobody else takes it ...
    assert claim_batch(NOW + dt.timedelta(seconds=30), 10, Policy()) == []
    # ... after, the next worker sends it with the same Message-ID.
    result = deliver_batch(NOW + dt.timedelta(seconds=61))
    assert result.sent == 1
    assert mail.outbox[0].message()["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundStatus.SENT, 2)


def test_the_stale_worker_cannot_mark_a_message_it_lost(scripted):
    from accord.outbox.delivery import mark_sent

    queue()
    stale = claim_batch(NOW, 10, Policy(lease=60))[0]
    fresh = claim_batch(NOW + dt.timedelta(seconds=61), 10, Policy(lease=60))[0]
    assert stale.claim_token != fresh.claim_token
    assert mark_sent(stale, stale.claim_token, NOW) is False
    assert mark_sent(fresh, fresh.claim_token, NOW) is True


def test_a_transient_failure_is_retried_with_backoff(scripted, case):
    message = queue(case_id=case.pk)
    scripted.append(ConnectionRefusedError(111, "Connection refused"))
    result = deliver_batch(NOW)
    assert (result.sent, result.retried) == (0, 1)
    message.refresh_from_db()
    assert message.status == OutboundStatus.QUEUED
    assert message.attempts == 1
    assert message.next_attempt_at == NOW + dt.timedelta(minutes=1)
    assert "ConnectionRefusedError" in message.last_error
    assert deliver_batch(NOW + dt.timedelta(seconds=59)).claimed == 0
    scripted.append(smtplib.SMTPDataError(451, b"try again later"))
    assert deliver_batch(NOW + dt.timedelta(minutes=1)).retried == 1
    message.refresh_from_db()
    assert message.next_attempt_at == NOW + dt.timedelta(minutes=3)  # 1 + 2 minutes
    assert deliver_batch(NOW + dt.timedelta(minutes=3)).sent == 1
    assert len(mail.outbox) == 1
    assert [e.kind for e in email_events(case)] == [EventKind.EMAIL_SENT]


def test_backoff_doubles_and_is_capped():
    policy = Policy(backoff=60, backoff_cap=3600)
    assert [policy.delay(n).total_seconds() for n in range(1, 9)] == [
        60,
        120,
        240,
        480,
        960,
        1920,
        3600,
        3600,
    ]


def test_a_5xx_fails_the_message_for_good_with_an_event(scripted, case):
    message = queue(case_id=case.pk, to=["jo@example.com"])
    scripted.append(
        smtplib.SMTPRecipientsRefused({"jo@example.com": (550, b"5.1.1 jo@example.com unknown")})
    )
    result = deliver_batch(NOW)
    assert result.failed == 1
    message.refresh_from_db()
    assert message.status == OutboundStatus.FAILED
    assert "550" in message.last_error
    [event] = email_events(case)
    assert event.kind == EventKind.EMAIL_FAILED
    assert "550" in event.reason
    assert "jo@example.com" not in event.reason  # the server's text stays in the outbox
    assert deliver_batch(NOW + dt.timedelta(days=1)).claimed == 0


def test_too_many_transient_failures_fail_the_message(scripted, case):
    message = queue(case_id=case.pk)
    policy = Policy(backoff=1, max_attempts=3)
    at = NOW
    for _ in range(3):
        scripted.append(smtplib.SMTPServerDisconnected("gone"))
        deliver_batch(at, policy=policy)
        at += dt.timedelta(hours=1)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (OutboundStatus.FAILED, 3)
    [event] = email_events(case)
    assert event.kind == EventKind.EMAIL_FAILED
    assert "gave up after 3 attempts" in event.reason


def test_one_failure_does_not_hold_up_the_rest_of_the_batch(scripted):
    messages = [queue(to=[f"p{i}@example.com"]) for i in range(3)]
    scripted.append(smtplib.SMTPSenderRefused(452, b"too much mail", "accord@localhost"))
    result = deliver_batch(NOW)
    assert (result.sent, result.retried) == (2, 1)
    assert {m.to[0] for m in mail.outbox} == {"p1@example.com", "p2@example.com"}
    assert OutboundMessage.objects.get(pk=messages[0].pk).status == OutboundStatus.QUEUED


def test_a_server_that_cannot_be_reached_defers_the_whole_batch_at_once(scripted):
    for i in range(3):
        queue(to=[f"p{i}@example.com"])
    ScriptedBackend.open_errors.append(
        smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials")
    )
    result = deliver_batch(NOW)
    assert (result.retried, result.failed) == (3, 0)  # our configuration, not the messages
    assert ScriptedBackend.opened == 1  # one connection attempt, not one per message
    assert set(OutboundMessage.objects.values_list("status", "attempts")) == {
        (OutboundStatus.QUEUED, 1)
    }
    assert deliver_batch(NOW + dt.timedelta(minutes=1)).sent == 3


def test_stopping_gives_back_the_messages_not_tried():
    for i in range(3):
        queue(to=[f"p{i}@example.com"])
    stop = [True]
    result = deliver_batch(NOW, stop=stop)
    assert (result.claimed, result.released, result.sent) == (3, 3, 0)
    assert set(OutboundMessage.objects.values_list("status", "attempts")) == {
        (OutboundStatus.QUEUED, 0)
    }
    assert deliver_pending(NOW).sent == 3


# The receipt notice goes through the outbox


def test_the_receipt_notice_is_queued_once_with_its_own_message_id_in_the_thread(case):
    assert send_receipt_notice.call(case.pk) == "queued"
    assert send_receipt_notice.call(case.pk) == "queued"  # the task ran twice
    message = OutboundMessage.objects.get()
    assert message.case_id == case.pk
    assert message.purpose == "receipt_notice"
    assert case.reference not in message.message_id  # unique, and says nothing
    assert mail.outbox == []  # nothing leaves before the worker delivers it
    deliver_pending(NOW)
    [sent] = mail.outbox
    headers = sent.message()
    assert headers["Message-ID"] == message.message_id
    root = thread_root(case.pk, "complainant")
    assert headers["In-Reply-To"] == root
    assert headers["References"] == root
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["Reply-To"] == reply_address(case, Party.COMPLAINANT)
    assert getattr(sent, "alternatives", [])[0][1] == "text/html"  # multipart: text, HTML
    assert "/my/link/" in sent.body


def test_every_e_mail_of_a_party_on_a_case_shares_its_thread_and_never_the_others(case):
    first = queue(case_id=case.pk)
    second = queue(case_id=case.pk, subject="Again")
    business = queue(case_id=case.pk, to=["practice@business.example"])
    staff_mail = queue(case_id=case.pk, to=["handler@occs.example"], audience="staff")
    assert first.message_id != second.message_id
    assert first.headers["References"] == second.headers["References"]
    assert business.headers["References"] == thread_root(case.pk, "respondent")
    assert business.headers["References"] != first.headers["References"]
    assert business.reply_to == [reply_address(case, Party.RESPONDENT)]
    assert staff_mail.headers["References"] == thread_root(case.pk, "staff")
    assert staff_mail.reply_to == []
    assert "Auto-Submitted" not in first.headers  # a person's e-mail (a letter)


# The staff endpoint


def test_staff_list_a_cases_e_mails_and_parties_may_not(case, staff, django_user_model):
    queue(case_id=case.pk, purpose="letter")
    handler = staff("occs", "handler")
    response = ApiClient(handler).get(f"/outbox/cases/{case.reference}")
    assert response.status_code == 200, response.content
    [row] = response.json()
    assert row["purpose"] == "letter"
    assert row["status"] == "queued"
    rep = django_user_model.objects.create(
        username="rep", email="rep@business.example", business_id=case.respondent_id
    )
    # A business does not know of a case until it is opened to it; then it is refused.
    assert ApiClient(rep).get(f"/outbox/cases/{case.reference}").status_code == 404
    open_to_business(case.reference, handler, timezone.now())
    assert ApiClient(rep).get(f"/outbox/cases/{case.reference}").status_code == 403
    other = staff("ocasa", "handler")
    assert ApiClient(other).get(f"/outbox/cases/{case.reference}").status_code == 404
