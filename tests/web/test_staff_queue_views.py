"""The work queue's views (each a link with its count), its columns (received, age in
working days, next deadline), sorting by any sortable column with keyset pages, and
bulk assignment — all through the page, bad input included."""

from __future__ import annotations

import importlib
import re
import secrets
from urllib.parse import parse_qsl

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accord.accounts.models import User
from accord.cases import queue
from accord.cases.models import Case, Event
from accord.keyset import Cursor
from accord.organisations.models import Team
from tests.conftest import ApiClient, complaint_body, london, take, verified_client

pytestmark = pytest.mark.django_db

NOW = london(2026, 3, 4, 12)  # a Wednesday


def submit(slug: str, at, **overrides) -> str:
    with time_machine.travel(at, tick=False):
        response = ApiClient().post(
            f"/organisations/{slug}/complaints", complaint_body(**overrides)
        )
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


@pytest.fixture
def people(ocasa, occs, staff) -> dict[str, User]:
    return {
        "handler": staff("ocasa", "handler"),
        "head": staff("ocasa", "senior_handler"),
        "manager": staff("ocasa", "manager"),
        "other_handler": staff("occs", "handler"),
    }


@pytest.fixture
def cases(people) -> dict[str, str]:
    made = {
        # Mon 2 March: acknowledged by the end of Wed 4 March (at risk on the 4th).
        "old": submit("ocasa", london(2026, 2, 23, 10), description="Deposit not returned."),
        "mid": submit("ocasa", london(2026, 3, 2, 10), description="Damp in the bedroom."),
        "new": submit("ocasa", london(2026, 3, 4, 10), description="Boiler never repaired."),
    }
    with time_machine.travel(london(2026, 3, 4, 11), tick=False):
        ApiClient(people["handler"]).post(
            f"/cases/{made['new']}/assign", {"handler": people["handler"].username}
        )
    return made


def get(client, at=NOW, **params):
    with time_machine.travel(at, tick=False):
        return client.get("/staff/", params)


def listed(html: str) -> list[str]:
    return re.findall(r'<td class="reference"><a href="/staff/cases/([^/]+)/">', html)


def counts(html: str) -> dict[str, int]:
    return {
        label: int(count)
        for label, count in re.findall(r'>([A-Za-z ]+)<span class="count">(\d+)</span>', html)
    }


def test_every_view_is_a_link_with_its_count_and_lists_its_cases(people, cases):
    client = verified_client(people["handler"])
    html = get(client).content.decode()
    # "old" was due (acknowledgement) before today: breached; "mid" is due today: at
    # risk; "new" is due on Friday: due this week, like "mid".
    expected = {
        "Mine": 1,
        "Unassigned": 2,
        "At risk": 1,
        "Breached": 1,
        "Due this week": 2,
        "Letters owed": 0,
    }
    assert counts(html) == expected
    for view, label in (
        ("mine", "Mine"),
        ("unassigned", "Unassigned"),
        ("at_risk", "At risk"),
        ("breached", "Breached"),
        ("due_this_week", "Due this week"),
    ):
        page = get(client, view=view)
        assert page.status_code == 200
        assert len(listed(page.content.decode())) == expected[label], view
        assert 'aria-current="page">' + label in page.content.decode()
    assert listed(get(client, view="mine").content.decode()) == [cases["new"]]
    assert listed(get(client, view="breached").content.decode()) == [cases["old"]]
    assert listed(get(client, view="at_risk").content.decode()) == [cases["mid"]]
    assert get(client, view="nonsense").status_code == 400
    # A letter a step recorded as owed (kept by the letters app; set here directly).
    Case.objects.filter(reference=cases["mid"]).update(letters_owed=1)
    html = get(client).content.decode()
    assert counts(html)["Letters owed"] == 1
    assert listed(get(client, view="letters_owed").content.decode()) == [cases["mid"]]


def test_columns_received_age_in_working_days_and_deadline(people, cases):
    html = get(verified_client(people["handler"])).content.decode()
    row = html.split(f'/staff/cases/{cases["mid"]}/"', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells[-3] == "2 Mar 2026"
    assert cells[-2] == "2"  # Monday and Tuesday (today, Wednesday, is not counted)
    assert "by the end of" in cells[-1].lower() or "by end of" in cells[-1].lower()


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("deadline", ["old", "mid", "new"]),
        ("-deadline", ["new", "mid", "old"]),
        ("received", ["old", "mid", "new"]),
        ("-received", ["new", "mid", "old"]),
    ],
)
def test_each_sort_orders_the_rows_and_its_pages_follow_on(people, cases, monkeypatch, sort, order):
    client = verified_client(people["handler"])
    assert listed(get(client, sort=sort).content.decode()) == [cases[k] for k in order]
    monkeypatch.setattr("accord.web.staff.views.PAGE_SIZE", 1)
    seen, params = [], {"sort": sort}
    for _ in range(4):
        html = get(client, **params).content.decode()
        seen += listed(html)
        found = re.search(r'<a href="\?([^"]+)">Next page</a>', html)
        if not found:
            break
        params = dict(parse_qsl(found.group(1).replace("&amp;", "&")))
    assert seen == [cases[k] for k in order]


def test_the_sorted_column_says_so_and_its_heading_turns_the_order(people, cases):
    html = get(verified_client(people["handler"]), sort="received").content.decode()
    assert 'aria-sort="ascending"><a href="?sort=-received">Received' in html
    assert 'aria-sort="descending"><a href="?sort=-received">Age' in html
    assert '<th scope="col"><a href="?sort=deadline">Next deadline' in html


def test_a_page_costs_the_same_queries_however_many_cases(people, cases):
    client = verified_client(people["handler"])

    def cost(**params) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert get(client, **params).status_code == 200
        return len(ctx.captured_queries)

    views = ["", "mine", "unassigned", "at_risk", "breached", "due_this_week", "letters_owed"]
    before = {(v, s): cost(view=v, sort=s) for v in views for s in queue.SORTS}
    for n in range(6):
        submit("ocasa", london(2026, 3, 3, 9 + n), description=f"More {n}.")
    after = {(v, s): cost(view=v, sort=s) for v in views for s in queue.SORTS}
    assert before == after


# --- Sorting by the columns that are not the case's own --------------------------------


@pytest.fixture
def varied(people) -> dict[str, str]:
    """Four cases with other complainants, stages and handlers: "a" and "b" unassigned
    at "Stage 1 - received"; "c" with the senior handler, acknowledged (so at "Stage 1 -
    Customer Resolution Team resolving"); "d" with the handler."""
    names = {"a": "Zoe Baker", "b": "alex Carter", "c": "Mo Dunn", "d": "Bea Evans"}
    made = {}
    for n, (key, name) in enumerate(names.items()):
        made[key] = submit(
            "ocasa",
            london(2026, 3, 2, 9 + n),
            complainant={"name": name, "email": f"{key}@example.com"},
        )
    manager = ApiClient(people["manager"])
    with time_machine.travel(london(2026, 3, 3, 9), tick=False):
        for key, who in (("c", "head"), ("d", "handler")):
            response = manager.post(f"/cases/{made[key]}/assign", {"handler": people[who].username})
            assert response.status_code == 200, response.content
    take(ApiClient(people["head"]), made["c"], london(2026, 3, 3, 10), "acknowledge")
    return made


def pages(client, **params) -> list[list[str]]:
    """Each page's references, following the "Next page" links to the end."""
    found: list[list[str]] = []
    while len(found) < 10:
        html = get(client, **params).content.decode()
        found.append(listed(html))
        link = re.search(r'<a href="\?([^"]+)">Next page</a>', html)
        if not link:
            break
        params = dict(parse_qsl(link.group(1).replace("&amp;", "&")))
    return found


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("reference", "abcd"),
        ("-reference", "dcba"),
        # Case-folded: "alex Carter" before "Bea Evans".
        ("complainant", "bdca"),
        ("-complainant", "acdb"),
        # In the procedure's order: received ("a", "b", "d", by id) before the Customer
        # Resolution Team resolving ("c"), though its label sorts first.
        ("stage", "abdc"),
        ("-stage", "cdba"),
        # By the name shown ("ocasa-handler-…" before "ocasa-senior_handler-…");
        # unassigned cases last, by id, either way round.
        ("handler", "dcab"),
        ("-handler", "cdba"),
    ],
)
def test_every_column_sorts_both_ways_in_keyset_pages(people, varied, monkeypatch, sort, order):
    client = verified_client(people["manager"])
    expected = [varied[k] for k in order]
    assert pages(client, sort=sort) == [expected]
    monkeypatch.setattr("accord.web.staff.views.PAGE_SIZE", 1)
    assert pages(client, sort=sort) == [[reference] for reference in expected]
    monkeypatch.setattr("accord.web.staff.views.PAGE_SIZE", 3)
    assert pages(client, sort=sort) == [expected[:3], expected[3:]]


def test_a_view_keeps_the_sort_and_its_pages(people, varied, monkeypatch):
    monkeypatch.setattr("accord.web.staff.views.PAGE_SIZE", 1)
    client = verified_client(people["manager"])
    assert pages(client, view="unassigned", sort="-complainant") == [
        [varied["a"]],
        [varied["b"]],
    ]


def test_every_heading_is_a_sort_link_with_its_aria_sort(people, varied):
    html = get(verified_client(people["manager"]), sort="-handler").content.decode()
    assert 'aria-sort="descending"><a href="?sort=handler">Handler' in html
    for column in ("reference", "complainant", "stage", "received", "deadline"):
        assert f'<th scope="col"><a href="?sort={column}">' in html
    assert html.count("aria-sort=") == 1


def test_a_later_page_costs_what_the_first_does_whatever_the_table_size(
    people, varied, monkeypatch
):
    monkeypatch.setattr("accord.web.staff.views.PAGE_SIZE", 1)
    client = verified_client(people["manager"])

    def cost(sort: str) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            html = get(client, sort=sort).content.decode()
        first = len(ctx.captured_queries)
        link = re.search(r'<a href="\?([^"]+)">Next page</a>', html)
        assert link is not None
        with CaptureQueriesContext(connection) as ctx:
            assert (
                get(client, **dict(parse_qsl(link.group(1).replace("&amp;", "&")))).status_code
                == 200
            )
        return first, len(ctx.captured_queries)

    before = {sort: cost(sort) for sort in queue.SORTS}
    for n in range(8):
        submit("ocasa", london(2026, 3, 3, 11, n), complainant={"name": f"Extra {n}"})
    assert {sort: cost(sort) for sort in queue.SORTS} == before
    # A later page costs what the first does, or one query more where it reads on into
    # the cases without a value (no deadline, unassigned) — whatever the table size.
    assert all(later - first in (0, 1) for first, later in before.values()), before
    assert before["-handler"][1] == before["-handler"][0] + 1


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        # A text cursor (a name sort's) on the deadline sort, and an instant's on a name sort.
        ("deadline", Cursor("alex carter", 1).encode()),
        ("complainant", Cursor(NOW, 1).encode()),
        ("complainant", "bm90IGEgY3Vyc29y"),
    ],
)
def test_a_cursor_from_another_sort_is_refused_clearly(people, varied, sort, cursor):
    response = get(verified_client(people["manager"]), sort=sort, cursor=cursor)
    assert response.status_code == 400
    assert "the cursor is not one this list gave out" in response.content.decode().lower()


def key() -> str:
    return secrets.token_urlsafe(16)


def bulk(client, references, at=NOW, **fields):
    data = {"submission_key": key(), "case": references, "back": "view=unassigned"}
    data.update({f"bulk-{name}": value for name, value in fields.items()})
    with time_machine.travel(at, tick=False):
        return client.post("/staff/assign/", data)


def test_bulk_assignment_to_a_handler_and_a_team_writes_one_event_per_case(people, cases, ocasa):
    team = Team.objects.create(organisation=ocasa, name="Deposits")
    client = verified_client(people["manager"])
    html = get(client).content.decode()
    assert 'name="case" value="' + cases["old"] in html
    response = bulk(
        client,
        [cases["old"], cases["mid"]],
        handler=people["head"].username,
        team=str(team.pk),
    )
    assert response.status_code == 303
    assert response["Location"] == "/staff/?view=unassigned"
    for reference in (cases["old"], cases["mid"]):
        case = Case.objects.get(reference=reference)
        assert (case.handler, case.team) == (people["head"], team)
        assert Event.objects.filter(case=case, kind="assigned").count() == 1
    with time_machine.travel(NOW, tick=False):
        followed = client.get(response["Location"]).content.decode()
    assert "Assigned 2 cases." in followed


def test_bulk_assignment_refuses_bad_input_clearly(people, cases):
    client = verified_client(people["manager"])
    before = Event.objects.filter(kind="assigned").count()
    unknown = bulk(client, [cases["old"], "OCA-2026-999999"], handler=people["head"].username)
    assert unknown.status_code == 422
    assert "Not open cases of your organisation: OCA-2026-999999" in unknown.content.decode()
    foreign = bulk(client, [cases["old"]], handler=people["other_handler"].username)
    assert foreign.status_code == 400
    assert "Select a valid choice" in foreign.content.decode()
    nothing = bulk(client, [], handler=people["head"].username)
    assert nothing.status_code == 422
    assert "Choose at least one case" in nothing.content.decode()
    nobody = bulk(client, [cases["old"]])
    assert nobody.status_code == 422
    assert "Choose a handler or a team" in nobody.content.decode()
    refused = bulk(verified_client(people["handler"]), [cases["old"]], handler="")
    assert refused.status_code == 403
    assert "Only managers, administrators and senior handlers assign cases" in (
        refused.content.decode()
    )
    assert Event.objects.filter(kind="assigned").count() == before


def test_handlers_see_no_checkboxes(people, cases):
    html = get(verified_client(people["handler"])).content.decode()
    assert 'name="case"' not in html
    assert "/staff/assign/" not in html


def test_a_count_stops_at_its_cap(people, cases, monkeypatch):
    monkeypatch.setattr("accord.cases.queue.COUNT_CAP", 2)
    html = get(verified_client(people["handler"])).content.decode()
    assert 'Unassigned<span class="count">2+</span>' in html
    assert 'Mine<span class="count">1</span>' in html


def test_the_migration_fills_in_the_sort_keys_of_the_cases_already_there(people, varied):
    from django.apps import apps
    from django.db import connection as django_connection

    migration = importlib.import_module("accord.cases.migrations.0022_queue_sort_keys")
    kept = {
        c.reference: (c.complainant_sort, c.handler_sort, c.stage_sort) for c in Case.objects.all()
    }
    Case.objects.update(complainant_sort="", handler_sort=None, stage_sort="")

    class Editor:
        connection = django_connection

        def execute(self, sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql)

    migration._backfill(apps, Editor())
    filled = {
        c.reference: (c.complainant_sort, c.handler_sort, c.stage_sort) for c in Case.objects.all()
    }
    assert filled == kept
    assert kept[varied["c"]] == (
        "mo dunn",
        people["head"].username,
        "0001 stage 1 - customer resolution team resolving",
    )
    assert kept[varied["a"]] == ("zoe baker", None, "0000 stage 1 - received")
