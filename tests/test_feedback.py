"""Feedback through the API: once a mediation case closes, the sweep invites each party
once; each rates the service 1-5 and comments, once, for its own side; answers are
stored per party for reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import mail
from django_tasks_db.models import DBTaskResult

from accord.cases.models import Case, Event
from accord.cases.sweep import sweep_once
from accord.mediation import feedback
from accord.mediation.models import Feedback
from accord.notifications.tasks import fold_notices
from accord.organisations.models import Organisation
from accord.outbox.models import OutboundMessage
from accord.outbox.threads import thread_root
from tests.conftest import london
from tests.test_proposals import call, make_world

pytestmark = pytest.mark.django_db

CLOSED = london(2026, 12, 3, 10)
LATER = london(2026, 12, 4, 10)


@pytest.fixture
def world(occs, staff) -> dict[str, Any]:
    return make_world(occs, staff)


def withdraw(world: dict[str, Any], when: dt.datetime = CLOSED) -> None:
    """The case closes with an outcome the business is told of: no agreement, and the
    consumer accepts the practice's response."""
    with time_machine.travel(when - dt.timedelta(minutes=5), tick=False):
        offered = world["handler"].step(world["reference"], "record_no_agreement")
    assert offered.status_code == 200, offered.content
    with time_machine.travel(when, tick=False):
        response = world["consumer"].step(world["reference"], "accept_practice_response")
    assert response.status_code == 200, response.content


def test_the_business_is_not_asked_for_feedback_on_an_outcome_it_is_not_told(world) -> None:
    with time_machine.travel(CLOSED, tick=False):
        referred = world["handler"].step(
            world["reference"], "refer_to_regulator", reason="A safeguarding concern."
        )
    assert referred.status_code == 200, referred.content
    assert sweep_once(CLOSED + dt.timedelta(minutes=1)).feedback_invited == 1
    rows = Feedback.objects.filter(case__reference=world["reference"])
    assert [f.party for f in rows] == ["complainant"]
    practice_view = call(world["practice"], LATER, "get", f"/cases/{world['reference']}")
    assert practice_view.status_code == 200
    shown = practice_view.json()
    assert (shown["stage_label"], shown["outcome"]) == ("Closed", None)
    assert "regulator" not in practice_view.content.decode()
    assert (
        call(world["practice"], LATER, "get", f"/cases/{world['reference']}/feedback").json() == []
    )


def give(world: dict[str, Any], who: str, party: str, body: dict[str, Any]) -> Any:
    return call(world[who], LATER, "post", f"/cases/{world['reference']}/feedback/{party}", body)


def test_closure_invites_both_parties_once(world) -> None:
    # An open case is not invited.
    assert sweep_once(london(2026, 12, 2, 10)).feedback_invited == 0
    withdraw(world)
    assert sweep_once(CLOSED - dt.timedelta(seconds=1)).feedback_invited == 0
    assert sweep_once(CLOSED + dt.timedelta(minutes=1)).feedback_invited == 1
    rows = Feedback.objects.filter(case__reference=world["reference"]).order_by("party")
    assert [(f.party, f.invited_at, f.answered_at) for f in rows] == [
        ("complainant", CLOSED + dt.timedelta(minutes=1), None),
        ("respondent", CLOSED + dt.timedelta(minutes=1), None),
    ]
    assert sweep_once(LATER).feedback_invited == 0
    event = Event.objects.get(case__reference=world["reference"], kind="feedback")
    assert event.data == {"invited": ["complainant", "respondent"]}
    # Each invited party is told by the case's notices, as of anything else: one e-mail
    # with what else the window holds, in its own thread, linking to its own page.
    case = Case.objects.get(reference=world["reference"])
    with time_machine.travel(LATER, tick=False):
        fold_notices.call(case.pk)
    told = OutboundMessage.objects.filter(case=case, purpose__startswith="notice:")
    invitations = [m for m in told if "1 (poor) to 5 (excellent)" in m.text]
    practice = case.respondent
    assert sorted(tuple(m.to) for m in invitations) == sorted(
        [("alex@example.com",), tuple(sorted({practice.email, "rep@practice.example"}))]
    )
    for invitation in invitations:
        party = "complainant" if "alex@example.com" in invitation.to else "respondent"
        assert invitation.purpose == f"notice:{party}"
        assert invitation.headers["References"] == thread_root(case.pk, party)
        assert invitation.headers["Auto-Submitted"] == "auto-generated"
        assert invitation.html
        own_page = "/my/link/" if party == "complainant" else f"/my/cases/{case.reference}/"
        assert own_page in invitation.text
    assert not DBTaskResult.objects.filter(task_path__endswith="send_feedback_invitations")
    # Folding again tells nobody twice.
    with time_machine.travel(LATER, tick=False):
        fold_notices.call(case.pk)
    assert OutboundMessage.objects.filter(case=case, purpose__startswith="notice:").count() == (
        told.count()
    )
    from accord.outbox.delivery import deliver_pending

    mail.outbox.clear()
    with time_machine.travel(LATER, tick=False):
        deliver_pending()  # the e-mails go through the outbox
    assert sum("1 (poor) to 5 (excellent)" in m.body for m in mail.outbox) == 2


def test_a_closure_long_past_is_not_invited(world) -> None:
    withdraw(world)
    assert sweep_once(CLOSED + feedback.INVITE_WITHIN + dt.timedelta(days=1)).feedback_invited == 0


def test_feedback_is_given_once_per_party_with_a_rating_from_1_to_5(world) -> None:
    # Before the case closes there is nothing to answer.
    early = give(world, "consumer", "complainant", {"rating": 4})
    assert early.status_code == 409
    withdraw(world)
    sweep_once(CLOSED + dt.timedelta(minutes=1))
    for rating in (6, 0, -1):
        refused = give(world, "consumer", "complainant", {"rating": rating})
        assert (refused.status_code, refused.json()["field"]) == (422, "rating"), rating
    assert give(world, "consumer", "complainant", {"rating": "five"}).status_code == 422
    # Each party answers for its own side only; staff do not answer for a party.
    assert give(world, "consumer", "respondent", {"rating": 1}).status_code == 403
    assert give(world, "practice", "complainant", {"rating": 1}).status_code == 403
    assert give(world, "handler", "complainant", {"rating": 5}).status_code == 403
    assert give(world, "stranger", "respondent", {"rating": 5}).status_code == 404
    given = give(
        world, "consumer", "complainant", {"rating": 4, "comment": "  Helpful and quick.  "}
    )
    assert given.status_code == 201, given.content
    assert (given.json()["rating"], given.json()["comment"]) == (4, "Helpful and quick.")
    second = give(world, "consumer", "complainant", {"rating": 5})
    assert second.status_code == 409
    assert "already" in second.json()["message"]
    assert give(world, "practice", "respondent", {"rating": 3}).status_code == 201
    stored = {f.party: f.rating for f in Feedback.objects.all()}
    assert stored == {"complainant": 4, "respondent": 3}
    # Staff read both; a party reads its own.
    path = f"/cases/{world['reference']}/feedback"
    assert [r["party"] for r in call(world["handler"], LATER, "get", path).json()] == [
        "complainant",
        "respondent",
    ]
    assert [r["party"] for r in call(world["practice"], LATER, "get", path).json()] == [
        "respondent"
    ]
    # The event says that feedback was given, never what it said.
    answered = Event.objects.filter(case__reference=world["reference"], kind="feedback")
    assert [e.data for e in answered][1:] == [
        {"answered": "complainant"},
        {"answered": "respondent"},
    ]


def test_reports_read_feedback_per_party(world, occs) -> None:
    withdraw(world)
    sweep_once(CLOSED + dt.timedelta(minutes=1))
    give(world, "consumer", "complainant", {"rating": 5, "comment": "Good."})
    rows = list(feedback.report_rows(occs.pk))
    assert [(r.case.reference, r.party, r.rating, r.comment) for r in rows] == [
        (world["reference"], "complainant", 5, "Good.")
    ]
    assert list(feedback.report_rows(occs.pk, closed_from=LATER)) == []
    assert feedback.summary(occs.pk) == {
        "complainant": {"invited": 1, "answered": 1, "average_rating": 5.0},
        "respondent": {"invited": 1, "answered": 0, "average_rating": None},
    }


def test_invitations_follow_the_procedure_that_mediates_not_the_organisations_kind(
    world, occs
) -> None:
    """Whether a closed case invites feedback is its procedure's (the version it is
    pinned to declares that it mediates), whatever kind of organisation runs it."""
    withdraw(world)
    case = Case.objects.get(reference=world["reference"])
    pinned = (case.procedure_key, case.procedure_version)
    Case.objects.filter(pk=case.pk).update(procedure_key="fca-disp", procedure_version=1)
    assert sweep_once(CLOSED + dt.timedelta(minutes=1)).feedback_invited == 0  # it does not
    Case.objects.filter(pk=case.pk).update(procedure_key="no-such-procedure")
    assert sweep_once(CLOSED + dt.timedelta(minutes=2)).feedback_invited == 0  # nor this
    Case.objects.filter(pk=case.pk).update(procedure_key=pinned[0], procedure_version=pinned[1])
    Organisation.objects.filter(pk=occs.pk).update(kind="in_house")
    assert sweep_once(CLOSED + dt.timedelta(minutes=3)).feedback_invited == 1
