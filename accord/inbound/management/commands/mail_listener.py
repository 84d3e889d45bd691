"""`manage.py mail_listener [--host 127.0.0.1] [--port 8025] [--lmtp] [--workers 1]`: an SMTP (or LMTP)
listener for a mail server to deliver inbound e-mail to at volume. Defaults come from
ACCORD_INBOUND_HOST / ACCORD_INBOUND_PORT / ACCORD_INBOUND_WORKERS."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from accord.inbound.listener import start_listener, stop_listener
from accord.operations.choices import Loop
from accord.operations.loops import LoopRecord


class Command(BaseCommand):
    help = "Listen for inbound e-mail over SMTP or LMTP on a local address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=getattr(settings, "ACCORD_INBOUND_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(getattr(settings, "ACCORD_INBOUND_PORT", 8025))
        )
        parser.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
        parser.add_argument(
            "--workers",
            type=int,
            default=int(getattr(settings, "ACCORD_INBOUND_WORKERS", 1)),
            help="worker processes that parse and store messages (0: one thread in-process)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verbosity"] < 2:
            # aiosmtpd narrates every SMTP command at INFO; -v 2 keeps that.
            logging.getLogger("mail.log").setLevel(logging.WARNING)
        stopping = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopping.set())
        controller = start_listener(
            options["host"], options["port"], lmtp=options["lmtp"], workers=options["workers"]
        )
        protocol = "LMTP" if options["lmtp"] else "SMTP"
        self.stdout.write(f"listening for {protocol} on {options['host']}:{options['port']}")
        record = LoopRecord(Loop.MAIL_LISTENER)
        try:
            # A heartbeat a minute while listening (for /readyz and the logs).
            while not stopping.wait(60):
                record.passed("listening")
        finally:
            stop_listener(controller)
            record.stop()
            self.stdout.write("stopped")
