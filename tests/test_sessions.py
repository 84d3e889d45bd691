"""Sessions live in the database (any web process reads them) and a staff session lasts
a working day by default (ACCORD_SESSION_HOURS)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.conf import settings as live_settings

from accord.settings import SESSION_COOKIE_AGE
from tests.conftest import london, verified_client


def test_a_session_lasts_a_working_day_by_default() -> None:
    assert SESSION_COOKIE_AGE == 9 * 3600
    assert live_settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"


def test_a_staff_session_ends_after_its_age(settings: Any, staff: Any) -> None:
    settings.SESSION_COOKIE_AGE = SESSION_COOKIE_AGE
    handler = staff("occs", "handler")
    start = london(2026, 12, 1, 9, 0)
    with time_machine.travel(start, tick=False):
        client = verified_client(handler)
        assert client.get("/staff/").status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=8, minutes=50), tick=False):
        assert client.get("/staff/").status_code == 200
    with time_machine.travel(start + dt.timedelta(hours=9, minutes=10), tick=False):
        assert client.get("/staff/").status_code == 302
