"""What the sweeper, outbox worker and mail listener share: a heartbeat with each pass
(for `/readyz`) and a line saying what the loop did when it stops."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from typing import Any

from django.utils import timezone

from accord.operations.beats import beat, process_id, stopped

log = logging.getLogger("accord.operations")


class LoopRecord:
    """Counts the passes of one loop process and beats after each."""

    def __init__(self, loop: str) -> None:
        self.loop, self.process = loop, process_id()
        self.passes = 0
        self.totals: Counter[str] = Counter()
        beat(loop, self.process, now=timezone.now())

    def passed(self, result: Any) -> None:
        self.passes += 1
        if dataclasses.is_dataclass(result) and not isinstance(result, type):
            for name, value in dataclasses.asdict(result).items():
                if isinstance(value, int) and not isinstance(value, bool):
                    self.totals[name] += value
        try:
            beat(self.loop, self.process, now=timezone.now(), report=str(result))
        except Exception:  # the loop's own work matters more than its heartbeat
            log.exception("%s: recording the pass failed", self.loop)

    def stop(self) -> None:
        done = ", ".join(f"{name} {count}" for name, count in self.totals.items() if count)
        report = f"{self.passes} passes" + (f": {done}" if done else "")
        stopped(self.process, now=timezone.now(), report=report)
        log.info("%s %s stopped: %s", self.loop, self.process, report)
