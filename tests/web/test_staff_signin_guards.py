"""What guards staff sign-in beyond the two factors: wrong passwords for one username
from one address are throttled (even the right one waits), a code cannot be used
twice, and someone who only knows the password cannot enrol a new authenticator."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.models import User
from tests.conftest import london
from tests.web.test_staff_signin import PASSWORD, code_for, password_step

pytestmark = pytest.mark.django_db


@pytest.fixture
def handler(staff) -> User:
    user = staff("ocasa", "handler")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def device(handler) -> TOTPDevice:
    return TOTPDevice.objects.create(user=handler, name="phone", confirmed=True)


@override_settings(ACCORD_STAFF_LOGIN_RATE="3/15m")
def test_wrong_passwords_are_throttled_per_username_and_address(client, handler, device, staff):
    at = london(2026, 5, 1, 10, 0)
    with time_machine.travel(at, tick=False):
        for _ in range(3):
            assert password_step(client, handler, password="nope").status_code == 400
        refused = password_step(client, handler)
        assert refused.status_code == 429
        assert b"Too many wrong passwords" in refused.content
        assert client.get("/staff/login/code/")["Location"] == "/staff/login/"
        # Another address, or another username from this address, is not held up.
        elsewhere = Client(REMOTE_ADDR="192.0.2.9")
        assert password_step(elsewhere, handler).status_code == 303
        colleague = staff("ocasa", "handler")
        colleague.set_password(PASSWORD)
        colleague.save()
        assert password_step(Client(), colleague).status_code == 303
    with time_machine.travel(at + dt.timedelta(minutes=16), tick=False):
        assert password_step(client, handler).status_code == 303


@override_settings(ACCORD_STAFF_LOGIN_RATE="3/15m")
def test_right_passwords_do_not_count(client, handler, device):
    with time_machine.travel(london(2026, 5, 1, 10, 0), tick=False):
        for _ in range(5):
            assert password_step(Client(), handler).status_code == 303


def test_a_code_cannot_be_used_twice(client, handler, device):
    with time_machine.travel(london(2026, 5, 1, 10, 0), tick=False):
        password_step(client, handler)
        code = code_for(device)
        assert client.post("/staff/login/code/", {"code": code}).status_code == 303
        other = Client()
        password_step(other, handler)
        replayed = other.post("/staff/login/code/", {"code": code})
        assert replayed.status_code == 400
        assert other.get("/staff/").status_code == 302


def test_the_password_alone_cannot_enrol_another_authenticator(client, handler, device):
    password_step(client, handler)
    response = client.get("/staff/login/enrol/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/code/"
    assert client.post("/staff/login/enrol/", {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=handler).count() == 1
