"""A generated data set of several years for each seed organisation, made once per test
with a fixed seed and a fixed "now"."""

from __future__ import annotations

import datetime as dt

import pytest

from accord.organisations.models import Organisation
from accord.reporting.synthetic import Plan, generate
from tests.conftest import london

NOW = london(2026, 11, 20, 12, 0)


@pytest.fixture
def generated(organisations: dict[str, Organisation]) -> dict[str, Organisation]:
    plans = [
        Plan(organisations["occs"], 160, years=3),
        Plan(organisations["optimised"], 80, years=3),
        Plan(organisations["ocasa"], 80, years=3),
    ]
    generate(plans, NOW, seed=7)
    return organisations


def today() -> dt.date:
    return NOW.date()
