"""Every complaint is in the quality action log from the moment it is received; the log
is for the organisation's staff only, counted and filtered in SQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from accord.quality.models import CaseQuality
from tests.conftest import ApiClient, london, verified_client
from tests.quality.conftest import RECEIVED, receive

pytestmark = pytest.mark.django_db


def test_a_complaint_is_in_the_log_on_receipt(seeded, staff):
    case = receive("optimised")
    assert not CaseQuality.objects.exists()  # nothing written at intake: the log is a view
    manager = staff("optimised", "manager")

    with time_machine.travel(RECEIVED, tick=False):
        listed = ApiClient(manager).get("/quality/log")
    assert listed.status_code == 200
    body = listed.json()
    assert [entry["reference"] for entry in body["results"]] == [case.reference]
    assert body["results"][0]["root_cause"] is None
    assert body["counts"]["complaints"] == 1
    assert body["counts"]["open"] == 1

    with time_machine.travel(RECEIVED, tick=False):
        page = verified_client(manager).get("/quality/")
    assert page.status_code == 200
    assert case.reference in page.content.decode()


def test_the_log_shows_only_the_organisations_own_complaints(seeded, staff):
    own = receive("optimised")
    other = receive("ocasa")
    handler = staff("optimised", "handler")
    with time_machine.travel(RECEIVED, tick=False):
        page = verified_client(handler).get("/quality/").content.decode()
        listed = ApiClient(handler).get("/quality/log").json()
    assert own.reference in page
    assert other.reference not in page
    assert [e["reference"] for e in listed["results"]] == [own.reference]


def test_the_log_pages_and_filters(seeded, staff):
    cases = [receive("optimised", RECEIVED.replace(hour=9 + n)) for n in range(3)]
    manager = staff("optimised", "manager")
    client = ApiClient(manager)
    with time_machine.travel(RECEIVED.replace(hour=15), tick=False):
        first = client.get("/quality/log", page_size=2).json()
        second = client.get("/quality/log", page_size=2, after=first["next_cursor"]).json()
        no_root_cause = client.get("/quality/log", show="no_root_cause").json()
        bad = client.get("/quality/log", show="everything")
        bad_cursor = client.get("/quality/log", after="not-a-cursor")
    assert first["counts"]["complaints"] == 3
    assert second["next_cursor"] is None
    # Newest first.
    assert [e["reference"] for e in first["results"] + second["results"]] == [
        c.reference for c in reversed(cases)
    ]
    assert len(no_root_cause["results"]) == 3
    assert bad.status_code == 422
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["field"] == "after"


def test_the_log_pages_by_keyset_without_skipping_or_repeating(seeded, staff):
    # Received at the same instant: the id breaks the tie, so no page skips or repeats.
    same = [receive("optimised", RECEIVED) for _ in range(5)]
    earlier = [receive("optimised", RECEIVED.replace(hour=8)) for _ in range(2)]
    manager = staff("optimised", "manager")
    client = ApiClient(manager)
    seen: list[str] = []
    after = None
    with time_machine.travel(RECEIVED.replace(hour=15), tick=False):
        for _ in range(10):
            body = client.get(
                "/quality/log", page_size=2, **({"after": after} if after else {})
            ).json()
            seen += [e["reference"] for e in body["results"]]
            after = body["next_cursor"]
            if after is None:
                break
        page = verified_client(manager)
        first_html = page.get("/quality/").content.decode()
    assert seen == [c.reference for c in reversed(same)] + [c.reference for c in reversed(earlier)]
    assert same[-1].reference in first_html


def _queries(get: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = get()
    assert response.status_code == 200
    return len(captured)


def test_a_log_page_costs_the_same_queries_however_long_the_log(seeded, staff):
    manager = staff("optimised", "manager")
    page, api = verified_client(manager), ApiClient(manager)

    def costs() -> tuple[int, int, int]:
        with time_machine.travel(RECEIVED.replace(hour=15), tick=False):
            first = api.get("/quality/log", page_size=3)
            after = first.json()["next_cursor"]
            return (
                _queries(lambda: page.get("/quality/")),
                _queries(lambda: api.get("/quality/log", page_size=3)),
                _queries(lambda: api.get("/quality/log", page_size=3, after=after)),
            )

    for n in range(4):
        receive("optimised", RECEIVED.replace(minute=n))
    small = costs()
    for n in range(20):
        receive("optimised", RECEIVED.replace(minute=10 + n))
    assert costs() == small


def test_the_log_page_ignores_a_nonsense_filter_or_page(seeded, staff):
    receive("optimised")
    client = verified_client(staff("optimised", "manager"))
    with time_machine.travel(RECEIVED, tick=False):
        assert client.get("/quality/?show=<script>&page=999999").status_code == 200
        assert client.get("/quality/actions/?show=nope&page=x").status_code == 200


def test_the_log_is_for_staff_only(seeded, staff, api):
    receive("optimised")
    with time_machine.travel(RECEIVED, tick=False):
        assert ApiClient().get("/quality/log").status_code == 401
        # Signed in with a password but no second factor: to the sign-in page.
        from django.test import Client

        client = Client()
        client.force_login(staff("optimised", "manager"))
        response = client.get("/quality/")
    assert response.status_code == 302


def test_a_complainant_may_not_read_the_log(seeded):
    from accord.accounts.models import User

    complainant = User.objects.create_user(username="alex", email="alex@example.com")
    with time_machine.travel(RECEIVED, tick=False):
        assert ApiClient(complainant).get("/quality/log").status_code == 403


def test_the_overdue_table_names_each_actions_owner_and_status(seeded, staff):
    case = receive("optimised")
    manager, owner = staff("optimised", "manager"), staff("optimised", "handler")
    owner.first_name, owner.last_name = "Priya", "Shah"
    owner.save()
    with time_machine.travel(RECEIVED, tick=False):
        made = ApiClient(manager).post(
            "/quality/actions",
            {"what": "Fix the checklist.", "owner": owner.username, "due_on": "2026-12-04"},
        )
    assert made.status_code == 201, made.content
    with time_machine.travel(london(2026, 12, 7, 9), tick=False):
        page = verified_client(manager).get("/quality/").content.decode()
    overdue = page[page.index('id="overdue"') : page.index('id="complaints"')]
    assert str(owner) in overdue
    assert "Open" in overdue
    assert "badge-breached" in overdue
    assert case.reference in page


def test_listing_actions_costs_the_same_for_one_or_many(seeded, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = receive("optimised")
    manager, owner = staff("optimised", "manager"), staff("optimised", "handler")
    client = ApiClient(manager)

    def open_one() -> None:
        with time_machine.travel(RECEIVED, tick=False):
            made = client.post(
                "/quality/actions",
                {
                    "what": "Fix the checklist.",
                    "owner": owner.username,
                    "due_on": "2026-12-04",
                    "cases": [case.reference],
                },
            )
        assert made.status_code == 201, made.content

    def queries() -> int:
        with (
            time_machine.travel(london(2026, 12, 7, 9), tick=False),
            CaptureQueriesContext(connection) as captured,
        ):
            assert client.get("/quality/actions").status_code == 200
            assert verified_client(manager).get("/quality/").status_code == 200
        return len(captured)

    open_one()
    queries()  # the first visit sets up the session and the TOTP device
    one = queries()
    for _ in range(4):
        open_one()
    assert queries() == one
