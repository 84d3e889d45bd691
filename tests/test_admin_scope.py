"""An organisation's administrator configures only their own organisation; staff see
only their own organisation's cases in the admin; the verbal-summary confirmation
works for every procedure."""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import Permission

from accord.accounts.models import User
from accord.cases.models import Case, Event
from tests.conftest import ApiClient, complaint_body, london, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def ocasa_admin(ocasa, staff):
    user = staff("ocasa", "administrator")
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_organisation", "change_organisation", "view_case"]
        )
    )
    return user


def test_an_administrator_sees_only_their_own_organisation(client, ocasa_admin, occs, ocasa):
    client = verified_client(ocasa_admin)
    listing = client.get("/admin/organisations/organisation/")
    assert listing.status_code == 200
    assert ocasa.name.encode() in listing.content
    assert occs.name.encode() not in listing.content
    assert client.get(f"/admin/organisations/organisation/{occs.pk}/change/").status_code == 302


def test_staff_see_only_their_own_organisations_cases_in_the_admin(client, ocasa_admin, occs):
    with time_machine.travel(london(2026, 12, 1, 10), tick=False):
        body = complaint_body(respondent_id=occs.businesses.order_by("pk").first().pk)
        reference = ApiClient().post("/organisations/occs/complaints", body).json()["reference"]
    case = Case.objects.get(reference=reference)
    client = verified_client(ocasa_admin)
    assert reference.encode() not in client.get("/admin/cases/case/").content
    assert client.get(f"/admin/cases/case/{case.pk}/change/").status_code == 302


@pytest.mark.parametrize("slug", ["occs", "ocasa", "optimised"])
def test_a_verbal_complaint_summary_can_be_confirmed_under_every_procedure(
    organisations, staff, slug
):
    handler = staff(slug, "handler")
    client = ApiClient(handler)
    body = complaint_body(channel="phone")
    if slug == "occs":
        body["respondent_id"] = organisations["occs"].businesses.order_by("pk").first().pk
    with time_machine.travel(london(2026, 12, 1, 10), tick=False):
        created = client.post("/cases", body)
        assert created.status_code == 201, created.content
        reference = created.json()["reference"]
        assert client.get(f"/cases/{reference}").json()["flags"]["verbal_summary_pending"] is True
        refused = client.post(f"/cases/{reference}/verbal-summary/confirm", {})
        assert (refused.status_code, refused.json()["field"]) == (422, "how")
        confirmed = client.post(
            f"/cases/{reference}/verbal-summary/confirm",
            {"how": "The complainant replied by e-mail on 1 December confirming the summary."},
        )
        assert confirmed.status_code == 200, confirmed.content
        assert confirmed.json()["flags"]["verbal_summary_pending"] is False
        again = client.post(f"/cases/{reference}/verbal-summary/confirm", {"how": "again"})
        assert again.status_code == 409
    event = Event.objects.filter(case__reference=reference, kind="flags_changed").get()
    assert "replied by e-mail" in event.reason


def test_an_administrator_cannot_grant_themselves_superuser_or_move_organisation(
    client, ocasa_admin, occs, ocasa
):
    ocasa_admin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    client = verified_client(ocasa_admin)
    page = client.get(f"/admin/accounts/user/{ocasa_admin.pk}/change/")
    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content
    assert b'name="user_permissions"' not in page.content
    assert f'value="{occs.pk}"'.encode() not in page.content  # not offered as an organisation
    client.post(
        f"/admin/accounts/user/{ocasa_admin.pk}/change/",
        {
            "username": ocasa_admin.username,
            "is_superuser": "on",
            "organisation": occs.pk,
            "staff_role": "administrator",
            "is_active": "on",
            "is_staff": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    ocasa_admin.refresh_from_db()
    assert ocasa_admin.is_superuser is False
    assert ocasa_admin.organisation_id == ocasa.pk


def test_the_admin_needs_the_second_factor(client, ocasa_admin):
    client.force_login(ocasa_admin)
    response = client.get("/admin/organisations/organisation/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    login = client.get(response["Location"])
    assert login.status_code == 302
    assert login["Location"].startswith("/staff/login/?next=")


def test_a_superuser_signs_in_to_the_admin_with_password_and_code(client, organisations):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    root = User.objects.create_superuser("root", "root@example.com", "a long passphrase 1")
    device = TOTPDevice.objects.create(user=root, name="phone", confirmed=True)
    step = client.post(
        "/staff/login/?next=/admin/",
        {"username": "root", "password": "a long passphrase 1"},
    )
    assert step.status_code == 303
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits):06d}"
    done = client.post(step["Location"], {"code": code})
    assert done.status_code == 303
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
