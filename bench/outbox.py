"""Outbox bench: the delivery loop against a local SMTP server (aiosmtpd).

Target (printed against, never asserted): the outbox worker delivers >= 100 messages/s
to a local SMTP server.

    .venv/bin/python bench/outbox.py [--n 2000] [--batch 100] [--cases 20]

Queues N messages, spread over a few cases (so each delivery also writes its
`email_sent` event on the case, as in production), then runs the worker's loop
(`deliver_pending`: claim a batch with a lease, one SMTP connection per batch, mark each
message sent as soon as the server accepts it) against an aiosmtpd server on 127.0.0.1
in its own process (`--sink PORT`, started by the bench).
SQLite by default; PostgreSQL with DATABASE_URL (see bench/README.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

import argparse  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from bench import _common  # noqa: E402

TARGET = 100.0  # messages/s


class Counting:
    """An aiosmtpd handler that accepts and counts every message."""

    def __init__(self) -> None:
        self.received = 0
        self.message_ids: set[str] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += 1
        for line in (envelope.content or b"").split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                self.message_ids.add(line.split(b":", 1)[1].strip().decode())
                break
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sink(port: int) -> None:
    """Run the counting SMTP server until stdin closes; then print what it received."""
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # it narrates each command
    handler = Counting()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()
    print(f"{handler.received} {len(handler.message_ids)}", flush=True)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--sink":
        sink(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="messages to queue and deliver")
    parser.add_argument("--batch", type=int, default=100, help="messages claimed at once")
    parser.add_argument("--cases", type=int, default=20, help="cases the messages report on")
    parser.add_argument("--profile", action="store_true", help="cProfile the delivery loop")
    _common.add_db_arguments(parser)
    args = parser.parse_args()
    bench = _common.setup(args)
    try:
        run(args)
    finally:
        bench.cleanup()


def run(args: argparse.Namespace) -> None:
    import logging
    import subprocess

    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from accord.cases.choices import Channel
    from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
    from accord.organisations.models import Organisation
    from accord.outbox.delivery import deliver_pending
    from accord.outbox.models import OutboundMessage
    from accord.outbox.queue import queue_email

    logging.getLogger("accord").setLevel(logging.WARNING)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, __file__, "--sink", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None
    assert server.stdout is not None
    assert server.stdout.readline().strip() == "ready"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    try:
        organisation = Organisation.objects.get(slug="ocasa")
        now = timezone.now()
        cases = []
        with transaction.atomic():
            for i in range(args.cases):
                complaint = Complaint(
                    complainant=ComplainantDetails(name=f"Bench {i}", email=f"b{i}@example.com"),
                    description="Bench complaint.",
                    channel=Channel.EMAIL,
                )
                cases.append(receive_complaint(organisation, complaint, now=now)[0])
        started = time.perf_counter()
        with transaction.atomic():
            for i in range(args.n):
                case = cases[i % len(cases)]
                queue_email(
                    to=[case.complainant.email],
                    subject=f"{case.reference}: update {i}",
                    text=f"Message {i} about your complaint.\n" * 5,
                    case_id=case.pk,
                    purpose="bench",
                )
        queued_s = time.perf_counter() - started
        print(f"queued {args.n} messages in {queued_s:.2f} s ({args.n / queued_s:.0f}/s)")

        profiler = None
        if args.profile:
            profiler = _common.profiler()
            profiler.enable()
        started = time.perf_counter()
        result = deliver_pending(batch=args.batch)
        elapsed = time.perf_counter() - started
        rate = result.sent / elapsed if elapsed else 0.0
        sent = OutboundMessage.objects.filter(status="sent").count()
        verdict = "meets" if rate >= TARGET else "MISSES"
        print(
            f"delivered {result.sent} messages in {elapsed:.2f} s: {rate:.0f} messages/s "
            f"({verdict} the target of >= {TARGET:.0f}/s; batch {args.batch}, "
            f"{result.retried} retried, {result.failed} failed)"
        )
        if profiler is not None:
            profiler.disable()
            _common.profile_top(profiler)
    finally:
        received, distinct = server.communicate(timeout=60)[0].split()
    print(
        f"server received {received}, distinct Message-IDs {distinct}; rows sent {sent} of {args.n}"
    )


if __name__ == "__main__":
    main()
