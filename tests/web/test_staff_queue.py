"""The work queue page: the organisation's open cases by next deadline, with badges,
filters, search, and an htmx partial."""

from __future__ import annotations

import pytest
import time_machine

from accord.accounts.models import User
from accord.organisations.models import Team
from tests.conftest import ApiClient, complaint_body, london, verified_client

pytestmark = pytest.mark.django_db


def submit(slug: str, at, **overrides) -> str:
    with time_machine.travel(at, tick=False):
        response = ApiClient().post(
            f"/organisations/{slug}/complaints", complaint_body(**overrides)
        )
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


@pytest.fixture
def handler(ocasa, staff) -> User:
    return staff("ocasa", "handler")


@pytest.fixture
def cases(ocasa, occs, handler) -> dict[str, str]:
    made = {
        "old": submit("ocasa", london(2026, 3, 2, 10), description="Deposit not returned."),
        "new": submit(
            "ocasa",
            london(2026, 3, 4, 10),
            description="The boiler was never repaired.",
            complainant={"name": "Priya Shah", "email": "priya@example.com"},
        ),
        "other_org": submit(
            "occs",
            london(2026, 3, 3, 10),
            respondent_id=occs.businesses.order_by("pk").first().pk,
        ),
    }
    with time_machine.travel(london(2026, 3, 4, 11), tick=False):
        ApiClient(handler).post(f"/cases/{made['new']}/assign", {"handler": handler.username})
    return made


def queue(client, at=None, **params):
    with time_machine.travel(at or london(2026, 3, 4, 12), tick=False):
        return client.get("/staff/", params)


def test_the_queue_lists_the_organisations_open_cases_by_next_deadline(handler, cases):
    page = queue(verified_client(handler))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(cases["old"]) < html.index(cases["new"])
    assert cases["other_org"] not in html
    assert "Priya Shah" in html


def test_badges_show_how_each_deadline_stands(handler, cases):
    # Stage 1 acknowledgement: 2 working days. The first case (Mon 2 March) is due by the
    # end of Wed 4 March: at risk on the 4th, breached on the 5th.
    html = queue(verified_client(handler), at=london(2026, 3, 5, 9)).content.decode()
    assert 'badge badge-breached">Breached' in html
    html = queue(verified_client(handler), at=london(2026, 3, 2, 11)).content.decode()
    assert 'badge badge-on-time">On time' in html


def test_filters(handler, cases, ocasa):
    client = verified_client(handler)
    mine = queue(client, handler="me").content.decode()
    assert cases["new"] in mine
    assert cases["old"] not in mine
    unassigned = queue(client, handler="none").content.decode()
    assert cases["old"] in unassigned
    assert cases["new"] not in unassigned
    by_stage = queue(client, stage="stage2_review").content.decode()
    assert cases["old"] not in by_stage
    assert "No open cases match" in by_stage
    breached = queue(client, at=london(2026, 3, 5, 9), clock_state="breached").content.decode()
    assert cases["old"] in breached
    assert cases["new"] not in breached
    team = Team.objects.create(organisation=ocasa, name="Lettings escalations")
    with time_machine.travel(london(2026, 3, 4, 11), tick=False):
        ApiClient(staff_manager(ocasa)).post(f"/cases/{cases['old']}/assign", {"team_id": team.pk})
    by_team = queue(client, team=team.pk).content.decode()
    assert cases["old"] in by_team
    assert cases["new"] not in by_team


def staff_manager(ocasa) -> User:
    return User.objects.create_user(username="ocasa-mgr", organisation=ocasa, staff_role="manager")


@pytest.mark.parametrize(
    ("words", "finds"),
    [("boiler", "new"), ("priya", "new"), ("deposit returned", "old"), ("Ocasa", "both")],
)
def test_search_over_reference_names_and_description(handler, cases, words, finds):
    html = queue(verified_client(handler), q=words).content.decode()
    if finds == "both":
        assert cases["old"] in html
        assert cases["new"] in html
    else:
        other = "old" if finds == "new" else "new"
        assert cases[finds] in html
        assert cases[other] not in html


def test_search_by_reference(handler, cases):
    html = queue(verified_client(handler), q=cases["new"]).content.decode()
    assert cases["new"] in html
    assert cases["old"] not in html


def test_htmx_gets_only_the_results_table(handler, cases):
    with time_machine.travel(london(2026, 3, 4, 12), tick=False):
        partial = verified_client(handler).get(
            "/staff/", {"q": "boiler"}, headers={"HX-Request": "true"}
        )
    assert partial.status_code == 200
    assert b"<html" not in partial.content
    assert cases["new"].encode() in partial.content


def test_a_bad_filter_or_cursor_is_a_form_error_not_a_crash(handler, cases):
    client = verified_client(handler)
    assert queue(client, clock_state="sideways").status_code == 400
    response = queue(client, cursor="not-a-cursor")
    assert response.status_code == 400
    assert b"There is a problem" in response.content


def test_pages_follow_on(handler, cases, monkeypatch):
    monkeypatch.setattr("accord.web.staff.views.PAGE_SIZE", 1)
    client = verified_client(handler)
    first = queue(client).content.decode()
    assert cases["old"] in first
    assert cases["new"] not in first
    link = first.split('">Next page</a>', 1)[0].rsplit('<a href="?', 1)[1].replace("&amp;", "&")
    with time_machine.travel(london(2026, 3, 4, 12), tick=False):
        second = client.get("/staff/?" + link).content.decode()
    assert cases["new"] in second
    assert cases["old"] not in second


def test_the_navigation_offers_reports_only_to_those_who_may_read_them(staff) -> None:
    handler_page = verified_client(staff("occs", "handler")).get("/staff/").content.decode()
    manager_page = verified_client(staff("occs", "manager")).get("/staff/").content.decode()
    assert 'href="/reports/"' not in handler_page
    assert 'href="/reports/"' in manager_page


def test_a_business_renamed_in_the_admin_is_found_by_its_new_name_and_its_old(occs, staff):
    practice = occs.businesses.filter(is_self=False).order_by("pk").first()
    old_name = practice.name
    reference = submit("occs", london(2026, 3, 2, 10), respondent_id=practice.pk)
    root = User.objects.create_superuser("root", "root@example.com", "a long passphrase 1")
    change = f"/admin/organisations/business/{practice.pk}/change/"
    form = {
        "organisation": occs.pk,
        "name": "Brightside Eyecare Partners",
        "email": practice.email,
        "phone": practice.phone,
        "address": practice.address,
    }
    response = verified_client(root).post(change, form)
    assert response.status_code == 302, response.content.decode()[:2000]

    handler = verified_client(staff("occs", "handler"))
    for words in ("Brightside Eyecare", old_name):
        found = queue(handler, at=london(2026, 3, 3, 12), q=words).content.decode()
        assert reference in found, words
    assert reference not in queue(handler, at=london(2026, 3, 3, 12), q="Nonesuch").content.decode()


def test_what_a_complainant_typed_is_escaped_in_the_queues_rows(handler, ocasa) -> None:
    reference = submit(
        "ocasa",
        london(2026, 3, 4, 10),
        complainant={"name": 'Sam <img src=x onerror="alert(1)">', "email": "sam@example.com"},
    )
    html = queue(verified_client(handler)).content.decode()
    row = html[html.index(f'<a href="/staff/cases/{reference}/">') :]
    row = row[: row.index("</tr>")]
    assert "Sam &lt;img src=x onerror=" in row
    assert "<img" not in html
