"""The mediation part of the staff case page: a handler asks for records, records
their arrival, puts proposals, draws up the agreement with its obligations and adds
documents to a party's thread — each form offered only when the domain allows it,
refusals shown on the form, another organisation's case not found, a retried POST
acted on once — and the page shows proposals with each answer, the agreement and its
obligations, and the records requests."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accord.cases.models import Case, Event
from accord.mediation.models import Agreement, Document, Obligation, Proposal, RecordsRequest
from tests.conftest import ApiClient, complaint_body, london, verified_client
from tests.test_agreements import confirm
from tests.test_proposals import PUT, RECEIVED, accepted_proposal, answer, make_world, put, refund

pytestmark = pytest.mark.django_db

LATER = london(2026, 12, 3, 10)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(occs, staff) -> dict[str, Any]:
    """An OCCS case in review and dialogue (consent recorded), its handler signed in."""
    made = make_world(occs, staff)
    made["page"] = verified_client(made["handler_user"])
    return made


def key() -> str:
    return secrets.token_urlsafe(16)


def get(client: Client, world: dict[str, Any], when=PUT) -> str:
    with time_machine.travel(when, tick=False):
        response = client.get(f"/staff/cases/{world['reference']}/")
    assert response.status_code == 200
    return response.content.decode()


def post(client: Client, world: dict[str, Any], path: str, data: dict[str, Any], when=PUT) -> Any:
    with time_machine.travel(when, tick=False):
        return client.post(
            f"/staff/cases/{world['reference']}/{path}", {"submission_key": key(), **data}
        )


def events(world: dict[str, Any], kind: str) -> list[Event]:
    return list(Event.objects.filter(case__reference=world["reference"], kind=kind))


def offers(html: str, path: str) -> bool:
    return bool(re.search(rf'action="/staff/cases/[^"]+/{re.escape(path)}"', html))


# --- Records ---------------------------------------------------------------------------


def test_the_handler_asks_for_records_and_records_their_arrival(world) -> None:
    client = world["page"]
    assert offers(get(client, world), "records-requests/")
    done = post(
        client,
        world,
        "records-requests/",
        {"records-what": "Optical records", "records-due_on": "2026-12-09"},
    )
    assert done.status_code == 303, done.content
    assert done["Location"].endswith("#records")
    made = RecordsRequest.objects.get()
    assert (made.what, made.due_on.isoformat(), made.requested_by) == (
        "Optical records",
        "2026-12-09",
        world["handler_user"],
    )
    assert len(events(world, "records_requested")) == 1
    html = get(client, world)
    assert "Optical records" in html
    assert "Awaited" in html
    assert offers(html, f"records-requests/{made.pk}/arrived/")

    arrived = post(client, world, f"records-requests/{made.pk}/arrived/", {})
    assert arrived.status_code == 303
    made.refresh_from_db()
    assert made.fulfilled_at is not None
    html = get(client, world)
    assert "Arrived" in html
    assert not offers(html, f"records-requests/{made.pk}/arrived/")
    # Sent again from a page opened before: the refusal is shown, not a 500.
    again = post(client, world, f"records-requests/{made.pk}/arrived/", {})
    assert again.status_code == 409
    assert "already fulfilled" in again.content.decode()


def test_records_are_not_offered_without_consent_and_a_request_is_refused_on_the_form(
    occs, staff
) -> None:
    handler = staff("occs", "handler")
    practice = occs.businesses.order_by("pk").first()
    with time_machine.travel(RECEIVED, tick=False):
        reference = (
            ApiClient()
            .post("/organisations/occs/complaints", complaint_body(respondent_id=practice.pk))
            .json()["reference"]
        )
        for step in ("confirm_complaint", "accept_for_mediation"):
            assert ApiClient(handler).step(reference, step).status_code == 200
    world = {"reference": reference}
    client = verified_client(handler)
    html = get(client, world)
    assert "Not signed yet" in html
    assert not offers(html, "records-requests/")
    refused = post(
        client,
        world,
        "records-requests/",
        {"records-what": "Records", "records-due_on": "2026-12-09"},
    )
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "There is a problem" in body
    assert "consent is not on file" in body
    assert not RecordsRequest.objects.exists()


def test_a_records_request_with_a_past_date_is_an_error_on_its_field(world) -> None:
    refused = post(
        world["page"],
        world,
        "records-requests/",
        {"records-what": "Optical records", "records-due_on": "2026-11-01"},
    )
    assert refused.status_code == 422
    assert 'id="id_records-due_on_error"' in refused.content.decode()
    assert not RecordsRequest.objects.exists()


# --- Proposals -------------------------------------------------------------------------


def proposal_form(**overrides: str) -> dict[str, str]:
    data = {
        "proposal-source": "respondent",
        "proposal-kind": "refund",
        "proposal-description": "The practice refunds the price of the glasses.",
        "proposal-amount": "120.50",
        "proposal-currency": "",
        "proposal-answer_by": "2026-12-09",
    }
    data.update({f"proposal-{name}": value for name, value in overrides.items()})
    return data


def test_the_handler_puts_a_proposal_and_the_page_shows_each_answer(world) -> None:
    done = post(world["page"], world, "proposals/", proposal_form())
    assert done.status_code == 303, done.content
    made = Proposal.objects.get()
    assert (made.kind, str(made.amount), made.currency, made.put_by) == (
        "refund",
        "120.50",
        "GBP",
        world["handler_user"],
    )
    assert len(events(world, "proposal")) == 1
    html = get(world["page"], world)
    assert html.count("not answered yet") == 2
    assert (
        answer(world, "consumer", made.pk, "complainant", {"answer": "accept"}).status_code == 201
    )
    html = get(world["page"], world)
    assert "Complainant: accepted" in html
    assert "Respondent: not answered yet" in html


def test_a_refund_without_an_amount_is_an_error_on_the_amount(world) -> None:
    refused = post(world["page"], world, "proposals/", proposal_form(amount=""))
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "needs an amount" in body
    assert 'id="id_proposal-amount_error"' in body
    assert not Proposal.objects.exists()


def test_only_handlers_are_offered_the_mediation_forms(world, staff) -> None:
    manager = verified_client(staff("occs", "manager"))
    html = get(manager, world)
    for path in ("proposals/", "records-requests/", "agreements/"):
        assert not offers(html, path), path
    # The manager may still add documents to a thread (any staff of the organisation).
    assert offers(html, "threads/respondent/documents/")
    refused = post(manager, world, "proposals/", proposal_form())
    assert refused.status_code == 403
    assert "Only the case" in refused.content.decode()
    assert not Proposal.objects.exists()


# --- The agreement ---------------------------------------------------------------------


def agreement_form(proposal: int, **overrides: str) -> dict[str, str]:
    data = {
        "agreement-proposal": str(proposal),
        "agreement-party_1": "respondent",
        "agreement-what_1": "Refund £120.50 to the consumer's card.",
        "agreement-due_on_1": "2026-12-18",
        "agreement-party_2": "complainant",
        "agreement-what_2": "Return the glasses to the practice.",
        "agreement-due_on_2": "2026-12-11",
    }
    data.update({f"agreement-{name}": value for name, value in overrides.items()})
    return data


def test_the_agreement_is_offered_only_once_a_proposal_is_accepted(world) -> None:
    put(world, refund())
    assert not offers(get(world["page"], world), "agreements/")
    proposal = accepted_proposal(world)
    assert offers(get(world["page"], world), "agreements/")
    done = post(world["page"], world, "agreements/", agreement_form(proposal), when=LATER)
    assert done.status_code == 303, done.content
    agreement = Agreement.objects.get()
    assert agreement.proposal_id == proposal
    assert sorted(Obligation.objects.values_list("party", flat=True)) == [
        "complainant",
        "respondent",
    ]
    assert len(events(world, "agreement")) == 1
    html = get(world["page"], world, LATER)
    assert "Awaiting both parties" in html
    assert "not confirmed yet" in html


def test_a_due_date_past_the_procedure_limit_is_an_error_on_that_row(world) -> None:
    proposal = accepted_proposal(world)
    refused = post(
        world["page"], world, "agreements/", agreement_form(proposal, due_on_2="2027-03-01")
    )
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "later than the procedure allows" in body
    assert 'id="id_agreement-due_on_2_error"' in body
    assert not Agreement.objects.exists()


def test_a_half_filled_obligation_row_is_an_error(world) -> None:
    proposal = accepted_proposal(world)
    refused = post(
        world["page"], world, "agreements/", agreement_form(proposal, party_2="", due_on_2="")
    )
    assert refused.status_code == 400
    assert 'id="id_agreement-party_2_error"' in refused.content.decode()
    assert not Agreement.objects.exists()


def test_a_binding_agreement_shows_its_pdf_and_obligations_and_no_new_draft(world) -> None:
    proposal = accepted_proposal(world)
    assert post(world["page"], world, "agreements/", agreement_form(proposal)).status_code == 303
    agreement = Agreement.objects.get()
    for who, party in (("consumer", "complainant"), ("practice", "respondent")):
        given = confirm(world, who, agreement.pk, party, agreement.document_sha256)
        assert given.status_code == 201, given.content
    html = get(world["page"], world, LATER)
    assert "legally binding" in html
    pdf = f"/api/cases/{world['reference']}/agreements/{agreement.pk}/pdf"
    assert pdf in html
    assert "Return the glasses to the practice." in html
    assert "nobody yet" in html
    assert not offers(html, "agreements/")
    with time_machine.travel(LATER, tick=False):
        downloaded = world["page"].get(pdf)
    assert downloaded.status_code == 200
    assert downloaded["Content-Type"] == "application/pdf"
    assert Case.objects.get(reference=world["reference"]).stage == "implementing"


# --- Documents -------------------------------------------------------------------------


def test_the_handler_adds_a_document_to_a_partys_thread(world) -> None:
    file = SimpleUploadedFile("notes.txt", b"Call notes: the practice will remake.", "text/plain")
    done = post(
        world["page"], world, "threads/respondent/documents/", {"upload-respondent-file": file}
    )
    assert done.status_code == 303, done.content
    document = Document.objects.get()
    assert (document.thread.party, document.uploaded_by) == ("respondent", world["handler_user"])
    assert events(world, "document")[0].data["thread"] == "respondent"
    html = get(world["page"], world)
    assert f"/api/cases/{world['reference']}/documents/{document.pk}" in html


def test_a_disguised_file_is_refused_on_the_upload_form(world) -> None:
    file = SimpleUploadedFile("records.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    refused = post(
        world["page"], world, "threads/complainant/documents/", {"upload-complainant-file": file}
    )
    assert refused.status_code == 422
    assert 'id="id_upload-complainant-file_error"' in refused.content.decode()
    assert not Document.objects.exists()


# --- Another organisation, retries -----------------------------------------------------


def test_another_organisations_case_is_not_found(world, staff) -> None:
    outsider = verified_client(staff("ocasa", "handler"))
    with time_machine.travel(PUT, tick=False):
        assert outsider.get(f"/staff/cases/{world['reference']}/").status_code == 404
    for path, data in (
        ("proposals/", proposal_form()),
        ("records-requests/", {"records-what": "x", "records-due_on": "2026-12-09"}),
        ("records-requests/1/arrived/", {}),
        ("agreements/", agreement_form(1)),
        ("threads/respondent/documents/", {}),
    ):
        assert post(outsider, world, path, data).status_code == 404, path
    assert not Proposal.objects.exists()
    assert not RecordsRequest.objects.exists()


def test_a_retried_post_acts_once(world) -> None:
    once = {"submission_key": key(), **proposal_form()}
    url = f"/staff/cases/{world['reference']}/proposals/"
    with time_machine.travel(PUT, tick=False):
        first = world["page"].post(url, once)
        second = world["page"].post(url, once)
        back = world["page"].get(second["Location"])
    assert first.status_code == second.status_code == 303
    assert Proposal.objects.count() == 1
    assert len(events(world, "proposal")) == 1
    # The retry is sent back to the form's address, which returns to the case page.
    assert back.status_code == 303
    assert back["Location"] == f"/staff/cases/{world['reference']}/#proposals"
