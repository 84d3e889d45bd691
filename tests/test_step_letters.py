"""The letter is part of the step: taking a step sends its letters (one per party each
is for) in the step's transaction, a clock a letter discharges stops when it is sent and
never before, a letter left owed is counted and chased, a final response goes once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine

from accord.cases import engine
from accord.cases.models import Case, Event
from accord.letters.models import Letter, LetterTemplate
from accord.letters.owed import outstanding
from accord.outbox.models import OutboundMessage
from tests.conftest import ApiClient, open_to_business
from tests.test_letters import AT, send, step, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _clock(case: Case, key: str) -> Any:
    return Case.objects.get(pk=case.pk).clocks.get(key=key)


def test_acknowledging_sends_the_letter_and_meets_the_clock_at_that_instant(
    optimised, staff
) -> None:
    case = submit("optimised")
    step(staff("optimised", "handler"), case, "acknowledge")
    letter = Letter.objects.get(case=case)
    assert letter.name == "acknowledgement"
    clock = _clock(case, "acknowledgement")
    assert clock.status == "stopped"
    assert clock.stopped_at == letter.sent_at
    assert OutboundMessage.objects.filter(case=case, purpose="letter:acknowledgement").count() == 1


def _incomplete_acknowledgement(organisation: Any) -> None:
    # The organisation's own wording drops the date of the next step: it cannot be sent.
    LetterTemplate.objects.create(
        organisation=organisation,
        kind="acknowledgement",
        subject="Received ({{ case.reference }})",
        body="Thank you for your complaint.",
    )


def test_an_acknowledgement_step_with_an_unsent_letter_is_impossible(optimised, staff) -> None:
    """Through the API the step is refused while its letter cannot be sent; taken by code
    that types no letter, it leaves the letter owed: the acknowledgement clock is not
    met, the case counts the letter owed, and sending it meets the clock then."""
    case = submit("optimised")
    handler = staff("optimised", "handler")
    _incomplete_acknowledgement(optimised)
    with time_machine.travel(AT, tick=False):
        refused = ApiClient(handler).step(case.reference, "acknowledge")
    assert refused.status_code == 422, refused.content
    assert _clock(case, "acknowledgement").status == "running"
    engine.take_step(case.pk, handler, "acknowledge", engine.StepRequest(), now=AT)
    case = Case.objects.get(pk=case.pk)
    assert not Letter.objects.filter(case=case).exists()
    assert _clock(case, "acknowledgement").status == "running"
    assert case.letters_owed == 1
    assert [o.name for o in outstanding(case)] == ["acknowledgement"]
    LetterTemplate.objects.filter(organisation=optimised).delete()
    assert send(handler, case, name="acknowledgement").status_code == 201
    case = Case.objects.get(pk=case.pk)
    clock = _clock(case, "acknowledgement")
    assert clock.status == "stopped"
    assert clock.stopped_at == Letter.objects.get(case=case).sent_at
    assert case.letters_owed == 0


def test_an_owed_letter_past_its_clock_is_breached_by_the_sweep(optimised, staff) -> None:
    from accord.cases.sweep import sweep_once

    case = submit("optimised")
    _incomplete_acknowledgement(optimised)
    engine.take_step(
        case.pk, staff("optimised", "handler"), "acknowledge", engine.StepRequest(), now=AT
    )
    assert Case.objects.get(pk=case.pk).letters_owed == 1
    due = _clock(case, "acknowledgement").due_at
    sweep_once(now=due + dt.timedelta(hours=1))
    assert _clock(case, "acknowledgement").breach_recorded_at is not None
    assert Event.objects.filter(case=case, kind="clock_breached").exists()


def test_staff_are_alerted_to_a_letter_owed_past_its_clock(optimised, staff) -> None:
    """A letter left owed holds the clock its step would meet: the sweep's at-risk and
    breach alerts say which letter is owed and link to the case; the case page and the
    queue show "letter owed"."""
    from accord.cases.sweep import sweep_once
    from tests.conftest import verified_client
    from tests.notices import run_tasks

    case = submit("optimised")
    handler = staff("optimised", "handler")
    senior = staff("optimised", "senior_handler")
    ApiClient(handler).post(f"/cases/{case.reference}/assign", {"handler": handler.username})
    _incomplete_acknowledgement(optimised)
    engine.take_step(case.pk, handler, "acknowledge", engine.StepRequest(), now=AT)
    clock = _clock(case, "acknowledgement")
    label = engine.procedure_of(case).letters["acknowledgement"]
    owed = f"{label} (to the complainant)"
    for when, kind, to in (
        (clock.at_risk_at + dt.timedelta(minutes=1), "at_risk", handler),
        (clock.due_at + dt.timedelta(hours=1), "breached", senior),
    ):
        with time_machine.travel(when, tick=False):
            sweep_once(now=when)
            run_tasks(only="notify_clocks")
        [alert] = OutboundMessage.objects.filter(case=case, purpose=f"clock_{kind}")
        assert to.email in alert.to
        assert alert.subject.endswith(": letter owed"), alert.subject
        assert "Letter owed: the clock is met only once it is sent." in alert.text
        assert owed in alert.text
        assert f"/staff/cases/{case.reference}/" in alert.text
    page = verified_client(handler).get(f"/staff/cases/{case.reference}/").content.decode()
    assert f"<strong>Letter owed:</strong> {owed}." in page
    assert f"letter owed</span> Met once it is sent: {owed}." in page
    queue = verified_client(handler).get("/staff/?view=letters_owed").content.decode()
    assert case.reference in queue
    assert "letter owed" in queue
    # Sent, the letter is no longer owed: the page says nothing of it.
    LetterTemplate.objects.filter(organisation=optimised).delete()
    with time_machine.travel(clock.due_at + dt.timedelta(hours=2), tick=False):
        sent = ApiClient(handler).post(
            f"/letters/cases/{case.reference}/send", {"name": "acknowledgement"}
        )
    assert sent.status_code == 201, sent.content
    page = verified_client(handler).get(f"/staff/cases/{case.reference}/").content.decode()
    assert "Letter owed" not in page
    assert "letter owed" not in page


def test_a_letter_the_step_needs_that_cannot_be_sent_undoes_the_step(optimised, staff) -> None:
    case = submit("optimised")
    handler = staff("optimised", "handler")
    step(handler, case, "acknowledge")
    before = Event.objects.filter(case=case).count()
    with time_machine.travel(AT + dt.timedelta(hours=1), tick=False):
        refused = ApiClient(handler).step(case.reference, "propose_resolution", letters={})
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"].startswith("letters.proposed_resolution.")
    assert Event.objects.filter(case=case).count() == before
    assert Case.objects.get(pk=case.pk).stage == "analysis"
    assert Letter.objects.filter(case=case).count() == 1
    step(
        handler,
        case,
        "propose_resolution",
        letters={
            "proposed_resolution": {
                "remedy": "A replacement pair of lenses.",
                "timeframe": "Within 10 working days.",
            }
        },
    )
    text = Letter.objects.get(case=case, name="proposed_resolution").text
    assert "A replacement pair of lenses." in text
    assert "Within 10 working days." in text


def test_a_letter_may_not_be_left_for_later_unless_the_pack_says_so(optimised, staff) -> None:
    case = submit("optimised")
    with time_machine.travel(AT + dt.timedelta(hours=1), tick=False):
        refused = ApiClient(staff("optimised", "handler")).step(
            case.reference, "acknowledge", letters_later=["acknowledgement"]
        )
    assert refused.status_code == 422, refused.content
    assert "cannot follow later" in refused.json()["message"]


def test_a_letter_for_both_parties_is_one_letter_each(occs, staff) -> None:
    case = submit("occs")
    handler = staff("occs", "handler")
    open_to_business(case.reference, handler, AT)
    case.stage = "information_gathering"
    case.save(update_fields=["stage"])
    step(handler, case, "notify_delay", reason="The practice's records are in storage.")
    letters = Letter.objects.filter(case=case, name="delay_notice")
    assert sorted(letters.values_list("recipient", flat=True)) == ["complainant", "respondent"]
    mails = {
        m.to[0]: m for m in OutboundMessage.objects.filter(case=case, purpose="letter:delay_notice")
    }
    assert set(mails) == {case.complainant.email, case.respondent.email}
    # Each e-mail carries its party's letter and the way to that party's own page: the
    # complainant's signed link, the business's page behind its sign-in.
    consumer, business = mails[case.complainant.email], mails[case.respondent.email]
    assert "/my/link/" in consumer.text
    assert f"/my/cases/{case.reference}/" not in consumer.text
    assert f"/my/cases/{case.reference}/" in business.text
    assert "/my/link/" not in business.text
    assert "Sign in with your password to see it." in business.text
    for letter in letters:
        mail = mails[consumer.to[0] if letter.recipient == "complainant" else business.to[0]]
        assert letter.subject == mail.subject
        dear = next(line for line in letter.text.splitlines() if line.startswith("Dear "))
        assert dear in mail.text
        assert mail.attachments.count() == 1


def test_a_final_response_is_sent_once(optimised, staff) -> None:
    case = submit("optimised")
    handler = staff("optimised", "handler")
    step(handler, case, "acknowledge")
    step(
        handler,
        case,
        "resolve_quickly",
        letters={
            "final_response": {
                "findings": "The frames were faulty.",
                "remedy": "We replaced them free of charge.",
            }
        },
    )
    again = send(
        handler,
        case,
        name="final_response",
        fields={"findings": "Again.", "remedy": "Again."},
    )
    assert again.status_code == 422, again.content
    assert "already sent" in again.json()["message"]
    assert Letter.objects.filter(case=case, name="final_response").count() == 1
