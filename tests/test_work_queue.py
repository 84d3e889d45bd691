"""The work queue (GET /api/cases): order, filters, keyset pagination and its cost.

Cases are at Ocasa (the lettings procedure): on receipt the stage 1 acknowledgement
clock runs; once a handler acknowledges, the case is at `stage1_resolution` with no
running clock, so it has no deadline and sorts last."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.accounts.models import User
from accord.cases.models import Case, Complainant
from accord.organisations.models import Business, Team
from tests.conftest import ApiClient, complaint_body, london

pytestmark = pytest.mark.django_db

# Query instant for clock states: Wednesday 4 March 2026, midday.
NOW = london(2026, 3, 4, 12, 0)
# Received Friday 27 February: due Tuesday 3 March, so breached by NOW.
BREACHED_AT = london(2026, 2, 27, 10, 0)
# Received Monday 2 March: due Wednesday 4 March, at risk from Tuesday 3 March.
AT_RISK_AT = london(2026, 3, 2, 10, 0)
# Received Wednesday 4 March: due Friday 6 March, at risk from Thursday 5 March.
ON_TIME_AT = london(2026, 3, 4, 10, 0)


@pytest.fixture
def people(ocasa, staff):
    return {
        "handler": staff("ocasa", "handler"),
        "other_handler": staff("ocasa", "handler"),
        "manager": staff("ocasa", "manager"),
    }


def log_case(client: ApiClient, at: dt.datetime, name: str = "Alex Morgan") -> str:
    with time_machine.travel(at, tick=False):
        response = client.post(
            "/cases", complaint_body(channel="letter", complainant={"name": name})
        )
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


def step(client: ApiClient, reference: str, action: str, at: dt.datetime, **body) -> dict:
    with time_machine.travel(at, tick=False):
        response = client.step(reference, action, **body)
    assert response.status_code == 200, (action, response.content)
    return dict(response.json())


def without_deadline(client: ApiClient, at: dt.datetime) -> str:
    """A case whose only clock has stopped: acknowledged, at stage 1 resolution."""
    reference = log_case(client, at)
    detail = step(client, reference, "acknowledge", at + dt.timedelta(minutes=5))
    assert detail["stage"] == "stage1_resolution"
    assert detail["next_deadline_at"] is None
    return reference


def closed(client: ApiClient, at: dt.datetime) -> str:
    reference = log_case(client, at)
    step(client, reference, "withdraw", at + dt.timedelta(minutes=5), reason="Sorted it out.")
    return reference


def queue(client: ApiClient, at: dt.datetime = NOW, **params) -> dict:
    with time_machine.travel(at, tick=False):
        response = client.get("/cases", **params)
    assert response.status_code == 200, response.content
    return dict(response.json())


def references(page: dict) -> list[str]:
    return [row["reference"] for row in page["results"]]


def walk(client: ApiClient, limit: int, at: dt.datetime = NOW, **params) -> list[list[str]]:
    """Every page of the queue, following next_cursor to the end."""
    pages: list[list[str]] = []
    cursor = None
    for _ in range(200):
        query = {**params, "limit": limit}
        if cursor:
            query["cursor"] = cursor
        page = queue(client, at, **query)
        pages.append(references(page))
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("the queue never ended")


def expected_order(**filters) -> list[str]:
    """Open cases by next deadline then id, cases without a deadline last (by id)."""
    cases = list(Case.objects.filter(is_open=True, **filters))
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    cases.sort(key=lambda c: (c.next_deadline_at is None, c.next_deadline_at or far, c.pk))
    return [case.reference for case in cases]


# Order and contents


@pytest.fixture
def spread(people) -> dict[str, str]:
    """Cases created out of deadline order, some without a deadline, one closed."""
    handler = ApiClient(people["handler"])
    return {
        "on_time": log_case(handler, ON_TIME_AT),
        "no_deadline_1": without_deadline(handler, AT_RISK_AT),
        "breached": log_case(handler, BREACHED_AT),
        "closed": closed(handler, AT_RISK_AT),
        "at_risk": log_case(handler, AT_RISK_AT),
        "no_deadline_2": without_deadline(handler, BREACHED_AT),
    }


def test_open_cases_by_next_deadline_with_no_deadline_last(people, spread):
    page = queue(ApiClient(people["handler"]))
    assert references(page) == [
        spread["breached"],
        spread["at_risk"],
        spread["on_time"],
        spread["no_deadline_1"],
        spread["no_deadline_2"],
    ]
    assert page["next_cursor"] is None
    deadlines = [row["next_deadline_at"] for row in page["results"]]
    assert deadlines[3:] == [None, None]
    assert deadlines[:3] == sorted(deadlines[:3])
    assert references(page) == expected_order()


def test_closed_cases_are_not_in_the_queue(people, spread):
    page = queue(ApiClient(people["handler"]))
    assert spread["closed"] not in references(page)
    assert Case.objects.get(reference=spread["closed"]).is_open is False
    assert all(row["is_open"] for row in page["results"])


def test_each_row_summarises_the_case(people, spread):
    page = queue(ApiClient(people["handler"]))
    row = next(r for r in page["results"] if r["reference"] == spread["at_risk"])
    assert row["organisation"] == "ocasa"
    assert row["complainant"] == "Alex Morgan"
    assert row["stage"] == "stage1_received"
    assert row["stage_label"] == "Stage 1 - received"
    assert row["handler"] is None
    assert row["team"] is None
    assert row["clock_state"] == "at_risk"


# Filters


def test_clock_state_filters_partition_the_queue(people, spread):
    handler = ApiClient(people["handler"])
    expected = {
        "breached": [spread["breached"]],
        "at_risk": [spread["at_risk"]],
        "on_time": [spread["on_time"]],
        "none": [spread["no_deadline_1"], spread["no_deadline_2"]],
    }
    for state, wanted in expected.items():
        page = queue(handler, clock_state=state)
        assert references(page) == wanted, state
        assert {row["clock_state"] for row in page["results"]} == {state}


def test_clock_states_move_with_time(people, spread):
    handler = ApiClient(people["handler"])
    # On Friday 6 March every deadline above has passed.
    later = london(2026, 3, 7, 9, 0)
    assert references(queue(handler, later, clock_state="breached")) == [
        spread["breached"],
        spread["at_risk"],
        spread["on_time"],
    ]
    assert references(queue(handler, later, clock_state="on_time")) == []
    # On Monday 2 March, before any of them was at risk... except the Friday one.
    earlier = london(2026, 3, 2, 11, 0)
    states = {r["reference"]: r["clock_state"] for r in queue(handler, earlier)["results"]}
    assert states[spread["breached"]] == "at_risk"
    assert states[spread["at_risk"]] == "on_time"


def test_an_unknown_clock_state_is_refused(people):
    with time_machine.travel(NOW, tick=False):
        response = ApiClient(people["handler"]).get("/cases", clock_state="late")
    assert response.status_code == 422
    assert "clock_state" in [f["field"] for f in response.json()["fields"]]


def test_stage_filter(people, spread):
    handler = ApiClient(people["handler"])
    assert references(queue(handler, stage="stage1_resolution")) == [
        spread["no_deadline_1"],
        spread["no_deadline_2"],
    ]
    assert references(queue(handler, stage="stage1_received")) == [
        spread["breached"],
        spread["at_risk"],
        spread["on_time"],
    ]
    assert references(queue(handler, stage="closed")) == []
    assert references(queue(handler, stage="no_such_stage")) == []


def assign(client: ApiClient, reference: str, body: dict) -> dict:
    with time_machine.travel(NOW, tick=False):
        response = client.post(f"/cases/{reference}/assign", body)
    assert response.status_code == 200, response.content
    return dict(response.json())


def test_team_filter(people, spread, ocasa):
    manager = ApiClient(people["manager"])
    resolution, heads = Team.objects.filter(organisation=ocasa).order_by("name")
    assert assign(manager, spread["on_time"], {"team_id": resolution.pk})["team"] == resolution.name
    assign(manager, spread["no_deadline_2"], {"team_id": resolution.pk})
    assign(manager, spread["breached"], {"team_id": heads.pk})
    handler = ApiClient(people["handler"])
    assert references(queue(handler, team=resolution.pk)) == [
        spread["on_time"],
        spread["no_deadline_2"],
    ]
    assert references(queue(handler, team=heads.pk)) == [spread["breached"]]
    rows = queue(handler, team=resolution.pk)["results"]
    assert {row["team"] for row in rows} == {resolution.name}


def test_handler_filter_me_none_and_username(people, spread):
    manager = ApiClient(people["manager"])
    mine = people["handler"]
    theirs = people["other_handler"]
    assign(manager, spread["at_risk"], {"handler": mine.username})
    assign(manager, spread["no_deadline_1"], {"handler": mine.username})
    assign(manager, spread["on_time"], {"handler": theirs.username})
    me = ApiClient(mine)
    assert references(queue(me, handler="me")) == [spread["at_risk"], spread["no_deadline_1"]]
    assert references(queue(ApiClient(theirs), handler="me")) == [spread["on_time"]]
    assert references(queue(me, handler="none")) == [spread["breached"], spread["no_deadline_2"]]
    assert references(queue(me, handler=theirs.username)) == [spread["on_time"]]
    assert references(queue(me, handler="nobody-by-this-name")) == []
    rows = queue(me, handler="me")["results"]
    assert {row["handler"] for row in rows} == {mine.username}


def test_filters_combine(people, spread):
    manager = ApiClient(people["manager"])
    assign(manager, spread["at_risk"], {"handler": people["handler"].username})
    assign(manager, spread["no_deadline_1"], {"handler": people["handler"].username})
    me = ApiClient(people["handler"])
    assert references(queue(me, handler="me", clock_state="none")) == [spread["no_deadline_1"]]
    assert references(queue(me, handler="me", stage="stage1_received")) == [spread["at_risk"]]


def test_organisation_filter(people, spread, ocasa, optimised, staff):
    handler = ApiClient(people["handler"])
    assert references(queue(handler, organisation="ocasa")) == references(queue(handler))
    assert references(queue(handler, organisation="optimised")) == []
    # A superuser on a team's staff sees every organisation: the filter narrows it.
    elsewhere = log_case(ApiClient(staff("optimised", "handler")), AT_RISK_AT)
    root = User.objects.create_superuser(
        "root", "root@example.com", "x", organisation=ocasa, staff_role="manager"
    )
    everything = references(queue(ApiClient(root)))
    assert elsewhere in everything
    assert set(everything) == set(expected_order())
    assert references(queue(ApiClient(root), organisation="optimised")) == [elsewhere]
    assert elsewhere not in references(queue(ApiClient(root), organisation="ocasa"))


# Keyset pagination


@pytest.fixture
def many(people) -> list[str]:
    """Ties on the deadline, cases without a deadline, a closed case, in mixed order."""
    handler = ApiClient(people["handler"])
    created = [
        without_deadline(handler, AT_RISK_AT),
        log_case(handler, ON_TIME_AT),
        log_case(handler, AT_RISK_AT),
        closed(handler, BREACHED_AT),
        log_case(handler, AT_RISK_AT + dt.timedelta(hours=1)),  # same due date: a tie
        without_deadline(handler, BREACHED_AT),
        log_case(handler, BREACHED_AT),
        log_case(handler, AT_RISK_AT + dt.timedelta(hours=2)),  # another tie
        without_deadline(handler, ON_TIME_AT),
        log_case(handler, london(2026, 3, 3, 10, 0)),
        without_deadline(handler, london(2026, 3, 3, 10, 0)),
    ]
    return created


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 50])
def test_pages_walk_every_open_case_once(people, many, limit):
    expected = expected_order()
    assert len(expected) == 10
    with_deadline = sum(1 for c in Case.objects.filter(is_open=True) if c.next_deadline_at)
    assert with_deadline == 6
    pages = walk(ApiClient(people["handler"]), limit)
    walked = [reference for page in pages for reference in page]
    assert walked == expected
    assert len(walked) == len(set(walked))
    assert all(len(page) == limit for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= limit
    assert len(pages) == -(-len(expected) // limit)


def test_a_page_can_end_exactly_at_the_last_case_with_a_deadline(people, many):
    # Six cases have a deadline: with pages of three the second page ends on the
    # boundary, and the third starts with the first case without one.
    pages = walk(ApiClient(people["handler"]), 3)
    expected = expected_order()
    assert pages[:2] == [expected[:3], expected[3:6]]
    assert pages[2] == expected[6:9]
    first_without = Case.objects.get(reference=pages[2][0])
    assert first_without.next_deadline_at is None


def test_pagination_follows_the_filters(people, many):
    handler = ApiClient(people["handler"])
    pages = walk(handler, 2, clock_state="none")
    assert [r for page in pages for r in page] == expected_order(next_deadline_at__isnull=True)
    pages = walk(handler, 2, stage="stage1_received")
    assert [r for page in pages for r in page] == expected_order(stage="stage1_received")


def test_the_walk_is_stable_when_a_case_arrives_mid_walk(people, many):
    handler = ApiClient(people["handler"])
    first = queue(handler, limit=4)
    seen = references(first)
    # A new case whose deadline is later than every other joins the walk ahead.
    newcomer = log_case(handler, london(2026, 3, 5, 10, 0))
    cursor = first["next_cursor"]
    while cursor:
        page = queue(handler, limit=4, cursor=cursor)
        seen += references(page)
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen))
    assert newcomer in seen
    assert seen == expected_order()


def test_limit_is_bounded(people):
    handler = ApiClient(people["handler"])
    with time_machine.travel(NOW, tick=False):
        for bad in (0, -1, 201, "ten"):
            response = handler.get("/cases", limit=bad)
            assert response.status_code == 422, (bad, response.content)
            assert "limit" in [f["field"] for f in response.json()["fields"]]


# Cost of a page


def populate(people, with_deadline: int, without: int, ocasa) -> None:
    """Cases with and without a deadline; a third assigned a handler and a team."""
    handler = ApiClient(people["handler"])
    manager = ApiClient(people["manager"])
    team = Team.objects.filter(organisation=ocasa).first()
    assert team is not None
    start = london(2026, 3, 2, 9, 0)
    for i in range(with_deadline):
        reference = log_case(handler, start + dt.timedelta(hours=i), name=f"Person {i}")
        if i % 3 == 0:
            assign(manager, reference, {"team_id": team.pk})
            assign(manager, reference, {"handler": people["other_handler"].username})
    for i in range(without):
        reference = without_deadline(handler, start + dt.timedelta(hours=i, minutes=30))
        if i % 3 == 0:
            assign(manager, reference, {"team_id": team.pk})
            assign(manager, reference, {"handler": people["handler"].username})


def page_queries(user: User) -> tuple[int, int]:
    client = ApiClient(user)
    with time_machine.travel(NOW, tick=False):
        client.get("/cases")  # warm up anything done once per process
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/cases")
    assert response.status_code == 200, response.content
    return len(queries.captured_queries), len(response.json()["results"])


def test_a_page_costs_the_same_queries_for_5_or_60_cases(people, ocasa):
    populate(people, 3, 2, ocasa)
    few, few_rows = page_queries(people["handler"])
    populate(people, 27, 28, ocasa)
    assert Case.objects.filter(is_open=True).count() == 60
    many, many_rows = page_queries(people["handler"])
    assert (few_rows, many_rows) == (5, 50)
    assert many == few, (few, many)


def test_a_filtered_page_never_costs_more_with_more_cases(people, ocasa):
    populate(people, 3, 2, ocasa)
    client = ApiClient(people["handler"])

    def count() -> int:
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as q:
            response = client.get("/cases", handler="none", limit=10)
        assert response.status_code == 200
        return len(q.captured_queries)

    few = count()
    populate(people, 27, 28, ocasa)
    # A page filled from the cases with a deadline alone skips the second segment.
    assert count() <= few


# Who may use it


def test_the_queue_is_for_staff(people, spread, ocasa):
    business = Business.objects.get(organisation=ocasa)
    representative = User.objects.create_user(username="rep", business=business)
    complainant = User.objects.create_user(username="complainant")
    Complainant.objects.filter(case__reference=spread["at_risk"]).update(user=complainant)
    for user in (representative, complainant):
        with time_machine.travel(NOW, tick=False):
            response = ApiClient(user).get("/cases")
        assert response.status_code == 403, response.content
        assert response.json()["error"] == "not_permitted"
    with time_machine.travel(NOW, tick=False):
        anonymous = ApiClient().get("/cases")
    assert anonymous.status_code == 401
