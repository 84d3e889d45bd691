"""Issue 16: every step offered is one the seed allows at that moment, and nothing
closes, counts or changes behind the procedure's back. Each test goes through the API
(and the staff page where it shows the step), on cases received under the third
versions of the seed packs (in force from 7 December 2026)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine

from accord.accounts.models import User
from accord.cases.models import Case, CaseClosure, Event, IdempotentRequest
from accord.cases.sweep import sweep_once
from accord.mediation.certificate import certificate_html
from accord.mediation.consent import publish_form
from accord.mediation.models import Agreement
from tests.conftest import (
    ApiClient,
    complaint_body,
    london,
    take,
    typical_letter_fields,
    verified_client,
)

pytestmark = pytest.mark.django_db

RECEIVED = london(2027, 1, 11, 10)  # a Monday, under the v3 packs
LATER = RECEIVED + dt.timedelta(hours=1)
PUT = london(2027, 1, 12, 10)
CONFIRMED = london(2027, 1, 13, 10)


def call(client: ApiClient, when: dt.datetime, method: str, path: str, body: Any = None) -> Any:
    with time_machine.travel(when, tick=False):
        return client.get(path) if method == "get" else client.post(path, body)


def allowed(client: ApiClient, reference: str, when: dt.datetime) -> list[str]:
    response = call(client, when, "get", f"/cases/{reference}")
    assert response.status_code == 200, response.content
    return list(response.json()["allowed_steps"])


def offered_on_page(user: User, reference: str, when: dt.datetime) -> set[str]:
    with time_machine.travel(when, tick=False):
        page = verified_client(user).get(f"/staff/cases/{reference}/")
    assert page.status_code == 200
    return set(re.findall(r'id="step-([a-z0-9_]+)"', page.content.decode()))


def submission() -> dict[str, str]:
    import secrets

    return {"submission_key": secrets.token_urlsafe(16)}


# --- OCCS ------------------------------------------------------------------------------


def occs_world(occs, staff, *, sign: bool = True) -> dict[str, Any]:
    """An OCCS v3 case accepted for mediation; the consumer and the practice as users;
    with `sign`, the consumer signed the consent form and the case is in dialogue."""
    practice = occs.businesses.order_by("pk").first()
    with time_machine.travel(RECEIVED, tick=False):
        response = ApiClient().post(
            "/organisations/occs/complaints", complaint_body(respondent_id=practice.pk)
        )
    assert response.status_code == 201, response.content
    reference = response.json()["reference"]
    case = Case.objects.get(reference=reference)
    assert case.procedure_version == 4  # v4 (declarations only) shadows v3 from its first day
    consumer = User.objects.create_user("consumer", email="alex@example.com")
    case.complainant.user = consumer
    case.complainant.save()
    rep = User.objects.create_user("rep", business=practice, email="rep@practice.example")
    form = publish_form(
        occs,
        title="Consent to release records",
        text="I consent to the practice releasing my optical records to the mediator.",
        effective_from=dt.date(2020, 1, 1),
    )
    handler_user = staff("occs", "handler")
    handler = ApiClient(handler_user)
    assigned = call(
        handler, RECEIVED, "post", f"/cases/{reference}/assign", {"handler": handler_user.username}
    )
    assert assigned.status_code == 200
    take(handler, reference, LATER, "confirm_complaint", "accept_for_mediation")
    world = {
        "reference": reference,
        "handler_user": handler_user,
        "handler": handler,
        "consumer_user": consumer,
        "consumer": ApiClient(consumer),
        "practice": ApiClient(rep),
        "form_version": form.version,
    }
    if sign:
        sign_consent(world)
        take(handler, reference, LATER, "record_consent", "gather_information", "begin_review")
    return world


def sign_consent(world: dict[str, Any]) -> None:
    signed = call(
        world["consumer"],
        LATER,
        "post",
        f"/cases/{world['reference']}/consent",
        {"form_version": world["form_version"], "typed_name": "Alex Morgan", "ticked": True},
    )
    assert signed.status_code == 201, signed.content


def binding_agreement(world: dict[str, Any]) -> dict[str, Any]:
    ref = world["reference"]
    proposal = {
        "source": "respondent",
        "kind": "refund",
        "description": "The practice refunds the price of the glasses.",
        "amount": "120.50",
        "answer_by": "2027-01-20",
    }
    made = call(world["handler"], PUT, "post", f"/cases/{ref}/proposals", proposal)
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    for who, party in (("consumer", "complainant"), ("practice", "respondent")):
        path = f"/cases/{ref}/proposals/{pk}/answers/{party}"
        answered = call(world[who], PUT, "post", path, {"answer": "accept"})
        assert answered.status_code == 201, answered.content
    terms = [
        {"party": "respondent", "what": "Refund £120.50.", "due_on": "2027-01-22"},
        {"party": "complainant", "what": "Return the glasses.", "due_on": "2027-01-29"},
    ]
    drawn = call(
        world["handler"],
        PUT,
        "post",
        f"/cases/{ref}/agreements",
        {"proposal_id": pk, "obligations": terms},
    )
    assert drawn.status_code == 201, drawn.content
    agreement = drawn.json()
    for who, party in (("consumer", "complainant"), ("practice", "respondent")):
        path = f"/cases/{ref}/agreements/{agreement['id']}/confirmations/{party}"
        done = call(
            world[who], CONFIRMED, "post", path, {"document_sha256": agreement["document_sha256"]}
        )
        assert done.status_code == 201, done.content
    return dict(done.json())


def test_record_consent_needs_the_signed_consent_form(occs, staff) -> None:
    world = occs_world(occs, staff, sign=False)
    ref, handler = world["reference"], world["handler"]
    assert "record_consent" not in allowed(handler, ref, LATER)
    assert "record_consent" not in allowed(world["consumer"], ref, LATER)
    assert "record_consent" not in offered_on_page(world["handler_user"], ref, LATER)
    refused = call(handler, LATER, "post", f"/cases/{ref}/steps/record_consent", {})
    assert refused.status_code == 409
    assert "has not signed the consent form" in refused.json()["message"]
    case = Case.objects.get(reference=ref)
    assert (case.stage, case.consent_given_at) == ("awaiting_consent", None)

    sign_consent(world)
    assert "record_consent" in allowed(handler, ref, LATER)
    assert "record_consent" in offered_on_page(world["handler_user"], ref, LATER)
    taken = call(world["consumer"], LATER, "post", f"/cases/{ref}/steps/record_consent", {})
    assert taken.status_code == 200, taken.content
    assert taken.json()["stage"] == "early_resolution"


def test_accepting_for_mediation_takes_the_open_to_respondent_effect(occs, staff) -> None:
    world = occs_world(occs, staff, sign=False)
    step = Event.objects.get(case__reference=world["reference"], action="accept_for_mediation")
    assert step.data["effects"] == ["open_to_respondent"]


def test_agreement_reached_only_once_both_confirmed_and_no_withdrawal_after(occs, staff) -> None:
    world = occs_world(occs, staff)
    ref, handler = world["reference"], world["handler"]
    assert "agree_resolution" not in allowed(handler, ref, PUT)
    assert "agree_resolution" not in offered_on_page(world["handler_user"], ref, PUT)
    refused = call(handler, PUT, "post", f"/cases/{ref}/steps/agree_resolution", {})
    assert refused.status_code == 409
    assert "no agreement has been confirmed" in refused.json()["message"]
    assert "withdraw" in allowed(world["consumer"], ref, PUT)

    binding_agreement(world)
    detail = call(handler, CONFIRMED, "get", f"/cases/{ref}").json()
    assert detail["stage"] == "implementing"  # the system took the agreement step
    assert "withdraw" not in allowed(world["consumer"], ref, CONFIRMED)
    assert "withdraw" not in allowed(handler, ref, CONFIRMED)
    withdrawn = call(
        world["consumer"],
        CONFIRMED,
        "post",
        f"/cases/{ref}/steps/withdraw",
        {"reason": "Changed my mind."},
    )
    assert withdrawn.status_code == 409
    assert "legally binding" in withdrawn.json()["message"]


def test_confirm_implementation_waits_for_the_terms_or_a_stated_reason(occs, staff) -> None:
    world = occs_world(occs, staff)
    ref, handler = world["reference"], world["handler"]
    agreement = binding_agreement(world)
    assert "confirm_implementation" not in allowed(handler, ref, CONFIRMED)
    assert "confirm_implementation" not in offered_on_page(world["handler_user"], ref, CONFIRMED)
    refused = call(handler, CONFIRMED, "post", f"/cases/{ref}/steps/confirm_implementation", {})
    assert refused.status_code == 409
    assert "2 obligation(s) of the agreement are not yet done" in refused.json()["message"]
    no_reason = call(
        handler, CONFIRMED, "post", f"/cases/{ref}/steps/close_implementation_stating_why", {}
    )
    assert no_reason.status_code == 422

    done_at = CONFIRMED + dt.timedelta(days=1)
    for obligation in Agreement.objects.get(pk=agreement["id"]).obligations.all():
        for who, party in (("consumer", "complainant"), ("practice", "respondent")):
            path = f"/cases/{ref}/obligations/{obligation.pk}/done/{party}"
            assert call(world[who], done_at, "post", path).status_code in {200, 201}
    assert "confirm_implementation" in allowed(handler, ref, done_at)
    closed = call(handler, done_at, "post", f"/cases/{ref}/steps/confirm_implementation", {})
    assert closed.status_code == 200, closed.content
    assert (closed.json()["is_open"], closed.json()["outcome"]) == (False, "resolved_by_agreement")


def pdf_pages(pdf: bytes) -> int:
    """The pages of a PDF whose objects may sit in compressed object streams."""
    import zlib

    chunks = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", chunk)) for chunk in chunks)


def test_the_kept_pdf_has_a_certificate_page_of_both_confirmations(
    occs, staff, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    world = occs_world(occs, staff)
    agreement = binding_agreement(world)
    kept = Agreement.objects.get(pk=agreement["id"])
    pdf = call(
        world["consumer"], CONFIRMED, "get", f"/cases/{world['reference']}/agreements/{kept.pk}/pdf"
    )
    assert pdf.status_code == 200
    body = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    import weasyprint

    document_pages = len(weasyprint.HTML(string=kept.document_html).render().pages)
    assert pdf_pages(body) == document_pages + 1
    # The hashed document is unchanged; the certificate names both confirmations.
    assert kept.document_sha256 == agreement["document_sha256"]
    assert kept.binding_from == CONFIRMED
    certificate = certificate_html(kept, CONFIRMED)
    assert certificate.count(kept.document_sha256) == 3  # the document's, and each party's
    # The complainant is named only as the business may know them (consent on file),
    # and never by their account's e-mail address.
    named = "Alex Morgan (the complainant)" if kept.case.consent_given_at else "The complainant"
    assert f"<td>{named}</td>" in certificate, certificate
    assert "(the business)" in certificate
    assert "13 January 2027, 10:00:00" in certificate
    assert "alex@example.com" not in certificate
    assert "The complainant, through their own case page" in certificate
    assert "rep@practice.example" in certificate


def test_clocks_stopped_without_agreement_show_ended_not_met(occs, staff) -> None:
    world = occs_world(occs, staff)
    ref, handler = world["reference"], world["handler"]
    detail = take(handler, ref, PUT, "record_no_agreement")
    states = {c["key"]: c["state"] for c in detail["clocks"]}
    assert states["agreement"] == "ended"
    assert states["acknowledgement"] == "met"
    with time_machine.travel(PUT, tick=False):
        page = verified_client(world["handler_user"]).get(f"/staff/cases/{ref}/").content.decode()
    assert "Ended" in page

    senior_user = staff("occs", "senior_handler")
    senior = ApiClient(senior_user)
    take(world["consumer"], ref, PUT, "refer_to_senior_mediator")
    call(senior, PUT, "post", f"/cases/{ref}/assign", {"handler": senior_user.username})
    detail = take(
        senior,
        ref,
        PUT + dt.timedelta(hours=1),
        "complete_senior_consideration",
        "conclude_without_agreement",
        reason="The practice would not move.",
    )
    states = {c["key"]: c["state"] for c in detail["clocks"]}
    assert states["senior_consideration"] == "met"
    assert (states["senior_mediation"], states["senior_timeframe"]) == ("ended", "ended")


def test_escalated_case_only_by_its_assigned_handler(occs, staff) -> None:
    world = occs_world(occs, staff)
    ref = world["reference"]
    take(world["handler"], ref, PUT, "record_no_agreement")
    take(world["consumer"], ref, PUT, "refer_to_senior_mediator")
    senior_user = staff("occs", "senior_handler")
    senior = ApiClient(senior_user)
    assert allowed(senior, ref, PUT) == []
    refused = call(senior, PUT, "post", f"/cases/{ref}/steps/refer_to_regulator", {"reason": "x"})
    assert refused.status_code == 403
    assert "assign yourself first" in refused.json()["message"]
    with time_machine.travel(PUT, tick=False):
        page = verified_client(senior_user).get(f"/staff/cases/{ref}/").content.decode()
    assert 'id="assign-first"' in page
    assert "assign yourself first" in page.lower()
    # The manager's own step (a safeguarding referral) and the consumer's stay theirs.
    assert "refer_to_regulator" in allowed(ApiClient(staff("occs", "manager")), ref, PUT)
    assert "withdraw" in allowed(world["consumer"], ref, PUT)

    call(senior, PUT, "post", f"/cases/{ref}/assign", {"handler": senior_user.username})
    assert "complete_senior_consideration" in allowed(senior, ref, PUT)
    assert "complete_senior_consideration" in offered_on_page(senior_user, ref, PUT)
    with time_machine.travel(PUT, tick=False):
        page = verified_client(senior_user).get(f"/staff/cases/{ref}/").content.decode()
    assert 'id="assign-first"' not in page


# --- Figures after the fact -------------------------------------------------------------


def test_a_reopened_case_keeps_its_closure_in_the_published_period(occs, staff) -> None:
    world = occs_world(occs, staff)
    ref, handler = world["reference"], world["handler"]
    binding_agreement(world)
    closed_at = london(2027, 1, 14, 10)
    take(
        handler, ref, closed_at, "close_implementation_stating_why", reason="Practice closed down."
    )
    manager = ApiClient(staff("occs", "manager"))
    january = {"organisation": "occs", "from": "2027-01-01", "to": "2027-01-31"}
    february = {"organisation": "occs", "from": "2027-02-01", "to": "2027-02-28"}

    def report(period: dict[str, str]) -> dict[str, Any]:
        with time_machine.travel(london(2027, 3, 1, 9), tick=False):
            response = manager.get("/reports/annual", **period)
        assert response.status_code == 200, response.content
        return dict(response.json()["current"])

    before = report(january)
    assert (before["closed"], before["resolved"], before["reopened"]) == (1, 1, 0)
    # The refund (due 22 January) is missed: the sweep reopens the case in February.
    with time_machine.travel(london(2027, 2, 2, 9), tick=False):
        sweep_once(london(2027, 2, 2, 9))
    case = Case.objects.get(reference=ref)
    assert (case.is_open, case.closed_at) == (True, None)
    after = report(january)
    assert after == before
    assert report(february)["reopened"] == 1
    closure = CaseClosure.objects.get(case=case)
    assert closure.reopened_at == london(2027, 2, 2, 9)
    with time_machine.travel(london(2027, 3, 1, 9), tick=False):
        dashboard = manager.get("/reports/dashboard", organisation="occs").json()
    month = next(m for m in dashboard["months"] if m["month"] == "2027-01")
    assert month["closed"] == 1


# --- Client services ----------------------------------------------------------------------


def test_verbal_summary_steps_only_while_a_summary_is_pending(optimised, staff) -> None:
    handler = ApiClient(staff("optimised", "handler"))
    with time_machine.travel(RECEIVED, tick=False):
        web = ApiClient().post("/organisations/optimised/complaints", complaint_body())
        phoned = handler.post("/cases", {**complaint_body(), "channel": "phone"})
    assert web.status_code == 201, web.content
    assert phoned.status_code == 201, phoned.content
    web_ref, phone_ref = web.json()["reference"], phoned.json()["reference"]
    steps = {"confirm_verbal_summary", "send_verbal_summary"}
    assert not steps & set(allowed(handler, web_ref, LATER))
    assert steps <= set(allowed(handler, phone_ref, LATER))
    refused = call(handler, LATER, "post", f"/cases/{web_ref}/steps/confirm_verbal_summary", {})
    assert refused.status_code == 409
    taken = call(handler, LATER, "post", f"/cases/{phone_ref}/steps/confirm_verbal_summary", {})
    assert taken.status_code == 200, taken.content
    assert not steps & set(allowed(handler, phone_ref, LATER))


def test_considering_a_late_complaint_only_when_it_was_raised_out_of_time(optimised, staff) -> None:
    user = staff("optimised", "handler")
    handler = ApiClient(user)

    def received(**overrides: Any) -> str:
        with time_machine.travel(RECEIVED, tick=False):
            made = ApiClient().post(
                "/organisations/optimised/complaints", complaint_body(**overrides)
            )
        assert made.status_code == 201, made.content
        return str(made.json()["reference"])

    in_time = received(issue_arose_on="2027-01-08")
    late = received(issue_arose_on="2026-11-02")
    unknown = received()
    assert "accept_late_complaint" not in allowed(handler, in_time, LATER)
    assert "accept_late_complaint" not in allowed(handler, unknown, LATER)
    assert "accept_late_complaint" not in offered_on_page(user, in_time, LATER)
    assert "accept_late_complaint" in allowed(handler, late, LATER)
    refused = call(
        handler, LATER, "post", f"/cases/{in_time}/steps/accept_late_complaint", {"reason": "x"}
    )
    assert refused.status_code == 409
    take(handler, late, LATER, "accept_late_complaint", reason="A good reason for the delay.")
    assert "accept_late_complaint" not in allowed(handler, late, LATER)


# --- Assignment and retries ----------------------------------------------------------------


def test_saving_the_assignment_unchanged_writes_nothing(optimised, staff) -> None:
    manager_user = staff("optimised", "manager")
    with time_machine.travel(RECEIVED, tick=False):
        reference = (
            ApiClient()
            .post("/organisations/optimised/complaints", complaint_body())
            .json()["reference"]
        )
    events = Event.objects.filter(case__reference=reference).count()
    response = call(
        ApiClient(manager_user), LATER, "post", f"/cases/{reference}/assign", {"handler": None}
    )
    assert response.status_code == 200
    with time_machine.travel(LATER, tick=False):
        page = verified_client(manager_user).post(
            f"/staff/cases/{reference}/assign/", {**submission(), "assign-handler": ""}, follow=True
        )
    assert page.status_code == 200
    text = page.content.decode()
    assert "Nothing changed" in text
    assert "Assignment saved." not in text
    assert Event.objects.filter(case__reference=reference).count() == events


def test_a_retried_note_step_or_clock_change_is_taken_once(occs, staff) -> None:
    world = occs_world(occs, staff)
    ref, handler = world["reference"], world["handler"]
    headers = {"Idempotency-Key": "note-1"}

    def post(path: str, body: dict[str, Any], key: str) -> Any:
        with time_machine.travel(PUT, tick=False):
            return handler.post(path, body, headers={"Idempotency-Key": key})

    first = post(f"/cases/{ref}/notes", {"text": "Rang the practice."}, headers["Idempotency-Key"])
    again = post(f"/cases/{ref}/notes", {"text": "Rang the practice."}, "note-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Event.objects.filter(case__reference=ref, kind="note").count() == 1
    other = post(f"/cases/{ref}/notes", {"text": "Something else."}, "note-1")
    assert other.status_code == 422
    assert other.json()["field"] == "Idempotency-Key"

    delay = {"reason": "The practice has not sent the records yet."}
    # notify_delay is a step the procedure allows more than once.
    take(handler, ref, PUT, "notify_delay", **delay)
    steps_before = Event.objects.filter(case__reference=ref, action="notify_delay").count()
    # As the API's client sends the step: with what goes into its letter.
    typed = typical_letter_fields(ref, "notify_delay", has_reason=True)
    with_letter = {
        **delay,
        "letters": {name: fields for name, fields in typed.items() if fields is not None},
        "letters_later": [name for name, fields in typed.items() if fields is None],
    }
    for _ in range(2):
        sent = post(f"/cases/{ref}/steps/notify_delay", with_letter, "delay-2")
        assert sent.status_code == 200, sent.content
    assert (
        Event.objects.filter(case__reference=ref, action="notify_delay").count() == steps_before + 1
    )
    # The same key on another endpoint is another request.
    assert post(f"/cases/{ref}/notes", delay, "delay-2").status_code == 422

    pause = {"action": "pause", "reason": "Waiting for the consumer's records."}
    for _ in range(2):
        assert post(f"/cases/{ref}/clocks/agreement", pause, "pause-1").status_code == 200
    assert Event.objects.filter(case__reference=ref, kind="clock_paused").count() == 1
    # A refused request keeps no key: a retry may try again.
    refused = post(f"/cases/{ref}/steps/agree_resolution", {}, "agree-1")
    assert refused.status_code == 409
    assert not IdempotentRequest.objects.filter(key="agree-1").exists()
    # Keys are the user's own: another user's same key is their own request.
    other_user = ApiClient(staff("occs", "handler"))
    with time_machine.travel(PUT, tick=False):
        theirs = other_user.post(
            f"/cases/{ref}/notes", {"text": "Mine."}, headers={"Idempotency-Key": "note-1"}
        )
    assert theirs.status_code == 200
    assert Event.objects.filter(case__reference=ref, kind="note").count() == 2


@pytest.mark.parametrize("sign", [True, False])
def test_the_agreement_names_the_complainant_only_as_the_business_may_know_them(
    occs, staff, settings, tmp_path, sign
) -> None:
    """Both sides confirm one document, so it names the complainant as the business may
    know them: by name once their consent is on file, else as "The complainant"."""
    settings.MEDIA_ROOT = tmp_path / "media"
    world = occs_world(occs, staff, sign=sign)
    agreement = binding_agreement(world)
    kept = Agreement.objects.get(pk=agreement["id"])
    shown = call(world["practice"], CONFIRMED, "get", f"/cases/{world['reference']}/agreements")
    read_by_business = kept.document_html + kept.terms + shown.content.decode()
    if sign:
        assert "Alex Morgan (the complainant)" in read_by_business
    else:
        assert "Alex Morgan" not in read_by_business
        assert "Between <strong>The complainant</strong>" in kept.document_html
    assert "alex@example.com" not in read_by_business + certificate_html(kept, CONFIRMED)
