"""A case's root cause and lessons learned: recorded by the quality managers or the
case's own handler, each change an event on the case's timeline."""

from __future__ import annotations

import pytest
import time_machine

from accord.cases import actions as case_actions
from accord.quality.models import CaseQuality, RootCause
from tests.conftest import ApiClient, verified_client
from tests.quality.conftest import RECEIVED, put, quality_events, receive

pytestmark = pytest.mark.django_db

LATER = RECEIVED.replace(hour=14)


def cause(slug: str, name: str) -> RootCause:
    return RootCause.objects.get(organisation__slug=slug, name=name)


def test_the_handler_records_the_root_cause_of_their_case_on_its_timeline(seeded, staff):
    case = receive("optimised")
    handler = staff("optimised", "handler")
    case_actions.assign(case.pk, handler, handler=handler, now=RECEIVED)
    delay = cause("optimised", "Delay")

    with time_machine.travel(LATER, tick=False):
        response = verified_client(handler).post(
            f"/quality/cases/{case.reference}/",
            {"root_cause": delay.pk, "lessons_learned": "Tell clients when work slips."},
        )
    assert response.status_code == 302, response.content.decode()[-3000:]
    record = CaseQuality.objects.get(case=case)
    assert record.root_cause == delay
    assert record.lessons_learned == "Tell clients when work slips."
    assert quality_events(case) == [
        (
            "quality_record_updated",
            {"root_cause": {"id": delay.pk, "name": "Delay"}, "lessons_learned": "recorded"},
        )
    ]


def test_saving_the_same_record_again_writes_no_event(seeded, staff):
    case = receive("optimised")
    manager = staff("optimised", "manager")
    body = {"root_cause_id": cause("optimised", "Delay").pk, "lessons_learned": "x"}
    client = ApiClient(manager)
    with time_machine.travel(LATER, tick=False):
        first = put(client, f"/quality/cases/{case.reference}", body)
        again = put(client, f"/quality/cases/{case.reference}", body)
    assert first.status_code == 200, first.content
    assert again.status_code == 200
    assert first.json()["root_cause"]["name"] == "Delay"
    assert len(quality_events(case)) == 1


def test_a_handler_not_on_the_case_may_read_but_not_record(seeded, staff):
    case = receive("optimised")
    someone_else = staff("optimised", "handler")
    client = verified_client(someone_else)
    with time_machine.travel(LATER, tick=False):
        page = client.get(f"/quality/cases/{case.reference}/")
        refused = client.post(
            f"/quality/cases/{case.reference}/", {"root_cause": "", "lessons_learned": "x"}
        )
    assert page.status_code == 200
    assert "<form" not in page.content.decode().split("<main", 1)[1].split("Corrective actions")[0]
    assert refused.status_code == 403
    assert quality_events(case) == []


def test_another_organisations_case_or_root_cause_is_not_found(seeded, staff):
    theirs = receive("ocasa")
    ours = receive("optimised")
    manager = staff("optimised", "manager")
    client = verified_client(manager)
    with time_machine.travel(LATER, tick=False):
        assert client.get(f"/quality/cases/{theirs.reference}/").status_code == 404
        assert client.get("/quality/cases/OPT-NOPE/").status_code == 404
        assert ApiClient(manager).get(f"/quality/cases/{theirs.reference}").status_code == 404
        # Another organisation's category is not on offer.
        response = client.post(
            f"/quality/cases/{ours.reference}/",
            {"root_cause": cause("ocasa", "Deposits").pk, "lessons_learned": ""},
        )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert quality_events(ours) == []
    assert quality_events(theirs) == []
