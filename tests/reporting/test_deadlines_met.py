"""The report's "deadlines met": every clock that fell due in the period counts, and one
still running past its due instant counts as missed, even while its case stays open."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from accord.cases.models import Case
from accord.reporting.annual import annual_report
from accord.reporting.periods import Period
from tests.conftest import ApiClient, complaint_body, london

pytestmark = pytest.mark.django_db


def _complaint(when: dt.datetime) -> Case:
    with time_machine.travel(when, tick=False):
        response = ApiClient().post("/organisations/ocasa/complaints", complaint_body())
    assert response.status_code == 201, response.content
    return Case.objects.get(reference=response.json()["reference"])


def test_an_open_case_cannot_hide_a_missed_deadline(ocasa, staff) -> None:
    late = _complaint(london(2025, 3, 3, 10))  # never acknowledged: still open
    on_time = _complaint(london(2025, 3, 4, 10))
    handler = staff("ocasa", "handler")
    with time_machine.travel(london(2025, 3, 4, 11), tick=False):
        taken = ApiClient(handler).step(on_time.reference, "acknowledge")
    assert taken.status_code == 200, taken.content
    report = annual_report(ocasa, Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)))
    ack = {c.key: c for c in report.current.clocks}["stage1_acknowledgement"]
    assert (ack.due, ack.met) == (2, 1)
    assert ack.share_met == 0.5
    assert Case.objects.get(pk=late.pk).is_open
