"""/healthz and /readyz as a load balancer reads them: 200 when ready, 503 with the
failing checks named when not — the sweeper or outbox silent too long, a task waiting
too long, the cache unreachable — and one WARNING line saying why, not an ERROR per
probe."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accord.operations.beats import beat
from accord.operations.choices import Loop
from tests.production.tasks import echo_task

pytestmark = pytest.mark.django_db


def _ready(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def _failing(body: dict[str, Any]) -> dict[str, str]:
    return {name: check["detail"] for name, check in body["checks"].items() if not check["ok"]}


def _loops_passed(seconds_ago: float = 0) -> None:
    at = timezone.now() - dt.timedelta(seconds=seconds_ago)
    beat(Loop.SWEEP, "sweep-test", now=at, report="1 pass")
    beat(Loop.OUTBOX, "outbox-test", now=at, report="1 pass")


def test_healthz_says_the_process_answers(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_not_ready_until_the_sweeper_and_the_outbox_have_made_a_pass(client: Client) -> None:
    status, body = _ready(client)
    assert status == 503
    assert body["status"] == "not ready"
    assert _failing(body) == {
        "sweeper": "RuntimeError: no pass recorded yet",
        "outbox": "RuntimeError: no pass recorded yet",
    }
    _loops_passed()
    status, body = _ready(client)
    assert (status, body["status"], _failing(body)) == (200, "ready", {})


@override_settings(ACCORD_READY_SWEEP_SECONDS=300)
def test_a_sweeper_silent_for_longer_than_its_limit_is_not_ready(client: Client) -> None:
    _loops_passed(seconds_ago=400)
    beat(Loop.OUTBOX, "outbox-test", now=timezone.now(), report="1 pass")
    status, body = _ready(client)
    assert status == 503
    assert list(_failing(body)) == ["sweeper"]
    assert "(limit 300s)" in _failing(body)["sweeper"]


@override_settings(ACCORD_READY_TASK_AGE_SECONDS=300)
def test_a_task_waiting_longer_than_its_limit_is_not_ready(client: Client) -> None:
    _loops_passed()
    echo_task.enqueue("waiting")
    status, body = _ready(client)
    assert status == 200
    assert body["checks"]["tasks"]["detail"].startswith("oldest waiting")
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(seconds=400))
    status, body = _ready(client)
    assert status == 503
    assert _failing(body)["tasks"].startswith("RuntimeError: oldest waiting task queued 40")


def test_an_unreachable_cache_is_not_ready(client: Client) -> None:
    _loops_passed()
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    with override_settings(CACHES=unreachable):
        status, body = _ready(client)
    assert status == 503
    assert list(_failing(body)) == ["cache"]
    assert "ConnectionError" in _failing(body)["cache"]


def test_not_ready_is_one_warning_with_its_reasons_not_a_server_error(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        status, _ = _ready(client)
    assert status == 503
    said = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert (
        "accord.operations",
        logging.WARNING,
        "not ready: sweeper: RuntimeError: no pass recorded yet; "
        "outbox: RuntimeError: no pass recorded yet",
    ) in said
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
