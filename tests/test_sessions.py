"""Sessions live in the database (any web process reads them) and a staff session lasts
a working day by default (ACCORD_SESSION_HOURS). Who is signed in is read as Django
reads it (accord/accounts/signed_in.py): a deactivated user, or a second factor removed,
no longer counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.conf import settings as live_settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.signed_in import SessionStore
from accord.settings import SESSION_COOKIE_AGE
from tests.conftest import london, verified_client


def test_a_session_lasts_a_working_day_by_default() -> None:
    assert SESSION_COOKIE_AGE == 9 * 3600
    assert live_settings.SESSION_ENGINE == "accord.accounts.signed_in"
    assert issubclass(SessionStore, db.SessionStore)


def test_a_session_is_a_row_of_the_database(staff: Any) -> None:
    client = verified_client(staff("occs", "handler"))
    key = client.cookies["sessionid"].value
    assert Session.objects.filter(session_key=key).exists()
    assert client.get("/staff/").status_code == 200
    Session.objects.filter(session_key=key).delete()  # signed out elsewhere
    assert client.get("/staff/").status_code == 302


def test_a_deactivated_user_or_a_removed_second_factor_no_longer_counts(staff: Any) -> None:
    handler = staff("occs", "handler")
    client = verified_client(handler)
    assert client.get("/staff/").status_code == 200
    TOTPDevice.objects.filter(user=handler).delete()
    refused = client.get("/staff/")
    assert refused.status_code == 302
    assert "/staff/login/" in refused["Location"]
    again = verified_client(handler)
    assert again.get("/staff/").status_code == 200
    handler.is_active = False
    handler.save(update_fields=["is_active"])
    assert again.get("/staff/").status_code == 302


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
