"""A due date beyond the calendar's known holidays or the organisation's published
closure days is shown as provisional, with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import override_settings

from tests.conftest import ApiClient, complaint_body, london

pytestmark = pytest.mark.django_db


def acknowledgement(ocasa, staff, received: dt.datetime) -> dict:
    with time_machine.travel(received, tick=False):
        reference = (
            ApiClient()
            .post("/organisations/ocasa/complaints", complaint_body())
            .json()["reference"]
        )
        detail = ApiClient(staff("ocasa", "handler")).get(f"/cases/{reference}").json()
    return next(c for c in detail["clocks"] if c["key"] == "stage1_acknowledgement")


def test_an_organisations_unpublished_closure_days_make_the_due_date_provisional(ocasa, staff):
    ocasa.closures_published_through = dt.date(2026, 12, 31)
    ocasa.save()
    inside = acknowledgement(ocasa, staff, london(2026, 12, 21, 10))
    assert inside["detail"]["provisional"] == []
    # Thursday 31 December 2026 + 2 working days = Tuesday 5 January 2027.
    beyond = acknowledgement(ocasa, staff, london(2026, 12, 31, 10))
    assert beyond["due_date"] == "2027-01-05"
    assert beyond["detail"]["provisional"] == [
        "the organisation has published its closure days only until Thursday 31 December 2026"
    ]
    assert beyond["explanation"][-1].startswith("Provisional:")


@override_settings(ACCORD_HOLIDAYS_CONFIRMED_THROUGH=2026)
def test_holidays_beyond_the_confirmed_year_make_the_due_date_provisional(ocasa, staff):
    beyond = acknowledgement(ocasa, staff, london(2026, 12, 31, 10))
    assert beyond["detail"]["provisional"] == [
        "bank holidays are confirmed only until Thursday 31 December 2026"
    ]
