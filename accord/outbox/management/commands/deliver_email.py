"""`manage.py deliver_email`: the outbox worker, a restartable loop (`--once` for one
pass). Safe to run several at once and to kill at any moment: see
`accord.outbox.delivery`."""

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accord.operations.choices import Loop
from accord.operations.loops import LoopRecord
from accord.outbox.delivery import (
    BACKOFF_SECONDS,
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    Policy,
    deliver_pending,
    run_forever,
)


class Command(BaseCommand):
    help = "Deliver queued e-mail over the configured EMAIL_BACKEND, retrying with backoff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes")
        parser.add_argument("--batch", type=int, default=100, help="messages claimed at once")
        parser.add_argument(
            "--lease", type=float, default=LEASE_SECONDS, help="seconds a claim lasts"
        )
        parser.add_argument(
            "--backoff", type=float, default=BACKOFF_SECONDS, help="first retry delay (doubles)"
        )
        parser.add_argument("--max-attempts", type=int, default=MAX_ATTEMPTS)

    def handle(self, *args: Any, **options: Any) -> None:
        policy = Policy(
            lease=options["lease"],
            backoff=options["backoff"],
            max_attempts=options["max_attempts"],
        )
        stop = [False]

        def finish(signum: int, frame: object) -> None:
            # Finish the message in hand, give back the rest of the batch, then stop.
            stop[0] = True

        signal.signal(signal.SIGTERM, finish)
        signal.signal(signal.SIGINT, finish)
        if options["once"]:
            result = deliver_pending(batch=options["batch"], policy=policy, stop=stop)
            self.stdout.write(f"deliver_email: {result}")
            return
        self.stdout.write(f"delivering e-mail every {options['interval']}s; Ctrl-C to stop")
        record = LoopRecord(Loop.OUTBOX)
        try:
            run_forever(
                interval=options["interval"],
                batch=options["batch"],
                policy=policy,
                stop=stop,
                on_pass=record.passed,
            )
        finally:
            record.stop()
