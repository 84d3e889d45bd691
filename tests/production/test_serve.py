"""The production configuration, as `manage.py serve` runs it: two machines' worth of
processes (each: gunicorn with two workers, a task worker, a sweeper, an outbox worker)
against one database, with DEBUG off. They share the throttle, every complaint gets its
receipt notice through the task workers and the outbox, /readyz is green, and SIGTERM
stops every process of both."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.production.harness import (
    alive,
    fresh_database,
    prepare,
    production_env,
    request,
    serve,
    smtp_sink,
)

pytestmark = pytest.mark.slow_process


def _complaint(n: int) -> bytes:
    return json.dumps(
        {
            "complainant": {"name": f"Person {n}", "email": f"person{n}@example.com"},
            "description": "The deposit has not been returned.",
        }
    ).encode()


def test_two_of_each_process_share_one_database(tmp_path: Path) -> None:
    with fresh_database(tmp_path, "serve") as url, smtp_sink() as (sink, smtp_port):
        env = production_env(
            url,
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            ACCORD_INTAKE_RATE="5/m",
            ACCORD_VAR_DIR=str(tmp_path / "var"),
        )
        prepare(env)
        each = ["--web", "2", "--tasks", "1", "--sweepers", "1", "--outboxes", "1"]
        first = serve(env, tmp_path / "first.log", *each)
        second = serve(env, tmp_path / "second.log", "--no-setup", *each)
        try:
            statuses = []
            for n in range(8):  # one client, alternating machines
                target = (first, second)[n % 2]
                status, body = request(
                    target.url("/api/organisations/ocasa/complaints"),
                    _complaint(n),
                    {"Content-Type": "application/json", "Idempotency-Key": f"serve-{n}"},
                )
                statuses.append(status)
            assert statuses.count(201) == 5, statuses
            assert statuses.count(429) == 3, statuses

            deadline = time.monotonic() + 60
            while len(sink.messages) < 5 and time.monotonic() < deadline:
                time.sleep(0.5)
            receipts = [m for m in sink.messages if "received your complaint" in m["Subject"]]
            assert len(receipts) == 5
            assert len({m["Message-ID"] for m in receipts}) == 5

            status, body = request(first.url("/readyz"))
            ready = json.loads(body)
            assert status == 200, ready
            assert all(check["ok"] for check in ready["checks"].values())
            status, _ = request(second.url("/static/web/accord.css"))
            assert status == 200
        finally:
            codes = [first.stop(), second.stop()]
        assert codes == [0, 0]
        left = [pid for pid in first.pids | second.pids if alive(pid)]
        assert left == []
        logs = first.log.read_text() + second.log.read_text()
        assert logs.count("stopped: ") >= 6  # each loop says what it did
