"""The quality tests' set-up: the seed organisations with their root causes and
revision tables, as `manage.py seed_demo` loads them."""

from __future__ import annotations

import pytest

from accord.organisations.models import Organisation
from accord.quality.seed.load import load_quality


@pytest.fixture
def seeded(organisations: dict[str, Organisation]) -> dict[str, Organisation]:
    load_quality(list(organisations.values()))
    return organisations
