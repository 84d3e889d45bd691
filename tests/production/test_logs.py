"""Structured logs: JSON lines with the request id (sent back as X-Request-ID), the user
and the case reference on every line written while a request is handled."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from accord.operations.logs import JsonFormatter, RequestContextFilter
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)


def test_every_line_of_a_request_names_it_its_user_and_case(
    json_lines: io.StringIO, staff: Any
) -> None:
    handler = staff("occs", "handler")
    client = ApiClient(handler)
    response = client.client.get(
        "/api/cases/OCC-2026-999999",
        headers={**client.headers, "X-Request-ID": "proxy-id-12345"},
    )
    assert response.status_code == 404
    assert response["X-Request-ID"] == "proxy-id-12345"
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    mine = [line for line in lines if line.get("request_id") == "proxy-id-12345"]
    assert mine, lines
    assert all(line["user"] == handler.username for line in mine)
    assert all(line["case"] == "OCC-2026-999999" for line in mine)
    assert {"time", "level", "logger", "message"} <= set(mine[0])


def test_a_request_without_an_id_gets_one(json_lines: io.StringIO, client: Any) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "bad id\\n"})
    assert len(response["X-Request-ID"]) == 32
    logging.getLogger("accord").warning("outside any request")
    last = json.loads(json_lines.getvalue().splitlines()[-1])
    assert "request_id" not in last
