"""Every change is one event in an append-only timeline, written in the same
transaction; clocks can always be recomputed from it."""

from __future__ import annotations

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accord.cases import actions, engine
from accord.cases.choices import Channel
from accord.cases.clocks import clock_rows, clocks_of, project_events
from accord.cases.errors import ActionRefused
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import AppendOnlyError, Case, Clock, Event
from accord.cases.timeline import append_event, events_of
from accord.organisations.calendar import calendar_for
from accord.workdays.deadlines import Unit
from tests.conftest import london

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_and_handler(ocasa, staff):
    handler = staff("ocasa", "handler")
    complaint = Complaint(
        complainant=ComplainantDetails(name="Robin", email="robin@example.com"),
        description="The boiler has been broken for a month.",
        channel=Channel.EMAIL,
    )
    case, _ = receive_complaint(ocasa, complaint, now=london(2026, 12, 24, 10, 0))
    return case, handler


def test_an_event_cannot_be_edited_or_deleted_through_the_orm(case_and_handler):
    case, _ = case_and_handler
    event = Event.objects.get(case=case)
    event.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(case=case).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        Event.objects.filter(case=case).delete()


def test_the_database_refuses_to_edit_or_delete_an_event(case_and_handler):
    case, _ = case_and_handler
    table = Event._meta.db_table
    update = f"UPDATE {table} SET reason = 'rewritten' WHERE case_id = %s"  # noqa: S608
    delete = f"DELETE FROM {table} WHERE case_id = %s"  # noqa: S608
    for statement, refusal in ((update, "never edited"), (delete, "never deleted")):
        with (
            pytest.raises(DatabaseError, match=refusal),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [case.pk])
    assert Event.objects.filter(case=case).count() == 1


def test_each_action_writes_exactly_one_event_in_sequence(case_and_handler):
    case, handler = case_and_handler
    now = london(2026, 12, 29, 9, 0)
    actions.assign(case.pk, handler, handler=handler, now=now)
    engine.take_step(case.pk, handler, "acknowledge", engine.StepRequest(), now=now)
    actions.add_note(case.pk, handler, "Called the tenant.", now=now)
    actions.set_flags(case.pk, handler, {"vulnerable": True}, reason="Elderly tenant", now=now)
    events = list(Event.objects.filter(case=case).order_by("seq"))
    # The step sends its acknowledgement letter: its own event, in the step's transaction.
    assert [e.seq for e in events] == [1, 2, 3, 4, 5, 6]
    assert [e.kind for e in events] == [
        "received",
        "assigned",
        "transition",
        "letter_sent",
        "note",
        "flags_changed",
    ]
    acknowledged = events[2]
    assert (acknowledged.from_stage, acknowledged.to_stage) == (
        "stage1_received",
        "stage1_resolution",
    )
    assert acknowledged.actor == handler
    assert acknowledged.actor_role == "handler"
    assert Case.objects.get(pk=case.pk).event_count == 6


def test_a_cases_events_and_clocks_are_read_once_with_their_actors(case_and_handler):
    case, handler = case_and_handler
    now = london(2026, 12, 29, 9, 0)
    actions.assign(case.pk, handler, handler=handler, now=now)
    actions.add_note(case.pk, handler, "Called the tenant.", now=now)
    case = Case.objects.get(pk=case.pk)
    with CaptureQueriesContext(connection) as read:
        events = events_of(case)
        clocks = clocks_of(case)
    assert len(read.captured_queries) == 3  # events, their actors, clocks
    with CaptureQueriesContext(connection) as again:
        assert [e.kind for e in events_of(case)] == ["received", "assigned", "note"]
        assert [e.actor for e in events] == [None, handler, handler]
        assert all(e.case is case for e in events)
        assert all(c.case is case for c in clocks)
        assert [c.key for c in clocks_of(case)] == [c.key for c in clocks]
        assert case.events.count() == 3  # the relation answers from what was read
    assert again.captured_queries == []
    events_of(case).clear()  # a reader's list is its own
    assert len(events_of(case)) == 3

    # Appending through the case object reads the timeline afresh next time.
    with transaction.atomic():
        Case.objects.select_for_update().get(pk=case.pk)
        append_event(case, kind="note", at=now, actor=handler, reason="Rang again.")
        case.save()
    assert [e.reason for e in events_of(case)][-1] == "Rang again."


def test_a_refused_action_changes_nothing(case_and_handler):
    case, handler = case_and_handler
    before = Case.objects.get(pk=case.pk)
    with pytest.raises(ActionRefused):
        engine.take_step(
            case.pk, handler, "conclude_stage2", engine.StepRequest(), now=london(2026, 12, 29)
        )
    after = Case.objects.get(pk=case.pk)
    assert Event.objects.filter(case=case).count() == 1
    assert (after.stage, after.event_count, after.next_deadline_at) == (
        before.stage,
        before.event_count,
        before.next_deadline_at,
    )


def test_stored_clocks_equal_a_replay_of_the_timeline(case_and_handler, staff):
    case, handler = case_and_handler
    senior = staff("ocasa", "senior_handler")
    actions.assign(case.pk, handler, handler=handler, now=london(2026, 12, 29, 9))
    for step in ("acknowledge", "send_stage1_response", "request_stage2"):
        engine.take_step(case.pk, handler, step, engine.StepRequest(), now=london(2026, 12, 30, 9))
    actions.assign(case.pk, senior, handler=senior, now=london(2026, 12, 30, 10))
    engine.take_step(
        case.pk, senior, "acknowledge_stage2", engine.StepRequest(), now=london(2026, 12, 30, 11)
    )
    case = Case.objects.select_related("organisation").get(pk=case.pk)
    stored = {c.key: c for c in Clock.objects.filter(case=case)}
    calendar = calendar_for(case.organisation)
    replayed = project_events(
        Event.objects.filter(case=case).order_by("seq"), engine.procedure_of(case), calendar
    )
    fresh, _ = clock_rows(case, replayed, calendar, existing={})
    assert {c.key for c in fresh} == set(stored)
    for clock in fresh:
        row = stored[clock.key]
        assert (row.status, row.started_at, row.stopped_at, row.due_at, row.explanation) == (
            clock.status,
            clock.started_at,
            clock.stopped_at,
            clock.due_at,
            clock.explanation,
        )


def test_a_pause_moves_the_due_date_by_the_paused_working_days(occs, staff):
    handler = staff("occs", "handler")
    complaint = Complaint(
        complainant=ComplainantDetails(name="Kim"),
        description="Frames broke within a week.",
        channel=Channel.WEB_FORM,
        respondent_id=occs.businesses.order_by("pk").first().pk,
    )
    case, _ = receive_complaint(occs, complaint, now=london(2026, 3, 2, 9))
    for step in ("confirm_complaint", "accept_for_mediation"):
        engine.take_step(case.pk, handler, step, engine.StepRequest(), now=london(2026, 3, 2, 10))
    # 45 calendar days from Monday 2 March 2026: Thursday 16 April.
    assert Clock.objects.get(case=case, key="agreement").explanation["due_date"] == "2026-04-16"
    actions.pause_clock(
        case.pk,
        handler,
        "agreement",
        reason="Awaiting the signed consent form",
        now=london(2026, 3, 2, 11),
    )
    paused = Clock.objects.get(case=case, key="agreement")
    # Paused: no due date is shown and nothing is due; the last due instant is kept
    # so that a pause and resume on the same day changes nothing.
    assert (paused.status, paused.explanation["due_date"]) == ("paused", None)
    # The acknowledgement clock has stopped and the agreement clock is paused: nothing is due.
    assert Case.objects.get(pk=case.pk).next_deadline_at is None
    actions.resume_clock(
        case.pk, handler, "agreement", reason="Consent received", now=london(2026, 3, 9, 11)
    )
    resumed = Clock.objects.get(case=case, key="agreement")
    # Paused from 2 to 9 March: 7 calendar days later, Thursday 23 April.
    assert resumed.explanation["due_date"] == "2026-04-23"
    assert any("Awaiting the signed consent form" in line for line in resumed.explanation["lines"])


def test_clocks_that_the_procedure_does_not_let_staff_pause_or_extend_are_refused(case_and_handler):
    case, handler = case_and_handler
    with pytest.raises(ActionRefused, match="does not allow"):
        actions.pause_clock(
            case.pk, handler, "stage1_acknowledgement", reason="Busy", now=london(2026, 12, 28)
        )
    with pytest.raises(ActionRefused, match="does not allow"):
        actions.extend_clock(
            case.pk,
            handler,
            "stage1_acknowledgement",
            amount=2,
            unit=Unit.WORKING_DAYS,
            reason="Busy",
            now=london(2026, 12, 28),
        )
    assert Event.objects.filter(case=case).count() == 1


def test_the_api_refuses_an_extension_without_a_reason(case_and_handler, api):
    case, handler = case_and_handler
    client = api(handler)
    with time_machine.travel(london(2026, 12, 28, 9), tick=False):
        response = client.post(
            f"/cases/{case.reference}/clocks/stage1_acknowledgement",
            {"action": "extend", "amount": 2, "unit": "working_days", "reason": ""},
        )
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "reason"
