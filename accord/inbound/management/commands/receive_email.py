"""Pipe delivery: `manage.py receive_email < message.eml`, as a mail server runs it
(e.g. Postfix `command=/path/manage.py receive_email --recipient ${original_recipient}
--sender ${sender}`). Prints one outcome line (one per --recipient) and exits 0 once the
message is stored, whatever became of it; exits 75 (EX_TEMPFAIL, "try again later") only
when it could not be stored."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.inbound.ingest import process, store

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Receive one RFC 5322 message on stdin (pipe delivery from a mail server)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--recipient",
            action="append",
            default=[],
            help=(
                "an envelope recipient (repeatable: stored and processed once for each); "
                "without one, the headers are read"
            ),
        )
        parser.add_argument(
            "--sender",
            default=None,
            help='the envelope sender ("" for a bounce); optional',
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django.utils import timezone

        source = options.get("stdin") or sys.stdin
        try:
            data = source.buffer.read() if hasattr(source, "buffer") else source.read()
        except Exception as exc:
            raise CommandError(
                f"the message could not be read ({type(exc).__name__}: {exc})",
                returncode=EX_TEMPFAIL,
            ) from exc
        raw = data.encode("utf-8", errors="surrogateescape") if isinstance(data, str) else data
        sender = options["sender"]
        # Once per recipient: a message for two organisations reaches each.
        for recipients in [[rcpt] for rcpt in options["recipient"]] or [[]]:
            now = timezone.now()
            try:
                record = store(raw, envelope_from=sender or "", envelope_to=recipients, now=now)
            except Exception as exc:
                raise CommandError(
                    f"the message could not be stored ({type(exc).__name__}: {exc})",
                    returncode=EX_TEMPFAIL,
                ) from exc
            try:
                line = process(record, envelope_from=sender, now=now).line()
            except Exception as exc:  # stored: the mail server must not retry or bounce it
                line = f"inbound #{record.pk}: stored; processing failed ({type(exc).__name__})"
            self.stdout.write(line)
