"""Small things that make the workspace feel finished (issue 15 part 6): labels, not
keys, in the quality log; the administrator's sign-in leads to the admin; printed links
use the address Accord runs on; demo staff have readable names."""

from __future__ import annotations

import io

import pytest
import time_machine
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from accord.accounts.models import User
from tests.conftest import ApiClient, complaint_body, london, verified_client

pytestmark = pytest.mark.django_db


def test_the_quality_log_shows_stage_labels_not_keys(occs, staff):
    body = complaint_body(respondent_id=occs.businesses.order_by("pk").first().pk)
    with time_machine.travel(london(2026, 3, 2, 10), tick=False):
        ApiClient().post("/organisations/occs/complaints", body)
        page = verified_client(staff("occs", "manager")).get("/quality/").content.decode()
    assert "Complaint received" in page
    assert "<td>received</td>" not in page
    assert 'class="subnav"' in page


def test_the_administrator_signing_in_lands_in_the_admin(organisations):
    admin = User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")
    TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)
    client = verified_client(admin)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_printed_links_use_the_configured_address(organisations, settings):
    settings.ACCORD_BASE_URL = "http://10.0.0.5:8507"
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "http://10.0.0.5:8507/my/link/" in text
    assert "127.0.0.1:8000" not in text
    assert "Priya Shah, quality / compliance manager" in text
    assert str(User.objects.get(username="occs-manager")) == "Priya Shah"
