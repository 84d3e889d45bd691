"""Corrective actions: opened by the quality keepers and linked to cases (each linked
case's timeline says so), progressed by their owner, verified by someone else."""

from __future__ import annotations

import pytest
import time_machine

from accord.quality.models import CorrectiveAction
from tests.conftest import ApiClient, verified_client
from tests.quality.conftest import RECEIVED, once, put, quality_events, receive

pytestmark = pytest.mark.django_db

NOW = RECEIVED.replace(hour=15)


def body(owner, *references, **overrides):
    return {
        "what": "Add a progress call at day 10 to the client services checklist.",
        "owner": owner.username,
        "due_on": "2026-12-18",
        "cases": list(references),
        **overrides,
    }


def open_action(client, payload):
    with time_machine.travel(NOW, tick=False):
        return client.post("/quality/actions", payload)


@pytest.fixture
def team(seeded, staff):
    return {
        "manager": staff("optimised", "manager"),
        "second_manager": staff("optimised", "manager"),
        "handler": staff("optimised", "handler"),
        "outsider": staff("ocasa", "manager"),
    }


def test_an_action_linked_to_two_cases_is_on_both_timelines(team):
    first, second = receive("optimised"), receive("optimised")
    response = open_action(
        ApiClient(team["manager"]), body(team["handler"], first.reference, second.reference)
    )
    assert response.status_code == 201, response.content
    shown = response.json()
    assert shown["cases"] == sorted([first.reference, second.reference])
    assert shown["status"] == "open"
    for case in (first, second):
        assert quality_events(case) == [
            (
                "corrective_action_linked",
                {
                    "corrective_action": shown["id"],
                    "status": "open",
                    "owner": team["handler"].pk,
                    "due_on": "2026-12-18",
                },
            )
        ]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"due_on": "2026-02-30"}, "due_on"),
        ({"due_on": "not a date"}, "due_on"),
        ({"due_on": "2026-11-30"}, "due_on"),  # in the past
        ({"what": ""}, "what"),
        ({"status": "verified"}, "status"),
        ({"cases": ["OPT-2026-99999"]}, "cases"),
    ],
)
def test_bad_input_is_refused_with_the_field(team, overrides, field):
    response = open_action(ApiClient(team["manager"]), body(team["handler"], **overrides))
    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    assert not CorrectiveAction.objects.exists()


def test_another_organisations_case_reads_as_unknown(team):
    theirs = receive("ocasa")
    response = open_action(ApiClient(team["manager"]), body(team["handler"], theirs.reference))
    unknown = open_action(ApiClient(team["manager"]), body(team["handler"], "OCA-2026-99999"))
    assert response.status_code == unknown.status_code == 422
    assert response.json()["message"] == f"no such case: {theirs.reference}"
    assert quality_events(theirs) == []


def test_the_owner_must_be_the_organisations_staff(team):
    response = open_action(ApiClient(team["manager"]), body(team["outsider"]))
    assert response.status_code == 422
    assert response.json()["field"] == "owner"


def test_handlers_may_not_open_actions(team):
    response = open_action(ApiClient(team["handler"]), body(team["handler"]))
    assert response.status_code == 403
    with time_machine.travel(NOW, tick=False):
        page = verified_client(team["handler"]).get("/quality/actions/new/")
    assert page.status_code == 403


def test_the_owner_completes_and_someone_else_verifies(team):
    case = receive("optimised")
    manager, owner = team["manager"], team["second_manager"]
    action_id = open_action(ApiClient(manager), body(owner, case.reference)).json()["id"]
    with time_machine.travel(NOW, tick=False):
        too_soon = ApiClient(manager).post(f"/quality/actions/{action_id}/verify")
        done = ApiClient(owner).post(
            f"/quality/actions/{action_id}/progress", {"status": "completed"}
        )
        by_owner = ApiClient(owner).post(f"/quality/actions/{action_id}/verify")
        verified = ApiClient(manager).post(f"/quality/actions/{action_id}/verify")
        changed_after = put(ApiClient(manager), f"/quality/actions/{action_id}", body(owner))
    assert too_soon.status_code == 409
    assert done.status_code == 200
    assert done.json()["status"] == "completed"
    assert by_owner.status_code == 422
    assert "owner" in by_owner.json()["message"]
    assert verified.status_code == 200
    assert verified.json()["verified_by"] == manager.username
    assert verified.json()["verified_at"] is not None
    assert changed_after.status_code == 409
    assert [action for action, _ in quality_events(case)] == [
        "corrective_action_linked",
        "corrective_action_updated",
        "corrective_action_verified",
    ]


def test_the_verify_page_refuses_the_owner(team):
    owner = team["manager"]
    action_id = open_action(ApiClient(owner), body(owner, status="completed")).json()["id"]
    client = verified_client(owner)
    with time_machine.travel(NOW, tick=False):
        page = client.get(f"/quality/actions/{action_id}/")
        response = client.post(f"/quality/actions/{action_id}/verify/", follow=True)
    assert "Verify this action" not in page.content.decode()
    assert "cannot verify" in response.content.decode()
    assert CorrectiveAction.objects.get(pk=action_id).verified_by is None


def test_changing_the_cases_says_so_on_each_timeline(team):
    kept, dropped, added = (receive("optimised") for _ in range(3))
    manager = team["manager"]
    action_id = open_action(
        ApiClient(manager), body(team["handler"], kept.reference, dropped.reference)
    ).json()["id"]
    with time_machine.travel(NOW, tick=False):
        response = verified_client(manager).post(
            f"/quality/actions/{action_id}/",
            {
                "what": "Add a progress call at day 10.",
                "owner": team["handler"].pk,
                "due_on": "2026-12-21",
                "status": "in_progress",
                "root_cause": "",
                "cases": f"{kept.reference}, {added.reference}",
            },
        )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert [a for a, _ in quality_events(kept)][-1] == "corrective_action_updated"
    assert [a for a, _ in quality_events(dropped)][-1] == "corrective_action_unlinked"
    assert [a for a, _ in quality_events(added)] == ["corrective_action_linked"]
    assert quality_events(kept)[-1][1]["changed"] == ["what", "due_on", "status"]


def test_the_form_shows_unknown_cases_and_impossible_dates(team):
    with time_machine.travel(NOW, tick=False):
        response = verified_client(team["manager"]).post(
            "/quality/actions/new/",
            once(
                what="Retrain",
                owner=team["handler"].pk,
                due_on="2026-13-01",
                status="open",
                cases="",
            ),
        )
        unknown = verified_client(team["manager"]).post(
            "/quality/actions/new/",
            once(
                what="Retrain",
                owner=team["handler"].pk,
                due_on="2026-12-20",
                status="open",
                cases="OPT-2026-424242",
            ),
        )
    assert response.status_code == 200
    assert "Enter a valid date" in response.content.decode()
    assert unknown.status_code == 200
    assert "No such case: OPT-2026-424242" in unknown.content.decode()
    assert not CorrectiveAction.objects.exists()


def test_another_organisations_action_is_not_found(team):
    action_id = open_action(ApiClient(team["manager"]), body(team["handler"])).json()["id"]
    outsider = team["outsider"]
    with time_machine.travel(NOW, tick=False):
        api = ApiClient(outsider)
        assert api.get(f"/quality/actions/{action_id}").status_code == 404
        assert api.post(f"/quality/actions/{action_id}/verify").status_code == 404
        assert put(api, f"/quality/actions/{action_id}", body(outsider)).status_code == 404
        client = verified_client(outsider)
        assert client.get(f"/quality/actions/{action_id}/").status_code == 404
        assert client.post(f"/quality/actions/{action_id}/verify/").status_code == 404
        assert api.get("/quality/actions/999999").status_code == 404


def test_a_retried_form_opens_one_action(team):
    case = receive("optimised")
    client = verified_client(team["manager"])
    sent = once(
        what="Retrain the team on acknowledgements",
        owner=team["handler"].pk,
        due_on="2026-12-20",
        status="open",
        cases=case.reference,
    )
    with time_machine.travel(NOW, tick=False):
        first = client.post("/quality/actions/new/", sent)
        again = client.post("/quality/actions/new/", sent)
    assert first.status_code == 302
    assert again.status_code == 303
    assert CorrectiveAction.objects.count() == 1
    assert [a for a, _ in quality_events(case)] == ["corrective_action_linked"]
