"""Draining work in batches: the sweep's shape, shared by clocks and obligations."""

from __future__ import annotations

import time
from collections.abc import Callable


def drain(claim: Callable[[], tuple[int, int]], pause: float = 0.0) -> tuple[int, int]:
    """Call `claim` (one batch, one transaction; returns how many it claimed and a
    second count) until a batch comes back empty, sleeping `pause` seconds between
    batches; return both totals."""
    claimed_total = other_total = 0
    while True:
        claimed, other = claim()
        claimed_total += claimed
        other_total += other
        if not claimed:
            return claimed_total, other_total
        time.sleep(pause)
