"""Shuttle mediation through the API: each party reads and writes only its own
thread; the handler relays (as written or edited); consent gates records requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from accord.accounts.models import User
from accord.cases.models import Case, Event
from accord.mediation.consent import publish_form
from accord.mediation.models import Consent, Message
from tests.conftest import ApiClient, complaint_body, london, open_to_business

pytestmark = pytest.mark.django_db
AT = london(2026, 12, 1, 10)


@pytest.fixture
def world(occs, staff) -> dict[str, Any]:
    practice = occs.businesses.order_by("pk").first()
    other_practice = occs.businesses.order_by("pk").last()
    with time_machine.travel(AT, tick=False):
        reference = (
            ApiClient()
            .post("/organisations/occs/complaints", complaint_body(respondent_id=practice.pk))
            .json()["reference"]
        )
    consumer = User.objects.create_user("consumer", email="alex@example.com")
    case = Case.objects.get(reference=reference)
    case.complainant.user = consumer
    case.complainant.save()
    open_to_business(reference, staff("occs", "handler"), AT)
    publish_form(
        occs,
        title="Consent to release records",
        text="I consent to the practice releasing my optical records to the mediator.",
        effective_from=dt.date(2020, 1, 1),
    )
    return {
        "reference": reference,
        "handler": ApiClient(staff("occs", "handler")),
        "consumer": ApiClient(consumer),
        "practice": ApiClient(User.objects.create_user("rep", business=practice)),
        "stranger": ApiClient(User.objects.create_user("other-rep", business=other_practice)),
    }


def call(client: ApiClient, method: str, path: str, body: Any = None) -> Any:
    with time_machine.travel(AT, tick=False):
        return client.get(path) if method == "get" else client.post(path, body)


def bodies(client: ApiClient, reference: str) -> set[str]:
    threads = call(client, "get", f"/cases/{reference}/threads").json()
    return {m["body"] for t in threads for m in t["messages"]}


def test_each_party_reads_only_its_own_thread(world) -> None:
    ref = world["reference"]
    assert (
        call(
            world["consumer"],
            "post",
            f"/cases/{ref}/threads/complainant/messages",
            {"body": "They ignored me."},
        ).status_code
        == 201
    )
    assert (
        call(
            world["practice"],
            "post",
            f"/cases/{ref}/threads/respondent/messages",
            {"body": "Our records show two visits."},
        ).status_code
        == 201
    )
    assert bodies(world["consumer"], ref) == {"They ignored me."}
    assert bodies(world["practice"], ref) == {"Our records show two visits."}
    assert bodies(world["handler"], ref) == {"They ignored me.", "Our records show two visits."}
    # Nobody writes in the other party's thread.
    refused = call(
        world["consumer"], "post", f"/cases/{ref}/threads/respondent/messages", {"body": "x"}
    )
    assert refused.status_code == 403
    # A representative of another business does not see the case at all.
    assert call(world["stranger"], "get", f"/cases/{ref}/threads").status_code == 404


def test_the_handler_relays_as_written_or_edited_and_the_original_stays_sealed(world) -> None:
    ref = world["reference"]
    original = call(
        world["consumer"],
        "post",
        f"/cases/{ref}/threads/complainant/messages",
        {"body": "I want a refund of £120, they were rude."},
    ).json()
    copy = call(
        world["handler"],
        "post",
        f"/cases/{ref}/relay",
        {"message_id": original["id"], "body": "The consumer asks for a refund of £120."},
    ).json()
    assert (copy["party"], copy["relayed"], copy["relay_edited"]) == ("respondent", True, True)
    assert bodies(world["practice"], ref) == {"The consumer asks for a refund of £120."}
    assert "they were rude" not in " ".join(bodies(world["practice"], ref))
    assert Message.objects.get(pk=copy["id"]).relayed_from_id == original["id"]
    as_written = call(
        world["handler"], "post", f"/cases/{ref}/relay", {"message_id": original["id"]}
    ).json()
    assert as_written["relay_edited"] is False
    # Parties cannot relay.
    assert (
        call(
            world["consumer"], "post", f"/cases/{ref}/relay", {"message_id": original["id"]}
        ).status_code
        == 403
    )
    relay_event = Event.objects.filter(case__reference=ref, kind="relay").first()
    assert relay_event is not None
    assert "refund" not in str(relay_event.data)  # events say that, never what


def test_consent_is_signed_with_name_tick_time_address_and_text_hash(world) -> None:
    ref = world["reference"]
    form = call(world["consumer"], "get", f"/cases/{ref}/consent-form").json()
    unticked = call(
        world["consumer"],
        "post",
        f"/cases/{ref}/consent",
        {"form_version": form["version"], "typed_name": "Alex Morgan", "ticked": False},
    )
    assert (unticked.status_code, unticked.json()["field"]) == (422, "ticked")
    by_staff = call(
        world["handler"],
        "post",
        f"/cases/{ref}/consent",
        {"form_version": form["version"], "typed_name": "Alex Morgan", "ticked": True},
    )
    assert by_staff.status_code == 403
    signed = call(
        world["consumer"],
        "post",
        f"/cases/{ref}/consent",
        {"form_version": form["version"], "typed_name": "  Alex   Morgan ", "ticked": True},
    )
    assert signed.status_code == 201, signed.content
    consent = Consent.objects.get()
    assert (consent.typed_name, consent.ticked, consent.ip_address) == (
        "Alex Morgan",
        True,
        "127.0.0.1",
    )
    assert consent.text_sha256 == form["text_sha256"]
    assert consent.signed_at == AT


def test_records_cannot_be_requested_without_valid_consent(world) -> None:
    ref = world["reference"]
    request = {"what": "Optical records for 2026", "due_on": "2026-12-15"}
    refused = call(world["handler"], "post", f"/cases/{ref}/records-requests", request)
    assert refused.status_code == 409
    assert "consent" in refused.json()["message"]
    form = call(world["consumer"], "get", f"/cases/{ref}/consent-form").json()
    call(
        world["consumer"],
        "post",
        f"/cases/{ref}/consent",
        {"form_version": form["version"], "typed_name": "Alex Morgan", "ticked": True},
    )
    assert (
        call(world["handler"], "post", f"/cases/{ref}/records-requests", request).status_code == 201
    )
    assert (
        call(
            world["consumer"],
            "post",
            f"/cases/{ref}/consent/withdraw",
            {"reason": "Changed my mind"},
        ).status_code
        == 200
    )
    again = call(world["handler"], "post", f"/cases/{ref}/records-requests", request)
    assert again.status_code == 409


def test_the_respondent_is_reminded_of_records_once_before_they_are_due(world) -> None:
    from django.core import mail

    from accord.cases.sweep import sweep_once
    from accord.mediation.models import RecordsRequest
    from accord.mediation.records import notify_records_reminders

    ref = world["reference"]
    form = call(world["consumer"], "get", f"/cases/{ref}/consent-form").json()
    call(
        world["consumer"],
        "post",
        f"/cases/{ref}/consent",
        {"form_version": form["version"], "typed_name": "Alex Morgan", "ticked": True},
    )
    call(
        world["handler"],
        "post",
        f"/cases/{ref}/records-requests",
        {"what": "Optical records for 2026", "due_on": "2026-12-15"},
    )
    assert sweep_once(london(2026, 12, 12, 9)).records_reminded == 0
    assert sweep_once(london(2026, 12, 13, 9)).records_reminded == 1  # two days before
    assert sweep_once(london(2026, 12, 14, 9)).records_reminded == 0  # once only
    request = RecordsRequest.objects.get()
    # Nobody holds the case: no staff reminder. The business is told in its notice.
    assert notify_records_reminders.call([request.pk]) == 0
    from accord.notifications.tasks import fold_notices
    from accord.outbox.delivery import deliver_pending

    fold_notices.call(request.case_id)
    deliver_pending()  # the e-mail goes through the outbox
    [to_business] = [m for m in mail.outbox if "practice@brightview.example" in m.to]
    assert "A reminder: the records we asked for (Optical records for 2026)" in to_business.body
    assert "alex@example.com" not in to_business.to
    reminders = Event.objects.filter(
        case__reference=ref, kind="records_requested", data__reminder=True
    )
    assert reminders.count() == 1
