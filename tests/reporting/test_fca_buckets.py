"""The FCA's buckets (closed within 4 weeks, 4 to 8 weeks, after 8 weeks) count UK
calendar days from the day of receipt, as the 8-week clock does (DISP 1.6.2R: "by the
end of eight weeks after its receipt"): a complaint answered on the last day of the
eight weeks is within them, and a change of the clocks does not move it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable

import pytest

from accord.accounts.models import User
from accord.cases.models import Case, CaseClosure
from accord.organisations.models import Organisation
from accord.reporting.annual import annual_report
from accord.reporting.periods import Period
from accord.reporting.synthetic import Plan, generate
from tests.conftest import london, verified_client
from tests.reporting.conftest import NOW

# (received, closed, bucket): the last day of the eight weeks, in the afternoon; and
# four weeks that run across the end of summer time (an hour longer in UTC).
CLOSINGS = [
    (london(2019, 3, 4, 10, 0), london(2019, 4, 29, 16, 0), "4 to 8 weeks"),
    (london(2019, 10, 7, 10, 0), london(2019, 11, 4, 9, 30), "within 4 weeks"),
    (london(2019, 6, 3, 10, 0), london(2019, 7, 29, 23, 59), "4 to 8 weeks"),
    (london(2019, 6, 3, 10, 0), london(2019, 7, 30, 0, 1), "over 8 weeks"),
]


@pytest.fixture
def closings(organisations: dict[str, Organisation]) -> list[Case]:
    generate([Plan(organisations["ocasa"], 12, years=1)], NOW, seed=5)
    cases = list(
        Case.objects.filter(organisation__slug="ocasa", is_open=False).order_by("pk")[
            : len(CLOSINGS)
        ]
    )
    assert len(cases) == len(CLOSINGS)
    for case, (received, closed, _) in zip(cases, CLOSINGS, strict=True):
        Case.objects.filter(pk=case.pk).update(received_at=received, closed_at=closed)
        # The report counts closures (issue 16): each case's closure row moves with it.
        CaseClosure.objects.filter(case=case).update(received_at=received, closed_at=closed)
    return cases


def test_the_report_counts_calendar_days_in_the_uk(closings: list[Case]) -> None:
    report = annual_report(
        closings[0].organisation, Period(dt.date(2019, 1, 1), dt.date(2019, 12, 31))
    )
    figures = report.current
    assert figures.closed == len(CLOSINGS)
    assert figures.closed_within_4_weeks == 1
    assert figures.closed_within_4_to_8_weeks == 2
    assert figures.closed_after_8_weeks == 1


def test_the_export_puts_each_case_in_the_same_bucket(
    closings: list[Case], staff: Callable[[str, str], User]
) -> None:
    client = verified_client(staff("ocasa", "manager"))
    response = client.get("/reports/annual.csv", {"from": "2019-01-01", "to": "2019-12-31"})
    assert response.status_code == 200
    rows = {r["case"]: r for r in csv.DictReader(io.StringIO(response.getvalue().decode()))}
    for case, (_, _, bucket) in zip(closings, CLOSINGS, strict=True):
        assert rows[case.reference]["fca_bucket"] == bucket
