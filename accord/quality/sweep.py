"""The quality log's part of the deadline sweep (`accord.cases.sweep.sweep_once` calls
this once a pass): overdue corrective actions and procedure reviews falling due."""

from __future__ import annotations

import datetime as dt

from accord.quality.overdue import notify_overdue_actions
from accord.quality.reviews import remind_due_reviews


def sweep_quality(now: dt.datetime, *, batch: int = 500) -> tuple[int, int]:
    """Notify overdue actions and remind due reviews; return how many of each."""
    return notify_overdue_actions(now, batch=batch), remind_due_reviews(now)
