"""A member of staff renamed (in the Django admin, or by `staffing.rename`): the cases
they handle sort in the work queue by their new name, at once."""

from __future__ import annotations

import re

import pytest
import time_machine

from accord.accounts.models import User
from accord.cases.models import Case
from accord.organisations import staffing
from tests.conftest import ApiClient, complaint_body, london, verified_client

pytestmark = pytest.mark.django_db

NOW = london(2026, 3, 4, 12)


def submit(at) -> str:
    with time_machine.travel(at, tick=False):
        response = ApiClient().post("/organisations/ocasa/complaints", complaint_body())
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


@pytest.fixture
def world(ocasa, staff):
    """Two handlers, Ann Archer and Bob Baker, each with a case."""
    manager = staff("ocasa", "manager")
    ann, bob = staff("ocasa", "handler"), staff("ocasa", "handler")
    for user, (first, last) in ((ann, ("Ann", "Archer")), (bob, ("Bob", "Baker"))):
        staffing.rename(user, first_name=first, last_name=last)
    cases = {}
    for hour, user in ((9, ann), (10, bob)):
        reference = submit(london(2026, 3, 2, hour))
        with time_machine.travel(london(2026, 3, 3, 9), tick=False):
            assigned = ApiClient(manager).post(
                f"/cases/{reference}/assign", {"handler": user.username}
            )
        assert assigned.status_code == 200, assigned.content
        cases[user.username] = reference
    return {"manager": manager, "ann": ann, "bob": bob, "cases": cases}


def by_handler(client) -> list[str]:
    with time_machine.travel(NOW, tick=False):
        html = client.get("/staff/", {"sort": "handler"}).content.decode()
    return re.findall(r'<td class="reference"><a href="/staff/cases/([^/]+)/">', html)


def test_renaming_a_handler_keeps_the_queue_sorted_by_their_new_name(world):
    client = verified_client(world["manager"])
    ann, bob = world["cases"][world["ann"].username], world["cases"][world["bob"].username]
    assert by_handler(client) == [ann, bob]
    staffing.rename(world["ann"], first_name="Zara", last_name="Young")
    assert Case.objects.get(reference=ann).handler_sort == "zara young"
    assert by_handler(client) == [bob, ann]


def test_a_name_changed_in_the_admin_reaches_the_cases(world, ocasa):
    root = User.objects.create_superuser("root", "root@example.com", "a long passphrase 1")
    bob = world["bob"]
    form = {
        "username": bob.username,
        "first_name": "Aaron",
        "last_name": "Abbott",
        "email": bob.email,
        "organisation": ocasa.pk,
        "staff_role": "handler",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    response = verified_client(root).post(f"/admin/accounts/user/{bob.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    bob.refresh_from_db()
    assert str(bob) == "Aaron Abbott"
    reference = world["cases"][bob.username]
    assert Case.objects.get(reference=reference).handler_sort == "aaron abbott"
    ann = world["cases"][world["ann"].username]
    assert by_handler(verified_client(world["manager"])) == [reference, ann]
    # A change that leaves the name alone writes no case.
    Case.objects.filter(reference=reference).update(handler_sort="left alone")
    form["email"] = "aaron@example.com"
    assert (
        verified_client(root).post(f"/admin/accounts/user/{bob.pk}/change/", form).status_code
        == 302
    )
    assert Case.objects.get(reference=reference).handler_sort == "left alone"
