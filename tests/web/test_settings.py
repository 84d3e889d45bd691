"""The Settings area: an organisation's administrators configure it from staff pages
(details and working days, closure days, teams, staff and roles, external bodies, the
procedure). Bad input is a form error (422), never a 500; NUL characters included."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_tasks_db.models import DBTaskResult

from accord.accounts.models import User
from accord.cases.models import Case
from accord.organisations.models import Business, ClosureDay, ExternalBody, Organisation, Team
from tests.conftest import london, make_staff, verified_client
from tests.web.test_public_form import open_form

pytestmark = pytest.mark.django_db

KEY = "submission_key"


def key() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture
def acme() -> Organisation:
    return Organisation.objects.create(
        slug="acme",
        name="Acme Homes",
        kind="in_house",
        nation="NIR",
        reference_prefix="ACM",
        procedure_key="housing-ombudsman",
    )


@pytest.fixture
def admin(acme: Organisation) -> User:
    return make_staff(acme, "administrator", "Ada")


@pytest.fixture
def client(admin: User) -> Client:
    return verified_client(admin)


def details(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Acme Homes",
        "kind": "in_house",
        "nation": "NIR",
        "closing_time": "17:00",
        "closures_published_through_day": "",
        "closures_published_through_month": "",
        "closures_published_through": "",
        "address": "1 High Street, Belfast",
        "phone": "028 9000 0000",
        "email": "hello@acme.example",
        "complaints_email": "complaints@acme.example",
        "website": "",
    }
    data.update(overrides)
    return data


def test_a_new_in_house_organisation_takes_a_complaint_the_moment_it_is_saved(
    acme: Organisation,
) -> None:
    assert not Business.objects.filter(organisation=acme).exists()
    sender = Client()
    html, token = open_form(sender, "acme")
    assert 'name="respondent"' not in html
    with time_machine.travel(london(2026, 12, 1, 10, 1), tick=False):
        response = sender.post(
            "/acme/complain/",
            {
                "description": "The boiler has not been repaired.",
                "issue_arose_on": "2026-11-20",
                "desired_outcome": "A repair.",
                "share_information": "yes",
                "name": "Alex Morgan",
                "email": "alex@example.com",
                "phone": "",
                "address": "",
                "website": "",
                "form_token": token,
            },
        )
    assert response.status_code in (302, 303), response.content.decode()[:2000]
    case = Case.objects.get(organisation=acme)
    assert case.respondent.is_self
    assert case.respondent.name == "Acme Homes"


def test_only_administrators_open_settings(acme: Organisation, client: Client) -> None:
    handler = verified_client(make_staff(acme, "handler", "Hal"))
    assert handler.get("/staff/settings/").status_code == 403
    assert client.get("/staff/settings/").status_code == 200
    assert Client().get("/staff/settings/").status_code == 302


def test_details_change_the_calendar_through_its_one_invalidation_point(
    acme: Organisation, client: Client
) -> None:
    response = client.post("/staff/settings/details/", details(nation="SCT", closing_time="16:30"))
    assert response.status_code == 303
    acme.refresh_from_db()
    assert acme.nation == "SCT"
    assert acme.closing_time == dt.time(16, 30)
    assert DBTaskResult.objects.filter(
        task_path__endswith="recompute_after_calendar_change"
    ).exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("name", "Acme\x00Homes", "Contains NUL (U+0000), which cannot be stored; remove it."),
        ("nation", "XXX", "Select a valid choice"),
        ("closing_time", "25:99", "Enter a valid time."),
        ("email", "not-an-address", "Enter a valid email address."),
        ("address", "a\x00b", "Contains NUL (U+0000), which cannot be stored; remove it."),
    ],
)
def test_bad_details_are_form_errors(
    acme: Organisation, client: Client, field: str, value: str, message: str
) -> None:
    response = client.post("/staff/settings/details/", details(**{field: value}))
    assert response.status_code == 422
    assert message in response.content.decode()
    acme.refresh_from_db()
    assert acme.name == "Acme Homes"


def test_closure_days_are_added_and_removed(acme: Organisation, client: Client) -> None:
    data = {
        "date_day": "24",
        "date_month": "12",
        "date": "2026",
        "name": "Christmas Eve",
        KEY: key(),
    }
    assert client.post("/staff/settings/closures/", data).status_code == 303
    day = ClosureDay.objects.get(organisation=acme)
    assert day.date == dt.date(2026, 12, 24)
    again = client.post("/staff/settings/closures/", {**data, KEY: key()})
    assert again.status_code == 422
    assert "already a closure day" in again.content.decode()
    bad = client.post(
        "/staff/settings/closures/", {**data, "date_day": "31", "date_month": "2", KEY: key()}
    )
    assert bad.status_code == 422
    assert "Enter a valid date." in bad.content.decode()
    nul = client.post(
        "/staff/settings/closures/", {**data, "date_day": "23", "name": "x\x00", KEY: key()}
    )
    assert nul.status_code == 422
    assert client.post(f"/staff/settings/closures/{day.pk}/remove/").status_code == 303
    assert not ClosureDay.objects.filter(organisation=acme).exists()


def test_teams(acme: Organisation, client: Client) -> None:
    assert client.post("/staff/settings/teams/", {"name": "Repairs"}).status_code == 303
    team = Team.objects.get(organisation=acme)
    clash = client.post("/staff/settings/teams/", {"name": "repairs"})
    assert clash.status_code == 422
    assert "already a team" in clash.content.decode()
    assert client.post("/staff/settings/teams/", {"name": ""}).status_code == 422
    assert (
        client.post(f"/staff/settings/teams/{team.pk}/", {"name": "Repairs team"}).status_code
        == 303
    )
    team.refresh_from_db()
    assert team.name == "Repairs team"
    other = Team.objects.create(
        organisation=Organisation.objects.create(
            slug="other",
            name="Other",
            kind="in_house",
            nation="ENG",
            reference_prefix="OTH",
            procedure_key="housing-ombudsman",
        ),
        name="Theirs",
    )
    assert client.get(f"/staff/settings/teams/{other.pk}/").status_code == 404
    assert client.post(f"/staff/settings/teams/{team.pk}/remove/").status_code == 303
    assert not Team.objects.filter(organisation=acme).exists()


def new_person(**overrides: Any) -> dict[str, Any]:
    data = {
        "first_name": "Bea",
        "last_name": "Quinn",
        "email": "bea@acme.example",
        "username": "bea",
        "role": "handler",
        "password": "a long enough pass phrase 42",
        KEY: key(),
    }
    data.update(overrides)
    return data


def test_staff_are_added_given_roles_and_deactivated(
    acme: Organisation, admin: User, client: Client
) -> None:
    team = Team.objects.create(organisation=acme, name="Repairs")
    response = client.post("/staff/settings/staff/new/", new_person(teams=[str(team.pk)]))
    assert response.status_code == 303
    bea = User.objects.get(username="bea")
    assert bea.organisation == acme
    assert bea.staff_role == "handler"
    assert bea.check_password("a long enough pass phrase 42")
    assert list(bea.teams.all()) == [team]
    taken = client.post("/staff/settings/staff/new/", new_person(username="BEA"))
    assert taken.status_code == 422
    assert "username is taken" in taken.content.decode()
    weak = client.post("/staff/settings/staff/new/", new_person(username="cat", password="123"))
    assert weak.status_code == 422
    assert "too short" in weak.content.decode()
    assert (
        client.post(
            "/staff/settings/staff/new/", new_person(username="dan", role="boss")
        ).status_code
        == 422
    )
    assert (
        client.post("/staff/settings/staff/new/", new_person(username="d\x00n")).status_code == 422
    )

    assert (
        client.post(f"/staff/settings/staff/{bea.pk}/", {"role": "administrator"}).status_code
        == 303
    )
    bea.refresh_from_db()
    assert bea.staff_role == "administrator"
    assert not bea.teams.exists()
    assert (
        client.post(f"/staff/settings/staff/{bea.pk}/active/", {"active": "0"}).status_code == 303
    )
    bea.refresh_from_db()
    assert not bea.is_active


def test_the_last_administrator_cannot_be_locked_out(
    acme: Organisation, admin: User, client: Client
) -> None:
    demote = client.post(f"/staff/settings/staff/{admin.pk}/", {"role": "handler"})
    assert demote.status_code == 422
    assert "last active administrator" in demote.content.decode()
    client.post(f"/staff/settings/staff/{admin.pk}/active/", {"active": "0"})
    admin.refresh_from_db()
    assert admin.is_active
    assert admin.staff_role == "administrator"


def test_external_bodies(acme: Organisation, client: Client) -> None:
    body = {
        "kind": "ombudsman",
        "name": "Northern Ireland Public Services Ombudsman",
        "time_limit": "Within 6 months of our final response.",
        "website": "https://nipso.org.uk",
        "email": "nipso@nipso.org.uk",
        "phone": "0800 34 34 24",
        "address": "Progressive House, 33 Wellington Place, Belfast, BT1 6HN",
        KEY: key(),
    }
    assert client.post("/staff/settings/bodies/", body).status_code == 303
    saved = ExternalBody.objects.get(organisation=acme)
    assert saved.time_limit == "Within 6 months of our final response."
    bad = client.post(
        "/staff/settings/bodies/", {**body, "website": "not a url", "kind": "court", KEY: key()}
    )
    assert bad.status_code == 422
    assert "Enter a valid URL." in bad.content.decode()
    changed = client.post(f"/staff/settings/bodies/{saved.pk}/", {**body, "phone": "028 9023 3821"})
    assert changed.status_code == 303
    assert client.post(f"/staff/settings/bodies/{saved.pk}/remove/").status_code == 303


def test_the_procedure_is_chosen_from_a_list_of_packs(acme: Organisation, client: Client) -> None:
    page = client.get("/staff/settings/procedure/").content.decode()
    assert "Housing Ombudsman Complaint Handling Code (two stages)" in page
    assert "6.2, 6.3, 6.4, 6.5" in page  # its sources
    assert (
        client.post("/staff/settings/procedure/", {"procedure_key": "client-services"}).status_code
        == 303
    )
    acme.refresh_from_db()
    assert acme.procedure_key == "client-services"
    bad = client.post("/staff/settings/procedure/", {"procedure_key": "housing"})
    assert bad.status_code == 422
    assert "Select a valid choice" in bad.content.decode()


def test_letterhead_and_signatory(acme: Organisation, client: Client) -> None:
    data = {
        "letterhead": "Acme Homes\n1 High Street, Belfast",
        "signatory_name": "Ada Lovelace",
        "signatory_role": "Head of Customer Resolution",
    }
    assert client.post("/staff/settings/letterhead/", data).status_code == 303
    acme.refresh_from_db()
    assert acme.signatory_name == "Ada Lovelace"
    bad = client.post("/staff/settings/letterhead/", {**data, "signatory_name": "x" * 201})
    assert bad.status_code == 422
    assert "Ensure this value has at most 200 characters" in bad.content.decode()
    assert (
        client.post("/staff/settings/letterhead/", {**data, "letterhead": "\x00"}).status_code
        == 422
    )
