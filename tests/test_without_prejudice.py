"""What is said in mediation is without prejudice and never leaves it: not in the
reasons that go into letters (a referral to the regulator, a conclusion, a
signposting), nor in the e-mails Accord sends, nor in the timeline."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core import mail

from accord.accounts.models import User
from accord.cases.models import Case, Event
from accord.cases.sweep import sweep_once
from accord.cases.tasks import send_receipt_notice
from accord.mediation.confidentiality import without_prejudice_passages
from accord.mediation.models import Message
from tests.conftest import ApiClient, complaint_body, london, open_to_business

pytestmark = pytest.mark.django_db
AT = london(2026, 12, 1, 10)
SAID = "Off the record we accept the frames were faulty and would pay £80 to settle."


@pytest.fixture
def mediated(occs, staff) -> dict[str, Any]:
    practice = occs.businesses.order_by("pk").first()
    with time_machine.travel(AT, tick=False):
        reference = (
            ApiClient()
            .post("/organisations/occs/complaints", complaint_body(respondent_id=practice.pk))
            .json()["reference"]
        )
    rep = ApiClient(User.objects.create_user("rep", business=practice))
    open_to_business(reference, staff("occs", "handler"), AT)
    with time_machine.travel(AT, tick=False):
        posted = rep.post(f"/cases/{reference}/threads/respondent/messages", {"body": SAID})
    assert posted.status_code == 201
    return {"reference": reference, "manager": ApiClient(staff("occs", "manager"))}


def test_every_mediation_message_is_labelled_without_prejudice(mediated) -> None:
    assert Message.objects.get().without_prejudice is True


def test_a_regulator_referral_cannot_carry_what_was_said(mediated) -> None:
    ref = mediated["reference"]
    leaking = f"The practice said: {SAID.lower()}"
    with time_machine.travel(AT, tick=False):
        refused = mediated["manager"].step(ref, "refer_to_regulator", reason=leaking)
    assert refused.status_code == 409
    assert "without prejudice" in refused.json()["message"]
    assert Case.objects.get(reference=ref).is_open
    with time_machine.travel(AT, tick=False):
        fine = mediated["manager"].step(
            ref, "refer_to_regulator", reason="A safeguarding concern about a practitioner."
        )
    assert fine.status_code == 200


def test_rewrapping_or_recasing_the_passage_does_not_get_it_out(mediated) -> None:
    case = Case.objects.get(reference=mediated["reference"])
    assert without_prejudice_passages(case, "we ACCEPT the frames\nwere faulty, and would")
    assert not without_prejudice_passages(
        case, "the frames were faulty"
    )  # too short to be a passage


def test_the_timeline_and_the_emails_never_carry_it(mediated, staff) -> None:
    case = Case.objects.get(reference=mediated["reference"])
    for event in Event.objects.filter(case=case):
        assert "faulty" not in f"{event.reason} {event.data}"
    send_receipt_notice.call(case.pk)
    handler = staff("occs", "handler")
    case.handler = handler
    case.save()
    sweep_once(london(2026, 12, 10))
    from accord.cases.tasks import send_clock_notice

    send_clock_notice(case.pk, "acknowledgement", "breached")
    from accord.outbox.delivery import deliver_pending

    deliver_pending()  # the e-mails go through the outbox
    assert mail.outbox
    for message in mail.outbox:
        assert "faulty" not in f"{message.subject} {message.body}"
