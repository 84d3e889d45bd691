"""The completeness check: each letter kind declares what it must contain, and a letter
missing an item (not supplied by the case, or dropped by an edited template) cannot be
sent; the refusal names the item."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine

from accord.cases.models import Case, Event
from accord.letters.kinds import REQUIRED, LetterKind, missing_items
from accord.letters.models import Letter, LetterTemplate
from accord.outbox import queue
from accord.workdays.calendar import format_day
from tests.conftest import ApiClient
from tests.test_letters import AT, send, step, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def outbox(monkeypatch) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    real = queue.queue_email

    def record(**kwargs: Any) -> Any:
        sent.append(kwargs)
        try:
            return real(**kwargs)
        except NotImplementedError:
            return None

    monkeypatch.setattr(queue, "queue_email", record)
    return sent


def test_every_kind_declares_items_and_an_empty_letter_lacks_them_all() -> None:
    for kind in LetterKind:
        assert REQUIRED[kind], kind
        missing = missing_items(kind, {}, "")
        required = {item.name: item for item in REQUIRED[kind] if not item.if_any}
        required |= {"reference": REQUIRED[LetterKind.FEEDBACK_REQUEST][0]}
        assert {m.name for m in missing} == {*required, "signatory"}, kind


def ocasa_stage2(ocasa: Any, staff: Any) -> dict[str, Any]:
    """An Ocasa complaint taken to its stage 2 review (the in-house procedure's last)."""
    case = submit("ocasa")
    handler = staff("ocasa", "handler")
    senior = staff("ocasa", "senior_handler")
    step(handler, case, "acknowledge")
    step(
        handler,
        case,
        "send_stage1_response",
        letters={
            "stage1_response": {
                "outcome": "We do not uphold your complaint.",
                "findings": "The deposit was returned within the time the law allows.",
                "remedy": "None: the deposit was returned in time.",
            }
        },
    )
    step(handler, case, "request_stage2")
    with time_machine.travel(AT + dt.timedelta(hours=1), tick=False):
        assigned = ApiClient(senior).post(
            f"/cases/{case.reference}/assign", {"handler": senior.username}
        )
    assert assigned.status_code == 200, assigned.content
    step(senior, case, "acknowledge_stage2")
    return {"case": case, "senior": senior}


CONCLUDED = {
    "final_response": {
        "findings": "The deposit was returned late by two days.",
        "remedy": "We will pay you £50 for the inconvenience.",
    }
}


def test_the_last_stage_final_response_signposts_the_scheme_with_its_time_limit(
    ocasa, staff, outbox
) -> None:
    worked = ocasa_stage2(ocasa, staff)
    case = worked["case"]
    step(worked["senior"], case, "conclude_stage2", outcome="partly_upheld", letters=CONCLUDED)
    final = Letter.objects.get(case=case, name="final_response")
    text = " ".join(final.text.split())
    body = case.organisation.external_bodies.get()
    assert "The deposit was returned late by two days." in text
    assert "We will pay you £50 for the inconvenience." in text
    assert "We upheld part of your complaint." in text
    assert body.name in text
    assert body.phone in text
    assert "You must contact The Property Redress Scheme by the end of" in text
    assert "partly_upheld" not in text


def test_a_final_response_without_the_findings_is_refused_and_nothing_happens(
    ocasa, staff, outbox
) -> None:
    worked = ocasa_stage2(ocasa, staff)
    case = worked["case"]
    before = (Event.objects.filter(case=case).count(), len(outbox), Letter.objects.count())
    with time_machine.travel(AT + dt.timedelta(hours=1), tick=False):
        refused = ApiClient(worked["senior"]).step(
            case.reference, "conclude_stage2", outcome="upheld", letters={}
        )
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"] == "letters.final_response.findings"
    assert "what we found" in refused.json()["message"]
    after = (Event.objects.filter(case=case).count(), len(outbox), Letter.objects.count())
    assert after == before
    assert Case.objects.get(pk=case.pk).is_open


def test_a_template_that_drops_the_signposting_cannot_be_sent(ocasa, staff, outbox) -> None:
    worked = ocasa_stage2(ocasa, staff)
    case = worked["case"]
    LetterTemplate.objects.create(
        organisation=case.organisation,
        kind=LetterKind.FINAL_RESPONSE,
        subject="Final response",
        body="{{ outcome }} {{ findings }} {{ remedy }}",
    )
    with time_machine.travel(AT + dt.timedelta(hours=1), tick=False):
        refused = ApiClient(worked["senior"]).step(
            case.reference, "conclude_stage2", outcome="upheld", letters=CONCLUDED
        )
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"] == "letters.final_response.signposting_body"
    assert "does not state" in refused.json()["message"]


def test_the_holding_response_gives_reasons_and_date_and_no_scheme_before_it_is_due(
    ocasa, staff, outbox
) -> None:
    worked = ocasa_stage2(ocasa, staff)
    case = worked["case"]
    step(
        worked["senior"],
        case,
        "send_holding_response",
        reason="We are waiting for the contractor's report.",
        data={"anticipated_date": "2026-12-18"},
    )
    text = " ".join(Letter.objects.get(case=case, name="holding_response").text.split())
    assert "We are waiting for the contractor's report." in text
    assert format_day(dt.date(2026, 12, 18)) in text
    assert "Property Redress Scheme" not in text


def test_a_conclusion_must_say_why(occs, staff, outbox) -> None:
    case = submit("occs")
    handler = staff("occs", "senior_handler")
    refused = send(handler, case, name="conclusion")
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"] == "reasons"
    fine = send(
        handler, case, name="conclusion", fields={"reason": "The practice would not take part."}
    )
    assert fine.status_code == 201, fine.content


def test_an_acknowledgement_says_what_happens_next_by_when_without_arithmetic(
    optimised, staff, outbox
) -> None:
    case = submit("optimised")
    handler = staff("optimised", "handler")
    step(handler, case, "acknowledge")
    letter = Letter.objects.get()
    case = Case.objects.get(pk=case.pk)
    response = case.clocks.get(key="response")
    due = format_day(dt.date.fromisoformat(response.explanation["due_date"]))
    text = " ".join(letter.text.split())
    assert (
        f"We will send you our response, or an update on our progress, by the end of {due}." in text
    )
    for line in response.explanation["lines"]:
        assert " ".join(line.split()) not in text
    assert "working days" not in text


def test_the_preview_lists_what_is_missing(optimised, staff) -> None:
    case = submit("optimised")
    handler = staff("optimised", "handler")
    with time_machine.travel(AT + dt.timedelta(hours=2), tick=False):
        from tests.conftest import ApiClient

        shown = (
            ApiClient(handler)
            .post(f"/letters/cases/{case.reference}/preview", {"name": "proposed_resolution"})
            .json()
        )
    assert shown["complete"] is False
    assert [m["item"] for m in shown["missing"]] == ["remedy", "timeframe"]


def test_an_agreement_letter_must_list_the_terms() -> None:
    from django.template import Context

    from accord.letters.defaults import DEFAULTS
    from accord.letters.template_text import compile_template

    body = DEFAULTS[LetterKind.AGREEMENT][1]
    term = "Brightview Opticians: Refund £120 (by Friday 18 December 2026)"
    context: dict[str, Any] = {
        "recipient": {"name": "Alex"},
        "case": {"reference": "OCC-2026-000001"},
        "complainant": {"name": "Alex"},
        "respondent": {"name": "Brightview Opticians"},
        "organisation": {"name": "OCCS"},
        "signatory": {"name": "Sam Lee", "role": "Mediator"},
        "agreement": {"terms": [term], "binding": True},
    }
    rendered = compile_template(body, autoescape=False).render(Context(context, autoescape=False))
    text = f"{rendered}\nOCC-2026-000001 Sam Lee"
    assert term in text
    assert missing_items(LetterKind.AGREEMENT, context, text) == []
    assert "agreement_terms" in [m.name for m in missing_items(LetterKind.AGREEMENT, {}, text)]


def test_an_acknowledgement_with_no_date_for_the_next_step_can_be_sent(ocasa, staff) -> None:
    """Ocasa's stage 1 sets no time for its response (seed 004), so once acknowledged no
    clock runs: the acknowledgement says what happens next without a date."""
    case = submit("ocasa")
    handler = staff("ocasa", "handler")
    step(handler, case, "acknowledge")
    case = Case.objects.get(pk=case.pk)
    assert not [c for c in case.clocks.all() if c.status == "running" and not c.is_window]
    text = " ".join(Letter.objects.get().text.split())
    assert case.reference in text
    assert "Our Customer Resolution Team is looking into your complaint." in text


def test_an_acknowledgement_that_drops_the_date_of_a_running_clock_is_refused() -> None:
    context = {
        "case": {"reference": "OCC-1"},
        "signatory": {"name": "Sam Lee"},
        "next_clock": {"due_date": "Tuesday 1 December 2026"},
    }
    missing = missing_items(LetterKind.ACKNOWLEDGEMENT, context, "Reference OCC-1. Sam Lee")
    assert [m.name for m in missing] == ["next_date"]
