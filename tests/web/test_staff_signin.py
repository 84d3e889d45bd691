"""Staff sign in with a password and then a TOTP code; a staff member with no
authenticator enrols one on the way; wrong codes are throttled; parties are refused."""

from __future__ import annotations

import base64
import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.models import User
from tests.conftest import london

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 1) % 1_000_000:06d}"


@pytest.fixture
def handler(staff) -> User:
    user = staff("ocasa", "handler")
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def device(handler) -> TOTPDevice:
    return TOTPDevice.objects.create(user=handler, name="phone", confirmed=True)


def password_step(client: Client, user: User, password: str = PASSWORD, next_url: str = "") -> Any:
    url = "/staff/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": user.username, "password": password})


def test_signing_in_takes_a_password_then_a_code(client, handler, device):
    assert client.get("/staff/")["Location"].startswith("/staff/login/?next=/staff/")
    response = password_step(client, handler)
    assert response.status_code == 303
    assert response["Location"] == "/staff/login/code/"
    # The password alone opens no session: the queue still sends them to sign in.
    assert client.get("/staff/").status_code == 302
    page = client.get("/staff/login/code/")
    assert b"Enter the code" in page.content
    signed_in = client.post("/staff/login/code/", {"code": code_for(device)})
    assert signed_in.status_code == 303
    assert signed_in["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_the_page_asked_for_is_where_sign_in_ends(client, handler, device):
    password_step(client, handler, next_url="/staff/log/")
    assert client.post("/staff/login/code/", {"code": code_for(device)}).url == "/staff/log/"


def test_a_redirect_elsewhere_is_not_followed(client, handler, device):
    password_step(client, handler, next_url="https://evil.example/")
    assert client.post("/staff/login/code/", {"code": code_for(device)}).url == "/staff/"


def test_a_wrong_password_is_refused(client, handler, device):
    response = password_step(client, handler, password="nope")
    assert response.status_code == 400
    assert b"Enter a correct username and password" in response.content
    assert client.get("/staff/login/code/")["Location"] == "/staff/login/"


def test_a_wrong_code_is_refused_and_then_throttled(client, handler, device):
    at = london(2026, 5, 1, 10, 0)
    with time_machine.travel(at, tick=False):
        password_step(client, handler)
        device.refresh_from_db()
        wrong = client.post("/staff/login/code/", {"code": wrong_code(device)})
        assert wrong.status_code == 400
        assert b"That code is not right" in wrong.content
        assert b'aria-invalid="true"' in wrong.content
        # Straight after a failure even the right code is refused until the wait is over.
        device.refresh_from_db()
        throttled = client.post("/staff/login/code/", {"code": code_for(device)})
        assert throttled.status_code == 400
        assert b"Too many wrong codes" in throttled.content
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    with time_machine.travel(at + dt.timedelta(seconds=5), tick=False):
        device.refresh_from_db()
        assert client.post("/staff/login/code/", {"code": code_for(device)}).status_code == 303
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_that_is_not_six_digits_is_a_form_error(client, handler, device):
    password_step(client, handler)
    response = client.post("/staff/login/code/", {"code": "12ab"})
    assert response.status_code == 400
    assert b"Enter the 6 digits" in response.content


def test_a_staff_member_without_an_authenticator_enrols_one(client, handler):
    response = password_step(client, handler)
    assert response["Location"] == "/staff/login/enrol/"
    page = client.get("/staff/login/enrol/")
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code, drawn here, no outside service
    secret = re.search(rb'id="totp-secret">([A-Z2-7 ]+)<', page.content)
    assert secret is not None
    device = TOTPDevice.objects.get(user=handler, confirmed=False)
    assert base64.b32decode(secret.group(1).replace(b" ", b"")) == device.bin_key
    # Reloading keeps the same secret.
    assert secret.group(1) in client.get("/staff/login/enrol/").content
    assert client.post("/staff/login/enrol/", {"code": wrong_code(device)}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()
    done = client.post("/staff/login/enrol/", {"code": code_for(device)})
    assert done.status_code == 303
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/").status_code == 200


def test_a_complainant_or_respondent_is_refused_with_a_reason(client, occs):
    business = occs.businesses.order_by("pk").first()
    respondent = User.objects.create_user("practice-rep", password=PASSWORD, business=business)
    complainant = User.objects.create_user("alex", password=PASSWORD)
    for user in (respondent, complainant):
        response = password_step(client, user)
        assert response.status_code == 403
        assert b"This sign-in is for an organisation&#x27;s staff" in response.content
        assert client.get("/staff/login/code/")["Location"] == "/staff/login/"
    # Signed in some other way, a party still cannot open staff pages.
    client.force_login(respondent)
    assert client.get("/staff/").status_code == 403


def test_a_session_without_the_second_factor_is_sent_to_the_code_step(client, handler, device):
    client.force_login(handler)  # e.g. signed in to the admin with a password only
    response = client.get("/staff/cases/OCA-2026-000001/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    assert client.get("/staff/login/").status_code == 200
    assert client.post("/staff/login/code/", {"code": code_for(device)}).status_code == 303
    assert client.get("/staff/").status_code == 200


def test_signing_out(client, handler, device):
    password_step(client, handler)
    client.post("/staff/login/code/", {"code": code_for(device)})
    assert client.get("/staff/logout/").status_code == 405
    response = client.post("/staff/logout/")
    assert response.status_code == 303
    assert client.get("/staff/").status_code == 302
