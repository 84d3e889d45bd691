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
from tests.conftest import london
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
        required = [item.name for item in REQUIRED[kind] if not item.if_any]
        assert [m.name for m in missing] == required


@pytest.fixture
def rejected(optimised, staff) -> dict[str, Any]:
    """An Optimised complaint concluded as not upheld, which needs a final response."""
    case = submit("optimised")
    handler = staff("optimised", "handler")
    step(handler, case, "acknowledge")
    step(handler, case, "reject_complaint", reason="The lenses match the prescription.")
    return {"case": case, "handler": handler}


def test_a_complete_final_response_carries_the_signposting_and_time_limit(rejected, outbox) -> None:
    case = rejected["case"]
    response = send(rejected["handler"], case, name="final_response")
    assert response.status_code == 201, response.content
    text = Letter.objects.get().text
    body = case.organisation.external_bodies.get()
    assert "The lenses match the prescription." in text
    assert body.name in text
    assert body.time_limit in text
    assert body.phone in text
    assert "Not upheld" in text or "not upheld" in text.lower()


def test_a_final_response_without_the_time_limit_is_refused_naming_it(rejected, outbox) -> None:
    case = rejected["case"]
    case.organisation.external_bodies.update(time_limit="")
    refused = send(rejected["handler"], case, name="final_response")
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"] == "time_limit"
    assert "time limit" in refused.json()["message"]
    assert not Letter.objects.exists()
    assert not Event.objects.filter(kind="letter_sent").exists()
    assert outbox == []


def test_a_final_response_without_signposting_is_refused_naming_it(rejected, outbox) -> None:
    case = rejected["case"]
    case.organisation.external_bodies.all().delete()
    refused = send(rejected["handler"], case, name="final_response")
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"] == "signposting_body"
    assert outbox == []


def test_a_template_that_drops_the_signposting_cannot_be_sent(rejected, outbox) -> None:
    case = rejected["case"]
    LetterTemplate.objects.create(
        organisation=case.organisation,
        kind=LetterKind.FINAL_RESPONSE,
        subject="Final response",
        body="Dear {{ recipient.name }},\n\nOutcome: {{ outcome }}",
    )
    refused = send(rejected["handler"], case, name="final_response")
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"] == "signposting_body"
    assert "does not state" in refused.json()["message"]


def test_a_holding_response_without_a_date_is_refused_naming_it(optimised, staff, outbox) -> None:
    case = submit("optimised")
    handler = staff("optimised", "handler")
    step(handler, case, "acknowledge")
    # Written without the step that supplies the date: the reasons alone are not enough.
    refused = send(
        handler, case, name="holding_response", fields={"reason": "We are waiting for the lab."}
    )
    assert refused.status_code == 422, refused.content
    assert refused.json()["field"] == "anticipated_date"
    assert "anticipated date" in refused.json()["message"]
    assert outbox == []
    # The step with a date: the letter carries the reasons and the date.
    step(
        handler,
        case,
        "send_further_update",
        reason="We are waiting for the lab's report.",
        data={"anticipated_date": "2026-12-18"},
    )
    sent = send(handler, case, name="holding_response")
    assert sent.status_code == 201, sent.content
    text = Letter.objects.get().text
    assert "We are waiting for the lab's report." in text
    assert format_day(dt.date(2026, 12, 18)) in text


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


def test_an_acknowledgement_carries_the_next_date_with_its_explanation(
    optimised, staff, outbox
) -> None:
    case = submit("optimised")
    handler = staff("optimised", "handler")
    step(handler, case, "acknowledge")
    assert send(handler, case, name="acknowledgement").status_code == 201
    letter = Letter.objects.get()
    case = Case.objects.get(pk=case.pk)
    running = [c for c in case.clocks.all() if c.status == "running" and not c.is_window]
    assert running
    first = min(running, key=lambda c: c.due_at or london(2100, 1, 1))
    due = format_day(dt.date.fromisoformat(first.explanation["due_date"]))
    assert due in letter.text
    for line in first.explanation["lines"]:
        assert " ".join(line.split()) in " ".join(letter.text.split())


def test_the_preview_lists_what_is_missing(rejected) -> None:
    case = rejected["case"]
    case.organisation.external_bodies.update(time_limit="")
    with time_machine.travel(AT + dt.timedelta(hours=2), tick=False):
        from tests.conftest import ApiClient

        shown = (
            ApiClient(rejected["handler"])
            .post(f"/letters/cases/{case.reference}/preview", {"name": "final_response"})
            .json()
        )
    assert shown["complete"] is False
    assert [m["item"] for m in shown["missing"]] == ["time_limit"]


def test_an_agreement_letter_must_list_the_terms() -> None:
    from django.template import Context

    from accord.letters.defaults import DEFAULTS
    from accord.letters.rendering import compile_template

    body = DEFAULTS[("", LetterKind.AGREEMENT)][1]
    term = "Brightview Opticians: Refund £120 (by Friday 18 December 2026)"
    context: dict[str, Any] = {
        "recipient": {"name": "Alex"},
        "case": {"reference": "OCC-2026-000001"},
        "complainant": {"name": "Alex"},
        "respondent": {"name": "Brightview Opticians"},
        "organisation": {"name": "OCCS"},
        "agreement": {"terms": [term], "binding": True},
    }
    text = compile_template(body, autoescape=False).render(Context(context, autoescape=False))
    assert term in text
    assert missing_items(LetterKind.AGREEMENT, context, text) == []
    assert [m.name for m in missing_items(LetterKind.AGREEMENT, {}, text)] == ["agreement_terms"]


def test_an_acknowledgement_with_no_date_for_the_next_step_can_be_sent(ocasa, staff) -> None:
    """Ocasa's stage 1 sets no time for its response (seed 004), so once acknowledged no
    clock runs: the acknowledgement says what happens next without a date."""
    case = submit("ocasa")
    handler = staff("ocasa", "handler")
    step(handler, case, "acknowledge")
    case = Case.objects.get(pk=case.pk)
    assert not [c for c in case.clocks.all() if c.status == "running" and not c.is_window]
    sent = send(handler, case, name="acknowledgement")
    assert sent.status_code == 201, sent.content
    assert case.reference in Letter.objects.get().text


def test_an_acknowledgement_that_drops_the_date_of_a_running_clock_is_refused() -> None:
    context = {
        "case": {"reference": "OCC-1"},
        "next_clock": {"due_date": "Tuesday 1 December 2026", "lines": ["Two working days."]},
    }
    missing = missing_items(
        LetterKind.ACKNOWLEDGEMENT, context, "Reference OCC-1. Two working days."
    )
    assert [m.name for m in missing] == ["next_date"]
