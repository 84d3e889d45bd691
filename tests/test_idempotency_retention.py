"""Kept Idempotency-Key responses are forgotten by the sweep once past their retention
(`ACCORD_IDEMPOTENCY_KEY_DAYS`); younger ones stay and still answer retries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from accord.accounts.models import User
from accord.cases.idempotency import once
from accord.cases.models import IdempotentRequest
from accord.cases.sweep import sweep_once

NOW = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)


def test_the_sweep_forgets_keys_older_than_their_retention(
    staff: Callable[[str, str], User], settings
) -> None:
    settings.ACCORD_IDEMPOTENCY_KEY_DAYS = 7
    handler = staff("occs", "handler")
    runs: list[str] = []

    def keep(key: str, at: dt.datetime) -> None:
        def run() -> dict[str, str]:
            runs.append(key)
            return {"ok": key}

        once(handler, key, "print", run, now=at)

    keep("old", NOW - dt.timedelta(days=8))
    keep("recent", NOW - dt.timedelta(days=6))

    assert sweep_once(NOW).keys_forgotten == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["recent"]
    # A retry of the recent key is still answered from what was kept, not run again.
    keep("recent", NOW)
    assert runs == ["old", "recent"]
    assert sweep_once(NOW).keys_forgotten == 0
