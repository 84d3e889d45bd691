"""E-mail that takes steps (issue 14, part 3): Ocasa's customer escalates to stage 2 by
an e-mail titled "Head of Operations/Lettings \u2013 Complaint" (seed 004). Delivered as the
mail server delivers it (`manage.py receive_email`), it takes `request_stage2` on the
complainant's behalf as of its arrival, is filed in their thread and opens no case;
anything ambiguous goes to the quarantine with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accord.cases.choices import Channel
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case, Clock, Event
from accord.inbound import ingest, meanings
from accord.inbound.choices import InboundStatus
from accord.inbound.meanings import normalised
from accord.mediation.models import Message
from accord.organisations.models import Organisation
from accord.procedures.definition import EmailMeaning, Procedure
from tests.conftest import ApiClient, london
from tests.test_inbound import deliver, last

pytestmark = pytest.mark.django_db

RECEIVED = london(2027, 1, 11, 10)  # a Monday, under lettings v4
RESPONDED = london(2027, 1, 12, 10)
ARRIVAL = london(2027, 1, 13, 16, 30)  # Wednesday
PAT = "pat.jones@example.org"
SUBJECT = "Head of Operations/Lettings \u2013 Complaint"
PASSED = (
    "Authentication-Results: mx.ocasahomes.co.uk; spf=pass smtp.mailfrom=example.org;\n"
    " dkim=pass header.d=example.org; dmarc=pass header.from=example.org\n"
)


@pytest.fixture(autouse=True)
def _media_and_trust(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ACCORD_TRUSTED_AUTHSERV_IDS = ["mx.ocasahomes.co.uk"]


def email(
    subject: str = SUBJECT, *, auth: str = PASSED, sender: str = PAT, message_id: str = "s2-1"
) -> bytes:
    return (
        f"{auth}"
        f"From: Pat Jones <{sender}>\n"
        "To: complaints@ocasahomes.co.uk\n"
        f"Subject: {subject}\n"
        f"Message-ID: <{message_id}@example.org>\n"
        "Date: Wed, 13 Jan 2027 16:29:00 +0000\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n"
        "The stage 1 response did not deal with the damp. I would like the Head of\n"
        "Operations to review my complaint.\n"
    ).encode()


def complaint(ocasa: Organisation, at: dt.datetime = RECEIVED, email_: str = PAT) -> Case:
    case, _ = receive_complaint(
        ocasa,
        Complaint(
            complainant=ComplainantDetails(name="Pat Jones", email=email_),
            description="Damp in the bedroom has not been fixed.",
            channel=Channel.WEB_FORM,
        ),
        now=at,
    )
    return case


@pytest.fixture
def responded(ocasa, staff) -> Case:
    """Pat's complaint, acknowledged and answered at stage 1."""
    case = complaint(ocasa)
    assert (case.procedure_key, case.procedure_version) == ("lettings", 4)
    handler = ApiClient(staff("ocasa", "handler"))
    with time_machine.travel(RESPONDED, tick=False):
        for step in ("acknowledge", "send_stage1_response"):
            assert handler.step(case.reference, step).status_code == 200
    return case


def arrive(raw: bytes, at: dt.datetime = ARRIVAL) -> str:
    with time_machine.travel(at, tick=False):
        return deliver(raw)


def assert_in_stage2_from(case: Case, arrival: dt.datetime) -> None:
    case.refresh_from_db()
    assert case.stage == "stage2_received"
    step = Event.objects.get(case=case, action="request_stage2")
    assert (step.at, step.actor_id, step.actor_role) == (arrival, None, "complainant")
    assert step.data["source"] == {"channel": "email", "inbound": last().pk}
    clocks = {c.key: c for c in Clock.objects.filter(case=case)}
    for key in ("stage2_acknowledgement", "stage2_review"):
        assert clocks[key].started_at == arrival, key
    # One working day from Wednesday 13 January 2027; five from then.
    assert clocks["stage2_acknowledgement"].explanation["due_date"] == "2027-01-14"
    assert clocks["stage2_review"].explanation["due_date"] == "2027-01-20"


@pytest.mark.parametrize(
    "subject",
    [
        SUBJECT,
        "RE: Fwd: head of operations / lettings - complaint",
        "Fw: \u2018HEAD OF OPERATIONS/LETTINGS \u2014 COMPLAINT\u2019 (damp)",
    ],
)
def test_the_stage_2_email_starts_stage_2_at_its_arrival(responded, subject) -> None:
    cases = Case.objects.count()
    line = arrive(email(subject))
    assert "threaded" in line, line
    assert Case.objects.count() == cases  # no second case
    assert_in_stage2_from(responded, ARRIVAL)
    record = last()
    assert (record.case_id, record.party) == (responded.pk, "complainant")
    assert record.thread_message_id is not None
    message = Message.objects.get(pk=record.thread_message_id)
    assert "did not deal with the damp" in message.body
    assert message.thread.party == "complainant"
    assert any("taken as of the e-mail's arrival" in note for note in record.notes)


def test_the_clocks_count_from_arrival_not_from_processing(responded) -> None:
    record = ingest.store(email(), envelope_to=["complaints@ocasahomes.co.uk"], now=ARRIVAL)
    later = ARRIVAL + dt.timedelta(hours=20)  # processed the next day
    with time_machine.travel(later, tick=False):
        outcome = ingest.process(record, now=later)
    assert outcome.status == InboundStatus.THREADED, outcome
    assert_in_stage2_from(responded, ARRIVAL)


def test_with_the_reference_the_case_is_the_one_named(responded, ocasa) -> None:
    complaint(ocasa)  # Pat's second open case: only the reference tells them apart
    line = arrive(email(f"Re: {SUBJECT} [{responded.reference}]"))
    assert "threaded" in line, line
    assert_in_stage2_from(responded, ARRIVAL)


def test_redelivery_is_a_duplicate_and_takes_nothing_twice(responded) -> None:
    arrive(email())
    again = arrive(email(), ARRIVAL + dt.timedelta(minutes=5))
    assert "duplicate" in again
    assert Event.objects.filter(case=responded, action="request_stage2").count() == 1
    assert Message.objects.filter(thread__case=responded).count() == 1


def test_a_later_reply_with_the_same_subject_is_filed_only(responded) -> None:
    arrive(email())
    line = arrive(
        email(f"Re: {SUBJECT} {responded.reference}", message_id="s2-2"),
        ARRIVAL + dt.timedelta(days=1),
    )
    assert "threaded" in line, line
    assert Event.objects.filter(case=responded, action="request_stage2").count() == 1
    assert any("already taken" in note for note in last().notes)


def quarantined(reason: str) -> None:
    record = last()
    assert record.status == InboundStatus.QUARANTINED, (record.status, record.reason)
    assert reason in record.reason
    assert record.case_id is None


def test_an_unauthenticated_sender_is_quarantined(responded) -> None:
    cases = Case.objects.count()
    arrive(email(auth=""))
    quarantined("sender not authenticated")
    quarantined("names no case")
    assert Case.objects.count() == cases
    assert Case.objects.get(pk=responded.pk).stage == "stage1_responded"


def test_two_open_cases_are_ambiguous(responded, ocasa) -> None:
    complaint(ocasa)
    cases = Case.objects.count()
    arrive(email())
    quarantined("has 2 open cases")
    assert Case.objects.count() == cases


def test_no_open_case_is_quarantined_not_opened(ocasa) -> None:
    arrive(email(sender="nobody@example.org"))
    quarantined("has no open case at Ocasa")
    assert not Case.objects.exists()


def test_a_step_not_possible_now_is_quarantined(ocasa) -> None:
    case = complaint(ocasa)  # not yet acknowledged: stage 2 is not open to it
    arrive(email())
    quarantined("cannot be taken on the case now")
    case.refresh_from_db()
    assert case.stage == "stage1_received"
    assert not Message.objects.filter(thread__case=case).exists()  # rolled back whole


def test_a_case_received_under_an_earlier_version_is_escalated_by_its_email_too(
    ocasa, staff
) -> None:
    """Lettings v2 (in force before 7 December 2026) was published before the format
    could say what an e-mail means; its declarations file says it, as v4 does."""
    received = london(2026, 12, 1, 10)  # a Tuesday, under lettings v2
    case = complaint(ocasa, received)
    assert case.procedure_version == 2
    handler = ApiClient(staff("ocasa", "handler"))
    with time_machine.travel(received + dt.timedelta(hours=2), tick=False):
        for step in ("acknowledge", "send_stage1_response"):
            assert handler.step(case.reference, step).status_code == 200
    arrival = london(2026, 12, 2, 16, 30)  # Wednesday
    line = arrive(email(), arrival)
    assert "threaded" in line, line
    case.refresh_from_db()
    assert case.stage == "stage2_received"
    escalated = Event.objects.get(case=case, action="request_stage2")
    assert (escalated.at, escalated.actor_role) == (arrival, "complainant")


def test_a_case_under_a_version_that_says_nothing_is_quarantined(ocasa, monkeypatch) -> None:
    case = complaint(ocasa, london(2026, 12, 1, 10))
    said = meanings.meaning_of  # as if version 2 had declared nothing

    def v2_silent(procedure: Procedure, subject: str) -> EmailMeaning | None:
        return None if procedure.version == 2 else said(procedure, subject)

    monkeypatch.setattr(meanings, "meaning_of", v2_silent)
    arrive(email())
    quarantined("lettings@2, which does not say what such an e-mail means")
    case.refresh_from_db()
    assert case.stage == "stage1_received"


def test_other_subjects_still_open_a_case(ocasa) -> None:
    line = arrive(email("My deposit has not been returned"))
    assert "case_opened" in line


def test_the_subject_is_compared_without_prefixes_case_spacing_or_dashes() -> None:
    assert normalised("RE:  Fwd:Head of Operations / Lettings \u2013 Complaint") == (
        "head of operations/lettings-complaint"
    )


def test_held_then_filed_by_staff_it_still_starts_stage_2_at_its_arrival(responded, staff) -> None:
    from accord.inbound.quarantine import release
    from accord.mediation.choices import Party

    arrive(email(auth=""))
    quarantined("sender not authenticated")
    later = ARRIVAL + dt.timedelta(days=1)
    handler = staff("ocasa", "handler")
    release(
        last().pk, handler, now=later, case_reference=responded.reference, party=Party.COMPLAINANT
    )
    assert_in_stage2_from(responded, ARRIVAL)


def test_the_published_procedure_says_how_to_ask_by_email() -> None:
    from accord.procedures.registry import registry
    from accord.quality.procedure_text import describe

    text = describe(registry().get("lettings", 4), [])
    assert text.by_email == (
        "Escalate to the Head of Operations or Head of Lettings: e-mail us with "
        "\u201cHead of Operations/Lettings \u2013 Complaint\u201d in the subject. It counts "
        "from when your e-mail reaches us.",
    )
