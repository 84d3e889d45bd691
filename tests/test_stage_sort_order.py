"""By stage the work queue lists cases in their procedure's order — received first,
closed last, as the procedure declares its stages — not by the stage's label in
alphabetical order; the migration that changed the key rewrites the cases already there.
(The queue's own sort by stage, through the page: tests/web/test_staff_queue_views.py.)"""

from __future__ import annotations

import importlib

import pytest
import time_machine
from django.apps import apps

from accord.cases import sort_keys
from accord.cases.models import Case
from accord.procedures.registry import registry
from tests.conftest import ApiClient, complaint_body, london, take

REFILL = importlib.import_module("accord.cases.migrations.0023_stage_sort_by_place")


@pytest.mark.parametrize(
    "procedure",
    [loaded.procedure for loaded in registry().all()],
    ids=lambda procedure: f"{procedure.key}-v{procedure.version}",
)
def test_every_procedure_s_stages_sort_in_the_order_it_declares_them(procedure):
    declared = list(procedure.stages)
    assert sorted(declared, key=lambda key: sort_keys.stage(procedure, key)) == declared
    # A stage the procedure does not have (a case of an older version) comes last.
    assert sort_keys.stage(procedure, "no-such-stage") > sort_keys.stage(procedure, declared[-1])


def submit(at) -> str:
    with time_machine.travel(at, tick=False):
        response = ApiClient().post("/organisations/ocasa/complaints", complaint_body())
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


@pytest.mark.django_db
def test_the_migration_rewrites_the_label_keys_of_the_cases_already_there(staff, ocasa):
    handler = staff("ocasa", "handler")
    waiting, acknowledged = submit(london(2026, 3, 2, 9)), submit(london(2026, 3, 2, 10))
    take(ApiClient(handler), acknowledged, london(2026, 3, 2, 11), "acknowledge")
    kept = dict(Case.objects.values_list("reference", "stage_sort"))
    # Received comes before the Customer Resolution Team resolving, whose label sorts first.
    assert kept[waiting] < kept[acknowledged]
    # As migration 0022 left them: the label alone.
    for case in Case.objects.all():
        stage = registry().get(case.procedure_key, case.procedure_version).stages[case.stage]
        Case.objects.filter(pk=case.pk).update(stage_sort=stage.label.casefold())
    by_label = dict(Case.objects.values_list("reference", "stage_sort"))
    assert by_label[waiting] > by_label[acknowledged]
    REFILL._refill(apps, None)
    assert dict(Case.objects.values_list("reference", "stage_sort")) == kept
