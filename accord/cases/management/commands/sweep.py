"""`manage.py sweep`: the deadline sweeper, a restartable loop (`--once` for one pass).

Safe to run several at once and to kill at any moment: see `accord.cases.sweep`."""

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from accord.cases.sweep import run_forever, sweep_once
from accord.operations.choices import Loop
from accord.operations.loops import LoopRecord


class Command(BaseCommand):
    help = "Find at-risk and breached clocks and deal with each exactly once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--interval", type=float, default=30.0, help="seconds between passes")
        parser.add_argument("--batch", type=int, default=500, help="clocks claimed per transaction")
        parser.add_argument(
            "--pause", type=float, default=0.0, help="seconds between batches (eases the load)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            result = sweep_once(timezone.now(), batch=options["batch"], pause=options["pause"])
            self.stdout.write(f"sweep: {result}")
            return
        stop = [False]

        def finish(signum: int, frame: object) -> None:
            # Finish the claim in hand, then stop: nothing is left half-done.
            stop[0] = True

        signal.signal(signal.SIGTERM, finish)
        signal.signal(signal.SIGINT, finish)
        self.stdout.write(f"sweeping every {options['interval']}s; Ctrl-C to stop")
        record = LoopRecord(Loop.SWEEP)
        try:
            run_forever(
                interval=options["interval"],
                batch=options["batch"],
                pause=options["pause"],
                stop=stop,
                on_pass=record.passed,
            )
        finally:
            record.stop()
