"""The production configuration, as `manage.py serve` runs it — CI's smoke test through
every process type: two machines' worth of processes (each: gunicorn with two workers,
a task worker, a sweeper, an outbox worker; the first also the mail listener) against
one database (PostgreSQL when the run is on PostgreSQL, else SQLite), with DEBUG off.
They share the throttle; every complaint made over HTTP gets its receipt notice through
a task worker and the outbox, delivered to an SMTP sink; each sweeper passes; an e-mail
sent to the listener opens a case; /readyz is green; and SIGTERM stops every process of
both cleanly, each loop saying what it did."""

from __future__ import annotations

import json
import os
import re
import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.production.harness import (
    PORTS,
    alive,
    free_port,
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


def _command_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


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
        # From the top of the range: the web servers take theirs from the bottom.
        inbound = free_port(range(PORTS.stop - 1, PORTS.start - 1, -1))
        first = serve(env, tmp_path / "first.log", *each, "--inbound-port", str(inbound))
        second = serve(env, tmp_path / "second.log", "--no-setup", *each)
        # Collected into the configured static root, not the checkout another test
        # process's whitenoise is reading.
        assert (tmp_path / "var" / "static" / "staticfiles.json").exists()
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
            # The receipt notices, one per complaint (to person0…4@example.com).
            receipts = [m for m in sink.messages if str(m["To"]).startswith("person")]
            assert len(receipts) == 5
            assert len({m["Message-ID"] for m in receipts}) == 5

            _send_inbound(inbound)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not _opened_by_email(env):
                time.sleep(0.5)
            assert _opened_by_email(env), "the e-mail to the listener opened no case"

            deadline = time.monotonic() + 60  # each sweeper's first pass (at start)
            while time.monotonic() < deadline and _sweeps(env) < 2:
                time.sleep(0.5)
            assert _sweeps(env) >= 2

            # The background loops yield the CPU to the web processes.
            mine, niced = os.getpriority(os.PRIO_PROCESS, 0), 0
            for pid in first.pids:
                command = _command_of(pid)
                background = any(w in command for w in ("db_worker", "deliver_email", " sweep"))
                if background or "gunicorn" in command:
                    expected = min(19, mine + 19) if background else mine
                    assert os.getpriority(os.PRIO_PROCESS, pid) == expected, command
                    if hasattr(os, "SCHED_IDLE"):  # Linux: run when the CPU is idle
                        policy = os.SCHED_IDLE if background else os.SCHED_OTHER
                        assert os.sched_getscheduler(pid) == policy, command
                    niced += background
            assert niced >= 3, first.pids  # a task worker, a sweeper and an outbox worker

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
        assert logs.count("stopped: ") >= 7, logs[-3000:]  # each loop says what it did
        for loop in ("task worker", "sweep", "outbox", "mail_listener"):
            assert re.search(rf"{loop} \S+ stopped: ", logs), loop
        assert "did not stop" not in logs, logs[-3000:]


def _send_inbound(port: int) -> None:
    message = EmailMessage()
    message["From"] = "Kim Lee <kim.lee@example.com>"
    message["To"] = "complaints@ocasahomes.co.uk"
    message["Subject"] = "Deposit not returned"
    message["Message-ID"] = "<smoke-inbound@example.com>"
    message.set_content("My deposit has not been returned after eight weeks.")
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.send_message(message)


def _query(env: dict[str, str], sql: str) -> int:
    from tests.production.harness import manage

    code = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        f"    c.execute({sql!r}); print(c.fetchone()[0])"
    )
    return int(manage(env, "shell", "-c", code).strip().splitlines()[-1])


def _opened_by_email(env: dict[str, str]) -> bool:
    return bool(_query(env, "SELECT count(*) FROM cases_case WHERE channel = 'email'"))


def _sweeps(env: dict[str, str]) -> int:
    return _query(
        env,
        "SELECT count(*) FROM operations_processbeat "
        "WHERE loop = 'sweep' AND last_pass_at IS NOT NULL",
    )


@pytest.mark.usefixtures("settings")
def test_every_process_keeps_its_database_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The web workers and every loop keep their connection between requests and passes:
    the task worker closes "old" connections around each task, so without a kept
    connection it opened a new one (a PostgreSQL backend forked) for every task."""
    from accord.operations.management.commands.serve import programs

    monkeypatch.delenv("DB_CONN_MAX_AGE", raising=False)
    found = programs(bind="127.0.0.1:0", web=1, tasks=1, sweepers=1, outboxes=1, inbound_port=25)
    assert {program.name for program in found} == {
        "web",
        "tasks-1",
        "sweep-1",
        "outbox-1",
        "mail-listener",
    }
    assert {program.env.get("DB_CONN_MAX_AGE") for program in found} == {"60"}
    monkeypatch.setenv("DB_CONN_MAX_AGE", "5")
    assert {
        p.env["DB_CONN_MAX_AGE"]
        for p in programs(
            bind="127.0.0.1:0", web=1, tasks=2, sweepers=0, outboxes=0, inbound_port=0
        )
    } == {"5"}
