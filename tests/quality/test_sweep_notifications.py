"""The deadline sweep tells an overdue action's owner once, and the managers once per
procedure review falling due; repeated and restarted passes send nothing more."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accord.cases.sweep import sweep_once
from accord.outbox.models import OutboundMessage
from accord.quality.models import CorrectiveAction, ReviewReminder
from tests.conftest import ApiClient, london, verified_client
from tests.quality.conftest import RECEIVED, once, put, receive

pytestmark = pytest.mark.django_db


def open_action(manager, owner, due_on: str, *references: str) -> int:
    with time_machine.travel(RECEIVED, tick=False):
        response = ApiClient(manager).post(
            "/quality/actions",
            {
                "what": "Fix the checklist.",
                "owner": owner.username,
                "due_on": due_on,
                "cases": list(references),
            },
        )
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def overdue_mail() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(purpose="corrective_action_overdue"))


def test_an_overdue_action_is_notified_to_its_owner_once(seeded, staff):
    case = receive("optimised")
    manager, owner = staff("optimised", "manager"), staff("optimised", "handler")
    action_id = open_action(manager, owner, "2026-12-04", case.reference)

    # Due by the end of Friday 4 December: not overdue on the day itself.
    assert sweep_once(london(2026, 12, 4, 23, 59)).actions_overdue == 0
    assert sweep_once(london(2026, 12, 5, 0, 1)).actions_overdue == 1
    assert sweep_once(london(2026, 12, 5, 0, 2)).actions_overdue == 0
    assert sweep_once(london(2026, 12, 9)).actions_overdue == 0

    [mail] = overdue_mail()
    assert mail.to == [owner.email]
    assert f"#{action_id}" in mail.subject
    assert case.reference in mail.text
    assert CorrectiveAction.objects.get(pk=action_id).overdue_notified_at is not None


def test_a_restarted_sweep_does_not_repeat_the_e_mail(seeded, staff):
    manager, owner = staff("optimised", "manager"), staff("optimised", "handler")
    action_id = open_action(manager, owner, "2026-12-04")
    sweep_once(london(2026, 12, 7))
    # As if a sweeper died after queueing but the claim were lost: the Message-ID per
    # action keeps the outbox to one e-mail.
    CorrectiveAction.objects.filter(pk=action_id).update(overdue_notified_at=None)
    sweep_once(london(2026, 12, 7, 0, 1))
    assert len(overdue_mail()) == 1


def test_completed_or_future_actions_are_not_notified(seeded, staff):
    manager, owner = staff("optimised", "manager"), staff("optimised", "handler")
    done = open_action(manager, owner, "2026-12-04")
    open_action(manager, owner, "2027-01-04")
    with time_machine.travel(RECEIVED, tick=False):
        ApiClient(owner).post(f"/quality/actions/{done}/progress", {"status": "completed"})
    assert sweep_once(london(2026, 12, 7)).actions_overdue == 0
    assert overdue_mail() == []


def test_the_log_highlights_overdue_actions(seeded, staff):
    case = receive("optimised")
    manager, owner = staff("optimised", "manager"), staff("optimised", "handler")
    open_action(manager, owner, "2026-12-04", case.reference)
    with time_machine.travel(london(2026, 12, 7, 9), tick=False):
        page = verified_client(manager).get("/quality/").content.decode()
        overdue = ApiClient(manager).get("/quality/log", show="overdue").json()
        actions = ApiClient(manager).get("/quality/actions", show="overdue").json()
    assert "Overdue corrective actions" in page
    assert 'class="overdue"' in page
    assert [e["reference"] for e in overdue["results"]] == [case.reference]
    assert overdue["counts"]["overdue"] == 1
    assert actions["results"][0]["overdue"] is True


# Procedure reviews. Optimised's table was last reviewed on 2 December 2026, every
# 12 months: due by 2 December 2027, reminded from 30 days before.


def review_mail() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(purpose="procedure_review_due"))


def test_the_managers_are_reminded_once_when_the_review_falls_due(seeded, staff):
    managers = [staff("optimised", "manager"), staff("optimised", "manager")]
    staff("optimised", "handler")
    assert sweep_once(london(2027, 11, 1, 9)).reviews_reminded == 0
    reminded = sweep_once(london(2027, 11, 2, 9)).reviews_reminded
    # Optimised, and the other seed organisations (no managers: the reminder is recorded).
    assert reminded == 3
    assert sweep_once(london(2027, 11, 3, 9)).reviews_reminded == 0
    assert sweep_once(london(2027, 12, 10, 9)).reviews_reminded == 0
    mails = review_mail()
    assert sorted(m.to[0] for m in mails) == sorted(m.email for m in managers)
    assert all("2 December 2027" in m.subject for m in mails)
    assert ReviewReminder.objects.filter(
        organisation__slug="optimised", due_on=dt.date(2027, 12, 2)
    ).exists()


def test_recording_a_review_moves_the_next_one_on(seeded, staff):
    manager = staff("optimised", "manager")
    sweep_once(london(2027, 11, 10, 9))
    with time_machine.travel(london(2027, 11, 20, 10), tick=False):
        response = verified_client(manager).post(
            "/quality/procedures/",
            once(
                version="2.1",
                author="Ria Green",
                review_date="2027-11-20",
                approved_by="James Wood",
                summary="Annual review: no changes.",
            ),
        )
        page = verified_client(manager).get("/quality/procedures/").content.decode()
    assert response.status_code == 302
    assert "Annual review: no changes." in page
    assert "20 November 2028" in page
    assert sweep_once(london(2028, 10, 21, 9)).reviews_reminded == 1
    assert len(review_mail()) == 2


@pytest.mark.parametrize(
    ("review_date", "message"),
    [("2027-13-01", "Enter a valid date"), ("2099-01-01", "cannot be in the future")],
)
def test_a_review_with_a_bad_date_is_refused(seeded, staff, review_date, message):
    manager = staff("optimised", "manager")
    with time_machine.travel(london(2027, 11, 20, 10), tick=False):
        response = verified_client(manager).post(
            "/quality/procedures/",
            once(version="2.1", author="A", review_date=review_date, summary="x"),
        )
    assert response.status_code == 200
    assert message in response.content.decode()


def test_only_quality_keepers_record_reviews(seeded, staff):
    handler = staff("optimised", "handler")
    with time_machine.travel(london(2027, 11, 20, 10), tick=False):
        page = verified_client(handler).get("/quality/procedures/")
        refused = verified_client(handler).post(
            "/quality/procedures/",
            once(version="9", author="A", review_date="2027-11-01", summary="x"),
        )
        api = ApiClient(handler).post(
            "/quality/procedure/revisions",
            {"version": "9", "author": "A", "review_date": "2027-11-01", "summary": "x"},
        )
    assert page.status_code == 200
    assert "Ria Green" in page.content.decode()
    assert refused.status_code == 403
    assert api.status_code == 403


def test_a_retried_review_is_recorded_once_and_says_so(seeded, staff):
    manager = staff("optimised", "manager")
    sent = once(version="2.1", author="Ria Green", review_date="2027-11-20", summary="No changes.")
    with time_machine.travel(london(2027, 11, 20, 10), tick=False):
        client = verified_client(manager)
        first = client.post("/quality/procedures/", sent)
        again = client.post("/quality/procedures/", sent, follow=True)
    assert first.status_code == 302
    assert again.status_code == 200
    html = again.content.decode()
    assert "already sent" in html
    assert "already in the table" not in html


def test_an_action_overdue_again_after_its_due_date_moved_is_notified_again(seeded, staff):
    manager, owner = staff("optimised", "manager"), staff("optimised", "handler")
    action_id = open_action(manager, owner, "2026-12-04")
    assert sweep_once(london(2026, 12, 7)).actions_overdue == 1
    with time_machine.travel(london(2026, 12, 7, 10), tick=False):
        moved = put(
            ApiClient(manager),
            f"/quality/actions/{action_id}",
            {"what": "Fix the checklist.", "owner": owner.username, "due_on": "2026-12-11"},
        )
    assert moved.status_code == 200, moved.content
    assert sweep_once(london(2026, 12, 11, 23)).actions_overdue == 0
    assert sweep_once(london(2026, 12, 12, 0, 1)).actions_overdue == 1
    assert len(overdue_mail()) == 2
    assert "11 December 2026" in overdue_mail()[-1].text
