"""The API's session sign-in: staff need their second factor, parties do not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accord.accounts.models import User
from tests.conftest import verified_client

pytestmark = pytest.mark.django_db


def test_a_staff_session_without_its_second_factor_does_not_open_the_api(
    staff: Callable[[str, str], User],
) -> None:
    handler = staff("occs", "handler")
    client = Client()
    client.force_login(handler)
    assert client.get("/api/cases").status_code == 401
    assert verified_client(handler).get("/api/cases").status_code == 200


def test_a_superuser_session_needs_its_second_factor_too(organisations: object) -> None:
    admin = User.objects.create_superuser("root", "root@example.com", "x")
    client = Client()
    client.force_login(admin)
    assert client.get("/api/cases").status_code == 401


def test_a_respondent_session_opens_the_api_without_a_second_factor(organisations: object) -> None:
    from accord.organisations.models import Business

    business = Business.objects.filter(organisation__slug="occs").first()
    assert business is not None
    rep = User.objects.create_user("rep", business=business)
    client = Client()
    client.force_login(rep)
    # Signed in (the work queue is staff-only, so 403, not 401 "who are you?").
    assert client.get("/api/cases").status_code == 403
