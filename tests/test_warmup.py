"""A web process makes, before its first request, what that request would otherwise make:
Accord's templates compiled, the bank holidays' rules imported, the URL patterns
reversing reads. A step that fails is logged and left to the first request."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.template import engines

from accord.operations import warmup


def test_every_template_of_accord_is_compiled_and_the_holidays_are_read() -> None:
    count = warmup.templates()
    assert count > 100
    django_engine: Any = getattr(engines["django"], "engine")  # noqa: B009 - typed as the base
    cached = django_engine.template_loaders[0]
    assert "web/staff/case.html" in {key.split("-")[0] for key in cached.get_template_cache}
    assert warmup.bank_holidays() == 3
    assert warmup.checks() == 1


def test_a_failed_step_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> int:
        raise RuntimeError("no holidays today")

    monkeypatch.setattr(warmup, "STEPS", (broken, warmup.checks))
    with caplog.at_level(logging.ERROR, logger="accord.operations"):
        warmup.warm_up()
    assert "warm-up: broken failed" in caplog.text
