"""A case stays on the procedure version in force when it was received; extensions
are capped where the procedure caps them."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from accord.cases import actions, engine
from accord.cases.choices import Channel
from accord.cases.errors import ActionRefused
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Clock
from accord.organisations.models import Organisation
from accord.procedures.registry import Registry
from accord.workdays.deadlines import Unit
from tests.conftest import london
from tests.test_procedure_validation import MINIMAL

pytestmark = pytest.mark.django_db


@pytest.fixture
def packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    first = copy.deepcopy(MINIMAL)
    first["clocks"]["acknowledgement"].update(
        extendable=True, extension_cap={"amount": 10, "unit": "working_days"}
    )
    second = copy.deepcopy(first)
    second["version"] = 2
    second["effective_from"] = "2026-06-01"
    second["revisions"].append({**MINIMAL["revisions"][0], "version": "2"})
    second["clocks"]["acknowledgement"]["amount"] = 5
    for document in (first, second):
        path = tmp_path / "tiny" / f"v{document['version']}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(document))
    registry = Registry(tmp_path)
    monkeypatch.setattr("accord.cases.intake.registry", lambda: registry)
    monkeypatch.setattr("accord.cases.engine.registry", lambda: registry)
    return registry


@pytest.fixture
def tiny_org(packs: Registry) -> Organisation:
    organisation = Organisation.objects.create(
        slug="tiny",
        name="Tiny",
        kind="in_house",
        nation="ENG",
        reference_prefix="TNY",
        procedure_key="tiny",
    )
    organisation.businesses.create(name="Tiny", is_self=True)
    return organisation


def receive(organisation: Organisation, at):
    complaint = Complaint(
        complainant=ComplainantDetails(name="Pat"), description="A problem.", channel=Channel.EMAIL
    )
    return receive_complaint(organisation, complaint, now=at)[0]


def test_a_case_stays_on_the_version_in_force_when_it_was_received(tiny_org, staff):
    handler = staff("optimised", "handler")
    handler.organisation = tiny_org
    handler.save()
    before = receive(tiny_org, london(2026, 5, 29, 10))  # a Friday, before version 2
    after = receive(tiny_org, london(2026, 6, 1, 10))
    assert (before.procedure_version, after.procedure_version) == (1, 2)
    # Version 1: 2 working days from Friday 29 May 2026 -> Tuesday 2 June.
    assert Clock.objects.get(case=before).explanation["due_date"] == "2026-06-02"
    # Version 2: 5 working days from Monday 1 June 2026 -> Monday 8 June.
    assert Clock.objects.get(case=after).explanation["due_date"] == "2026-06-08"
    # The old case is still worked under version 1 after version 2 comes into force.
    engine.take_step(
        before.pk, handler, "acknowledge", engine.StepRequest(), now=london(2026, 6, 2)
    )
    assert Clock.objects.get(case=before).status == "stopped"


def test_an_extension_beyond_the_cap_is_refused_with_the_cap_named(tiny_org, staff):
    handler = staff("optimised", "handler")
    handler.organisation = tiny_org
    handler.save()
    case = receive(tiny_org, london(2026, 3, 2, 10))
    actions.extend_clock(
        case.pk,
        handler,
        "acknowledgement",
        amount=6,
        unit=Unit.WORKING_DAYS,
        reason="Waiting for the contractor's report",
        now=london(2026, 3, 3),
    )
    clock = Clock.objects.get(case=case)
    # 2 working days from Monday 2 March, then 6 more: Wednesday 4 -> Thursday 12 March.
    assert clock.explanation["due_date"] == "2026-03-12"
    assert "Waiting for the contractor's report" in " ".join(clock.explanation["lines"])
    with pytest.raises(ActionRefused, match="at most 10 working days in all; 6 already used"):
        actions.extend_clock(
            case.pk,
            handler,
            "acknowledgement",
            amount=5,
            unit=Unit.WORKING_DAYS,
            reason="Still waiting",
            now=london(2026, 3, 4),
        )
    with pytest.raises(ActionRefused, match="extended in working_days"):
        actions.extend_clock(
            case.pk,
            handler,
            "acknowledgement",
            amount=1,
            unit=Unit.WEEKS,
            reason="Still waiting",
            now=london(2026, 3, 4),
        )
