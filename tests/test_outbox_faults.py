"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1, in its own process so
it can be killed), with the worker killed too: no message is lost, and any message
received twice carries the same Message-ID both times (so a receiver that drops a
Message-ID it has seen delivers each message once).

This file is also the helper the tests run in subprocesses:

    python tests/test_outbox_faults.py sink --port P --log FILE [--delay S]
    ACCORD_VAR_DIR=DIR python tests/test_outbox_faults.py prepare --messages N

`sink` records each message it accepts as one JSON line (Message-ID, subject) before
answering 250; `prepare` migrates a fresh SQLite database and queues N messages.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
MANAGE = str(ROOT / "manage.py")
HELPER = str(Path(__file__).resolve())
TIMEOUT = 30  # seconds any one wait may take


# The helper side (run as a script)


def run_sink(port: int, log: str, delay: float) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, Envelope, Session

    class Recorder:
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            from email import message_from_bytes

            raw = envelope.original_content or envelope.content or b""
            parsed = message_from_bytes(raw if isinstance(raw, bytes) else raw.encode())
            if delay:
                await asyncio.sleep(delay)
            with open(log, "a") as out:
                out.write(
                    json.dumps({"message_id": parsed["Message-ID"], "subject": parsed["Subject"]})
                    + "\n"
                )
                out.flush()
            return "250 Message accepted for delivery"

    controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


def prepare(messages: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from accord.outbox.queue import queue_email

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        for i in range(messages):
            queue_email(to=[f"person{i}@example.com"], subject=f"Message {i}", text=f"Body {i}")
    return {"queued": messages}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="outbox fault-test helper")
    sub = parser.add_subparsers(dest="command", required=True)
    sink = sub.add_parser("sink")
    sink.add_argument("--port", type=int, required=True)
    sink.add_argument("--log", required=True)
    sink.add_argument("--delay", type=float, default=0.0)
    prep = sub.add_parser("prepare")
    prep.add_argument("--messages", type=int, default=200)
    args = parser.parse_args(argv)
    if args.command == "sink":
        run_sink(args.port, args.log, args.delay)
    else:
        print(json.dumps(prepare(args.messages)))


# The test side


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """A real aiosmtpd server in its own process, which a test may kill and restart."""

    def __init__(self, port: int, log: Path, delay: float = 0.0) -> None:
        self.port, self.log, self.delay = port, log, delay
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 (our own interpreter and helper)
            [
                *(sys.executable, HELPER, "sink", "--port", str(self.port)),
                *("--log", str(self.log), "--delay", str(self.delay)),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=TIMEOUT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()

    def received(self) -> list[dict[str, str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[Sink]:
    server = Sink(free_port(), tmp_path / "received.jsonl")
    yield server
    server.stop()


@pytest.fixture
def smtp_settings(settings: Any, sink: Sink) -> Sink:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    return sink


def assert_each_delivered(expected: dict[str, str], received: list[dict[str, str]]) -> int:
    """Every expected Message-ID received, nothing else received, and a message received
    twice identical both times; returns how many were received more than once."""
    counts = Counter(r["message_id"] for r in received)
    assert set(counts) == set(expected), (
        f"lost: {sorted(set(expected) - set(counts))[:5]}, "
        f"unknown: {sorted(set(counts) - set(expected))[:5]}"
    )
    for r in received:
        assert r["subject"] == expected[r["message_id"]]
    return sum(1 for n in counts.values() if n > 1)


@pytest.mark.django_db
def test_smtp_down_is_retried_later_and_delivered_once_when_it_is_back(smtp_settings):
    import datetime as dt

    from django.db import transaction
    from django.utils import timezone

    from accord.outbox.choices import OutboundStatus
    from accord.outbox.delivery import Policy, deliver_pending
    from accord.outbox.models import OutboundMessage
    from accord.outbox.queue import queue_email

    sink = smtp_settings
    with transaction.atomic():
        rows = [
            queue_email(to=[f"p{i}@example.com"], subject=f"Down {i}", text="t") for i in range(20)
        ]
    now = timezone.now()
    policy = Policy(backoff=60)
    # Nothing listens on the port: every message is put back for a minute.
    result = deliver_pending(now, batch=7, policy=policy)
    assert (result.sent, result.retried) == (0, 20)
    assert set(OutboundMessage.objects.values_list("status", "attempts")) == {
        (OutboundStatus.QUEUED, 1)
    }
    assert deliver_pending(now + dt.timedelta(seconds=30), policy=policy).claimed == 0
    sink.start()
    result = deliver_pending(now + dt.timedelta(seconds=61), batch=7, policy=policy)
    assert result.sent == 20
    duplicates = assert_each_delivered({r.message_id: r.subject for r in rows}, sink.received())
    assert duplicates == 0
    assert len(sink.received()) == 20


@pytest.mark.django_db
def test_killing_the_smtp_server_mid_run_loses_nothing(smtp_settings):
    from django.db import transaction

    from accord.outbox.choices import OutboundStatus
    from accord.outbox.delivery import Policy, deliver_pending
    from accord.outbox.models import OutboundMessage
    from accord.outbox.queue import queue_email

    sink = smtp_settings
    sink.delay = 0.01
    total = 150
    with transaction.atomic():
        rows = [
            queue_email(to=[f"p{i}@example.com"], subject=f"Kill {i}", text="t")
            for i in range(total)
        ]
    sink.start()
    killed = threading.Event()

    def killer() -> None:
        started = time.monotonic()
        while len(sink.received()) < 40 and time.monotonic() - started < TIMEOUT:
            time.sleep(0.005)
        sink.kill()  # mid-send: some message is on the wire
        killed.set()
        time.sleep(1.0)
        sink.start()

    thread = threading.Thread(target=killer)
    thread.start()
    policy = Policy(backoff=0.2, backoff_cap=1.0, max_attempts=50, lease=10)
    started = time.monotonic()
    while OutboundMessage.objects.exclude(status=OutboundStatus.SENT).exists():
        assert time.monotonic() - started < TIMEOUT, "not everything delivered in time"
        deliver_pending(batch=10, policy=policy)
        time.sleep(0.05)
    thread.join(timeout=TIMEOUT)
    assert killed.is_set()
    assert OutboundMessage.objects.filter(attempts__gt=1).exists(), "the kill hit nothing"
    received = sink.received()
    duplicates = assert_each_delivered({r.message_id: r.subject for r in rows}, received)
    print(f"{len(received)} received for {total} messages, {duplicates} resent")
    assert duplicates <= 1  # at most the one on the wire at the kill


# The worker killed mid-run: a real `manage.py deliver_email` on a file SQLite database.


def _env(var_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ACCORD_VAR_DIR")}
    env.update(
        DJANGO_SETTINGS_MODULE="accord.settings",
        DEBUG="1",
        PYTHONUNBUFFERED="1",
        ACCORD_VAR_DIR=str(var_dir),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        LOG_LEVEL="WARNING",
    )
    return env


def _rows(path: Path) -> list[tuple[str, str, str, int]]:
    conn = sqlite3.connect(path, timeout=20)
    try:
        return list(
            conn.execute("SELECT message_id, subject, status, attempts FROM outbox_outboundmessage")
        )
    finally:
        conn.close()


WORKER = ["deliver_email", "--skip-checks", "--batch", "10", "--lease", "2", "--backoff", "0.5"]


def test_killing_the_worker_mid_run_loses_nothing_and_resends_the_same_message_id(
    sink: Sink, tmp_path: Path
) -> None:
    total = 300
    env = _env(tmp_path, sink.port)
    done = subprocess.run(  # noqa: S603 (our own interpreter and helper)
        [sys.executable, HELPER, "prepare", "--messages", str(total)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    db = tmp_path / "accord.sqlite3"
    expected = {mid: subject for mid, subject, _, _ in _rows(db)}
    assert len(expected) == total
    sink.delay = 0.005
    sink.start()

    worker = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, MANAGE, *WORKER, "--interval", "0.2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        started = time.monotonic()
        while len(sink.received()) < 60:
            assert worker.poll() is None, worker.communicate()[1][-3000:]
            assert time.monotonic() - started < TIMEOUT, "the worker delivered nothing"
            time.sleep(0.01)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=TIMEOUT)
    assert worker.returncode == -signal.SIGKILL
    statuses = Counter(status for _, _, status, _ in _rows(db))
    assert 0 < statuses["sent"] < total, statuses
    print(f"killed with {dict(statuses)}")

    time.sleep(2.2)  # the dead worker's lease runs out
    restarted = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, MANAGE, *WORKER, "--once"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    rows = _rows(db)
    assert Counter(status for _, _, status, _ in rows) == {"sent": total}
    received = sink.received()
    duplicates = assert_each_delivered(expected, received)
    print(f"{len(received)} received for {total} messages, {duplicates} resent")
    # Only the message on the wire at the kill can have gone twice.
    assert duplicates <= 1


def test_sigterm_finishes_the_message_in_hand_and_gives_back_the_rest(
    sink: Sink, tmp_path: Path
) -> None:
    total = 200
    env = _env(tmp_path, sink.port)
    done = subprocess.run(  # noqa: S603 (our own interpreter and helper)
        [sys.executable, HELPER, "prepare", "--messages", str(total)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    db = tmp_path / "accord.sqlite3"
    sink.delay = 0.01
    sink.start()
    worker = subprocess.Popen(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, MANAGE, *WORKER, "--batch", "50", "--interval", "0.2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()
    while len(sink.received()) < 20:
        assert time.monotonic() - started < TIMEOUT, "the worker delivered nothing"
        time.sleep(0.01)
    worker.send_signal(signal.SIGTERM)
    _, stderr = worker.communicate(timeout=TIMEOUT)
    assert worker.returncode == 0, stderr[-3000:]
    rows = _rows(db)
    statuses = Counter(status for _, _, status, _ in rows)
    assert set(statuses) == {"sent", "queued"}, statuses  # nothing left claimed
    assert statuses["sent"] == len(sink.received())  # every accepted message marked sent
    assert len({r["message_id"] for r in sink.received()}) == len(sink.received())


if __name__ == "__main__":
    main()
