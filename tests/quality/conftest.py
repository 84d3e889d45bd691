"""The quality tests' set-up: the seed organisations with their root causes and
revision tables, as `manage.py seed_demo` loads them."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import pytest
import time_machine

from accord.cases.models import Case, Event
from accord.organisations.models import Organisation
from accord.quality.seed.load import load_quality
from tests.conftest import ApiClient, complaint_body, london


@pytest.fixture
def seeded(organisations: dict[str, Organisation]) -> dict[str, Organisation]:
    load_quality(list(organisations.values()))
    return organisations


RECEIVED = london(2026, 12, 1, 10)  # Tuesday 1 December 2026, before closing time


def receive(slug: str = "optimised", at: dt.datetime = RECEIVED, **overrides: Any) -> Case:
    """A complaint submitted through the public intake API, as the public does."""
    with time_machine.travel(at, tick=False):
        response = ApiClient().post(
            f"/organisations/{slug}/complaints", complaint_body(**overrides)
        )
    assert response.status_code == 201, response.content
    return Case.objects.get(reference=response.json()["reference"])


def quality_events(case: Case) -> list[tuple[str, dict[str, Any]]]:
    return [(e.action, e.data) for e in Event.objects.filter(case=case, kind="quality")]


def put(client: ApiClient, path: str, body: Any) -> Any:
    """PUT as the API client's user (ApiClient speaks GET and POST)."""
    return client.client.put(
        f"/api{path}", json.dumps(body), content_type="application/json", headers=client.headers
    )


def once(**data: Any) -> dict[str, Any]:
    """A form's fields with a fresh once-only submission key (`{% submission_key %}`)."""
    return {"submission_key": secrets.token_urlsafe(24), **data}
