"""A period so long ago that the period before it cannot be dated is a clear error,
never a 500."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from accord.accounts.models import User
from accord.organisations.models import Organisation
from accord.reporting.periods import PeriodError, parse_period
from tests.conftest import verified_client


@pytest.mark.parametrize(
    ("first", "last"),
    [("0001-01-01", "0001-01-31"), ("0001-01-01", "0001-01-05"), ("0001-03-01", "0001-03-31")],
)
def test_the_first_years_of_the_calendar_are_refused(first: str, last: str) -> None:
    with pytest.raises(PeriodError) as refused:
        parse_period(first, last, dt.date(2026, 1, 1))
    assert refused.value.field == "from"


def test_the_pages_and_the_api_say_so(
    organisations: dict[str, Organisation], staff: Callable[[str, str], User], api
) -> None:
    manager = staff("occs", "manager")
    params = {"from": "0001-01-01", "to": "0001-01-31"}
    response = api(manager).get("/reports/annual", **params)
    assert response.status_code == 422
    assert response.json()["field"] == "from"
    client = verified_client(manager)
    for url in ("/reports/annual/", "/reports/annual.csv", "/reports/annual.xlsx"):
        assert client.get(url, params).status_code == 400
