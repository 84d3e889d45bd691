"""When an organisation's calendar changes, every open case's due dates follow."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from accord.accounts.models import User
from accord.cases.choices import Channel
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Clock
from accord.cases.recompute import recompute_after_calendar_change
from tests.conftest import london, verified_client

pytestmark = pytest.mark.django_db


def test_a_closure_day_added_in_the_admin_moves_open_cases_due_dates(client, ocasa):
    complaint = Complaint(
        complainant=ComplainantDetails(name="Jo"), description="x", channel=Channel.EMAIL
    )
    case = receive_complaint(ocasa, complaint, now=london(2026, 12, 1, 10))[0]
    clock = Clock.objects.get(case=case)
    assert clock.explanation["due_date"] == "2026-12-03"  # Tue 1 + 2 working days
    client = verified_client(User.objects.create_superuser("root", "root@example.com", "pw"))
    page = client.get(f"/admin/organisations/organisation/{ocasa.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, (list, dict))
    }
    data |= {
        "closing_time": "17:00",
        "teams-TOTAL_FORMS": "0",
        "teams-INITIAL_FORMS": "0",
        "closure_days-TOTAL_FORMS": "1",
        "closure_days-INITIAL_FORMS": "0",
        "closure_days-0-date": "2026-12-02",
        "closure_days-0-name": "Office move",
        "external_bodies-TOTAL_FORMS": "0",
        "external_bodies-INITIAL_FORMS": "0",
    }
    data["external_bodies-INITIAL_FORMS"] = "0"
    response = client.post(f"/admin/organisations/organisation/{ocasa.pk}/change/", data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else ""
    )
    queued = DBTaskResult.objects.get(task_path__endswith="recompute_after_calendar_change")
    recompute_after_calendar_change.call(*queued.args_kwargs["args"])
    clock.refresh_from_db()
    assert clock.explanation["due_date"] == "2026-12-04"
    assert any("Closure: Office move" in line for line in clock.explanation["lines"])
    assert ocasa.closure_days.get().date == dt.date(2026, 12, 2)
