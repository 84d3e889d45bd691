"""Inbound e-mail through its real entry points: `manage.py receive_email` (pipe
delivery) with each message of tests/inbound_corpus, the staff quarantine API, and the
SMTP/LMTP listener on 127.0.0.1."""

from __future__ import annotations

import io
import smtplib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from accord.cases.choices import Channel, EventKind
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case
from accord.inbound import ingest
from accord.inbound.choices import InboundStatus
from accord.inbound.models import InboundMessage
from accord.inbound.parsing import html_to_text, trim_quoted
from accord.inbound.routing import reply_address
from accord.mediation.choices import Party
from accord.mediation.models import Document, Message
from tests.conftest import ApiClient, london

CORPUS = Path(__file__).parent / "inbound_corpus"
AT = london(2026, 11, 24, 10)


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def deliver(raw: bytes, *args: str) -> str:
    out = io.StringIO()
    call_command("receive_email", *args, stdin=io.BytesIO(raw), stdout=out)
    return out.getvalue()


def last() -> InboundMessage:
    record = InboundMessage.objects.order_by("-pk").first()
    assert record is not None
    return record


def signed(raw: bytes, old_tag_address: str, case: Case, party: Party) -> bytes:
    """`raw` addressed to the thread's signed reply address instead of the old guessable
    one the corpus file was written with (which no longer reaches any thread)."""
    assert old_tag_address.encode() in raw
    return raw.replace(old_tag_address.encode(), reply_address(case, party).encode())


AUTHENTICATED = (
    b"Authentication-Results: mx.optimised.net; spf=pass smtp.mailfrom=example.org;\n"
    b" dkim=pass header.d=example.org; dmarc=pass header.from=example.org\n"
)


def last_case() -> Case:
    case = last().case
    assert case is not None
    return case


@pytest.fixture(autouse=True)
def _clock_and_media(settings, tmp_path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ACCORD_TRUSTED_AUTHSERV_IDS = ["mx.optimised.net"]
    with time_machine.travel(AT, tick=True):
        yield


@pytest.fixture
def opened(optimised) -> Case:
    """Sam Patel's complaint, opened by e-mail: OPT-2026-000001."""
    assert "case_opened" in deliver(corpus("new_plain.eml"))
    return Case.objects.get(reference="OPT-2026-000001")


# --- new complaints --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_message_to_the_complaints_address_opens_a_case_and_the_raw_is_kept(optimised):
    raw = corpus("new_plain.eml")
    line = deliver(raw)
    assert "case_opened" in line
    assert "OPT-2026-000001" in line
    case = Case.objects.get(reference="OPT-2026-000001")
    assert case.organisation == optimised
    assert case.channel == Channel.EMAIL
    assert case.complainant.email == "sam.patel@example.org"
    assert case.complainant.name == "Sam Patel"
    assert case.description.startswith("Complaint about my broadband installation")
    assert "The engineer did\nnot turn up" in case.description
    record = last()
    assert bytes(record.raw) == raw
    assert record.status == InboundStatus.CASE_OPENED
    assert record.case == case
    assert record.message_id == "<20261103091358.1234@mail.example.org>"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "sender", "expected", "absent"),
    [
        (
            "multipart_alternative.eml",
            "zoe.bronte@example.net",
            "charged twice for October \u2013 £42.99",
            "<div",
        ),
        ("html_only.eml", "priya.shah@example.com", "spoken to rudely", "<"),
        (
            "latin1_8bit.eml",
            "rene.muller@example.de",
            "Ma facture de novembre est erronée",
            "\ufffd",
        ),
        ("encoded_headers.eml", "taro.yamada@example.jp", "支払いについての内容です", "=?"),
        ("forwarded.eml", "helen.carter@example.com", "contract ends on 30 September", "\ufffd"),
        (
            "forwarded_attachment.eml",
            "helen.carter@example.com",
            "will be delivered by 8 October",
            "\ufffd",
        ),
    ],
)
def test_realistic_messages_open_cases_with_readable_text(
    optimised, name, sender, expected, absent
):
    line = deliver(corpus(name))
    assert "case_opened" in line, line
    case = last_case()
    assert case.channel == Channel.EMAIL
    assert case.complainant.email == sender
    assert expected in case.description
    assert absent not in case.description


@pytest.mark.django_db
def test_html_is_reduced_to_text_without_scripts_or_styles():
    text = html_to_text(
        "<html><head><style>p{}</style><script>alert(1)</script></head>"
        "<body><p>Hello <b>there</b></p><blockquote>old</blockquote></body></html>"
    )
    assert text.splitlines()[0] == "Hello there"
    assert "alert" not in text
    assert "> old" in text


@pytest.mark.django_db
def test_encoded_headers_are_decoded(optimised):
    deliver(corpus("encoded_headers.eml"))
    record = last()
    assert record.subject == "支払いについて (payment)"
    assert last_case().complainant.name == "山田太郎"


@pytest.mark.django_db
def test_attachments_are_kept_as_documents_under_the_upload_rules(optimised):
    assert "case_opened" in deliver(corpus("attachments.eml"))
    record = last()
    documents = Document.objects.filter(thread__case=last_case())
    assert {d.name for d in documents} == {"invoice.pdf", "notes.txt"}
    assert {d.thread.party for d in documents} == {Party.COMPLAINANT}
    notes = documents.get(name="notes.txt")
    assert notes.content_type.startswith("text/plain")
    # The program is refused, as an upload would be, and the refusal recorded.
    assert len(record.notes) == 1
    assert "photo.pdf.exe" in record.notes[0]
    events = last_case().events.filter(kind=EventKind.DOCUMENT)
    assert events.count() == 2


@pytest.mark.django_db
def test_inline_images_are_kept(optimised):
    deliver(corpus("inline_image.eml"))
    document = Document.objects.get(thread__case=last_case())
    assert document.content_type == "image/png"
    assert document.name.endswith(".png")


# --- replies ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_gmail_reply_reaches_the_senders_thread_with_quoted_history_trimmed(opened):
    raw = signed(
        corpus("gmail_reply.eml"),
        "hello+OPT-2026-000001-complainant@optimised.net",
        opened,
        Party.COMPLAINANT,
    )
    line = deliver(raw)
    assert "threaded" in line
    message = Message.objects.get(thread__case=opened)
    assert message.thread.party == Party.COMPLAINANT
    assert message.author is None
    assert message.author_role == "complainant"
    assert message.body == "Thank you. The engineer can come on Friday morning instead."
    record = last()
    assert record.thread_message == message
    assert b"When can we come?" in bytes(record.raw)  # the history stays in the raw
    event = opened.events.get(kind=EventKind.MESSAGE)
    assert event.data["thread"] == "complainant"
    assert event.data["inbound"] == record.pk


@pytest.mark.django_db
def test_an_outlook_reply_is_matched_by_the_reference_in_the_subject(opened):
    # Only with the receiving server's word that the sender's domain is authentic (the
    # forged corpus, test_inbound_forged.py, has it without).
    assert "threaded" in deliver(AUTHENTICATED + corpus("outlook_reply.eml"))
    message = Message.objects.get(thread__case=opened)
    assert message.thread.party == Party.COMPLAINANT
    assert message.body == "Friday did not work either \u2013 nobody came again.\n\nSam"


@pytest.mark.django_db
def test_the_respondent_replies_into_the_respondent_thread(occs):
    practice = occs.businesses.get(email="practice@brightview.example")
    case, _ = receive_complaint(
        occs,
        Complaint(
            complainant=ComplainantDetails(name="Alex Morgan", email="alex@example.com"),
            description="Wrong prescription.",
            channel=Channel.WEB_FORM,
            respondent_id=practice.pk,
        ),
        now=AT,
    )
    assert case.reference == "OCC-2026-000001"
    address = reply_address(case, Party.RESPONDENT)
    assert address.startswith("enquiries+r-")
    assert address.endswith("@opticalcomplaints.co.uk")
    raw = signed(
        corpus("original_message_reply.eml"),
        "enquiries+OCC-2026-000001-respondent@opticalcomplaints.co.uk",
        case,
        Party.RESPONDENT,
    )
    assert "threaded" in deliver(raw)
    message = Message.objects.get(thread__case=case)
    assert message.thread.party == Party.RESPONDENT
    assert message.body == "We have checked the prescription and will offer a remake."


@pytest.mark.django_db
def wrong_sender(opened: Case) -> bytes:
    """Mallory, writing to Sam's own reply address (say Sam forwarded our e-mail)."""
    return signed(
        corpus("wrong_sender.eml"),
        "hello+OPT-2026-000001-complainant@optimised.net",
        opened,
        Party.COMPLAINANT,
    )


@pytest.mark.django_db
def test_a_sender_who_is_not_the_threads_party_is_quarantined_with_the_reason(opened):
    line = deliver(wrong_sender(opened))
    assert "quarantined" in line
    record = last()
    assert record.status == InboundStatus.QUARANTINED
    assert "mallory@example.net is not the complainant of OPT-2026-000001" in record.reason
    assert not Message.objects.filter(thread__case=opened).exists()


@pytest.mark.django_db
def test_a_reply_to_an_unknown_case_is_quarantined(optimised):
    assert "quarantined" in deliver(AUTHENTICATED + corpus("outlook_reply.eml"))
    assert "no case OPT-2026-000001" in last().reason


@pytest.mark.django_db
def test_duplicates_by_message_id_are_ignored(opened):
    line = deliver(corpus("new_plain.eml"))
    assert "duplicate" in line
    assert Case.objects.count() == 1
    assert last().status == InboundStatus.DUPLICATE
    assert InboundMessage.objects.count() == 2  # the duplicate is still stored


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["auto_reply.eml", "out_of_office.eml", "bounce.eml"])
def test_auto_replies_and_bounces_never_open_cases(optimised, name):
    line = deliver(corpus(name))
    assert "auto_reply" in line
    assert not Case.objects.exists()
    assert last().status == InboundStatus.AUTO_REPLY
    assert last().reason


@pytest.mark.django_db
def test_a_null_envelope_sender_is_a_bounce(optimised):
    assert "auto_reply" in deliver(corpus("new_plain.eml"), "--sender", "")
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_the_envelope_recipient_decides_the_organisation(optimised, occs):
    deliver(corpus("html_only.eml"), "--recipient", "enquiries@opticalcomplaints.co.uk")
    record = last()
    # OCCS is a mediation service: which business is complained about is for staff.
    assert record.status == InboundStatus.QUARANTINED
    assert record.organisation == occs
    assert "say which business" in record.reason


# --- broken messages and the quarantine ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("broken_no_boundary.eml", "malformed"),
        ("broken_charset.eml", "unknown character set"),
        ("broken_bad_utf8.eml", "not valid utf-8"),
        ("broken_garbage.eml", "NUL bytes"),
        ("no_from.eml", "no valid From address"),
    ],
)
def test_broken_messages_are_quarantined_with_the_reason(optimised, name, reason):
    raw = corpus(name)
    line = deliver(raw, "--recipient", "hello@optimised.net")
    assert "quarantined" in line
    record = last()
    assert record.status == InboundStatus.QUARANTINED
    assert reason in record.reason
    assert bytes(record.raw) == raw
    assert record.organisation == optimised
    assert not Case.objects.exists()


def hostile(headers: bytes, body: bytes = b"Hello.\n") -> bytes:
    return (
        b"From: Kim Lee <kim.lee@example.com>\nTo: hello@optimised.net\n"
        b"Date: Thu, 19 Nov 2026 10:00:00 +0000\nMessage-ID: <hostile@example.com>\n"
        + headers
        + b"\n"
        + body
    )


HOSTILE = [
    (
        "huge_subject",
        hostile(b"Subject: " + b"\n ".join([b"=?utf-8?q?a?="] * 4_000) + b"\n"),
        "the subject: header is too long",
    ),
    (
        "huge_header_section",
        hostile(b"".join(b"X-Filler-%d: %s\n" % (i, b"x" * 900) for i in range(700))),
        "the header section is too large",
    ),
    ("nul_in_body", hostile(b"Subject: hi\n", b"Hello\x00 there\n"), "NUL bytes"),
    ("nul_in_subject", hostile(b"Subject: hi\x00there\n"), "NUL bytes"),
    (
        "undecodable_subject",
        hostile(b"Subject: =?utf-8?b?////?=\n"),
        "the Subject: header cannot be decoded",
    ),
    (
        "unknown_charset_in_from",
        hostile(b"Subject: hi\n").replace(b"Kim Lee", b"=?x-no-such?q?Kim?="),
        "the From: header cannot be decoded",
    ),
    (
        "nested_comments_in_from",
        hostile(b"Subject: hi\n").replace(b"Kim Lee ", b"(" * 3000),
        "could not be read",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "reason"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_input_is_quarantined_with_the_reason(optimised, raw, reason):
    line = deliver(raw)
    assert "quarantined" in line, line
    record = last()
    assert record.status == InboundStatus.QUARANTINED
    assert reason.lower() in record.reason.lower(), record.reason
    assert bytes(record.raw) == raw
    assert record.organisation == optimised
    assert "\x00" not in record.subject + record.sender + record.reason
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_oversized_messages_are_quarantined(optimised, settings):
    settings.ACCORD_INBOUND_MAX_BYTES = 100
    assert "quarantined" in deliver(corpus("new_plain.eml"))
    assert "too large" in last().reason


@pytest.mark.django_db
def test_an_unexpected_failure_quarantines_and_does_not_crash(optimised, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ingest, "open_case", explode)
    assert "quarantined" in deliver(corpus("new_plain.eml"))
    assert "disk on fire" in last().reason
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_exit_75_only_when_the_raw_message_cannot_be_stored(monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("database unavailable")

    monkeypatch.setattr("accord.inbound.management.commands.receive_email.store", fail)
    with pytest.raises(CommandError) as caught:
        deliver(corpus("new_plain.eml"))
    assert caught.value.returncode == 75


@pytest.mark.django_db
def test_a_stored_message_is_accepted_even_if_processing_cannot_finish(monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("database went away")

    monkeypatch.setattr("accord.inbound.management.commands.receive_email.process", fail)
    line = deliver(corpus("new_plain.eml"))
    assert "stored; processing failed" in line
    assert bytes(last().raw) == corpus("new_plain.eml")


@pytest.mark.django_db
def test_staff_see_and_release_a_quarantined_message_into_a_new_case(optimised, occs, staff):
    deliver(corpus("broken_charset.eml"))
    record = last()
    handler = ApiClient(staff("optimised", "handler"))
    listing = handler.get("/inbound/quarantine")
    assert listing.status_code == 200
    [item] = listing.json()
    assert item["id"] == record.pk
    assert "unknown character set" in item["reason"]
    assert item["sender"] == "kim.lee@example.com"
    raw = handler.get(f"/inbound/quarantine/{record.pk}/raw")
    assert raw.status_code == 200
    assert raw.content == bytes(record.raw)
    # Another organisation's staff and non-staff do not see it.
    assert ApiClient(staff("occs", "handler")).get("/inbound/quarantine").json() == []
    from accord.accounts.models import User

    outsider = ApiClient(User.objects.create_user("someone"))
    assert outsider.get("/inbound/quarantine").status_code == 403
    released = handler.post(f"/inbound/quarantine/{record.pk}/release", {})
    assert released.status_code == 200, released.json()
    body = released.json()
    assert body["status"] == "released"
    case = Case.objects.get(reference=body["case_reference"])
    assert case.channel == Channel.EMAIL
    assert "My refund has not arrived" in case.description
    assert handler.get("/inbound/quarantine").json() == []
    record.refresh_from_db()
    assert record.reason  # the reason stays on record
    assert record.released_by is not None


@pytest.mark.django_db
def test_staff_release_a_wrong_sender_message_into_a_thread(opened, staff):
    deliver(wrong_sender(opened))
    record = last()
    handler = ApiClient(staff("optimised", "handler"))
    released = handler.post(
        f"/inbound/quarantine/{record.pk}/release",
        {"case_reference": opened.reference, "party": "complainant"},
    )
    assert released.status_code == 200, released.json()
    message = Message.objects.get(thread__case=opened)
    assert message.body == "Please send me everything you hold on this case."
    event = opened.events.get(kind=EventKind.MESSAGE)
    assert event.actor_role == "handler"


# --- quote trimming --------------------------------------------------------------------


def test_quote_trimming_recognises_the_usual_markers():
    assert trim_quoted("Yes.\n\nOn Mon, 1 Jan 2026, A <a@b> wrote:\n> old") == ("Yes.", True)
    assert trim_quoted("Yes.\n-----Original Message-----\nFrom: x") == ("Yes.", True)
    assert trim_quoted("Yes.\n\nFrom: A\nSent: Monday\nTo: B\n\nold") == ("Yes.", True)
    assert trim_quoted("> old\nYes.") == ("Yes.", True)
    assert trim_quoted("Just text.") == ("Just text.", False)


# --- the SMTP / LMTP listener ----------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("lmtp", [False, True])
def test_messages_sent_over_smtp_and_lmtp_open_cases_and_reach_threads(committed_db, lmtp):
    from accord.organisations.seed.load import load_organisations

    load_organisations()
    from accord.inbound.listener import start_listener, stop_listener

    port = free_port()
    controller = start_listener("127.0.0.1", port, lmtp=lmtp)
    try:
        client_class = smtplib.LMTP if lmtp else smtplib.SMTP
        with client_class("127.0.0.1", port) as client:
            for name in ("new_plain.eml", "attachments.eml", "gmail_reply.eml", "bounce.eml"):
                sender = "MAILER-DAEMON@mx.optimised.net" if name == "bounce.eml" else "x@y.z"
                recipient = "hello@optimised.net"
                if name == "gmail_reply.eml":  # to the signed reply address of the first
                    recipient = reply_address(
                        Case.objects.get(reference="OPT-2026-000001"), Party.COMPLAINANT
                    )
                wire = corpus(name).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                refused = client.sendmail(sender, [recipient], wire)
                assert refused == {}
    finally:
        stop_listener(controller)
    statuses = list(InboundMessage.objects.order_by("pk").values_list("status", flat=True))
    assert statuses == ["case_opened", "case_opened", "threaded", "auto_reply"]
    case = Case.objects.get(reference="OPT-2026-000001")
    assert case.channel == Channel.EMAIL
    assert Message.objects.get(thread__case=case).thread.party == Party.COMPLAINANT
    envelope = InboundMessage.objects.order_by("pk").first()
    assert envelope is not None
    assert envelope.envelope_to == ["hello@optimised.net"]


def test_the_listener_quarantines_forged_and_hostile_input_and_splits_organisations(
    committed_db, settings
):
    """One message for two organisations in one SMTP transaction reaches each; forged
    and hostile messages are stored and quarantined, never refused or crashed on."""
    from accord.inbound.listener import start_listener, stop_listener
    from accord.organisations.seed.load import load_organisations

    settings.ACCORD_TRUSTED_AUTHSERV_IDS = ["mx.optimised.net"]
    load_organisations()
    port = free_port()
    controller = start_listener("127.0.0.1", port)
    forged = CORPUS / "forged"
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            wire = corpus("new_plain.eml").replace(b"\n", b"\r\n")
            both = ["hello@optimised.net", "enquiries@opticalcomplaints.co.uk"]
            assert client.sendmail("x@y.z", both, wire) == {}
            for raw in (
                (forged / "two_from_headers.eml").read_bytes(),
                (forged / "no_authentication_results.eml").read_bytes(),
                HOSTILE[0][1],  # a huge header
                (forged / "reused_message_id.eml").read_bytes(),
            ):
                wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                assert client.sendmail("x@y.z", ["hello@optimised.net"], wire) == {}
    finally:
        stop_listener(controller)
    records = list(InboundMessage.objects.order_by("pk"))
    assert [(r.organisation.slug if r.organisation else None, r.status) for r in records] == [
        ("optimised", "case_opened"),
        ("occs", "quarantined"),  # a mediation service: staff say which business
        ("optimised", "quarantined"),
        ("optimised", "quarantined"),
        ("optimised", "quarantined"),
        ("optimised", "quarantined"),
    ]
    assert "2 From: headers" in records[2].reason
    assert "sender not authenticated" in records[3].reason
    assert "header is too long" in records[4].reason
    assert "reuses the Message-ID" in records[5].reason
