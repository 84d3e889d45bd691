"""Taking a step locks the case's own row, never its organisation's: two handlers of one
organisation working on two cases never wait for each other (PostgreSQL; SQLite locks
the whole database for a write anyway)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

from accord.cases.engine import lock_case
from accord.cases.models import Case
from tests.conftest import ApiClient, complaint_body
from tests.production.harness import on_postgresql

pytestmark = pytest.mark.skipif(not on_postgresql(), reason="row locks are PostgreSQL's")


def test_locking_a_case_leaves_its_organisation_and_complainant_free(committed_db, occs):
    body = complaint_body(respondent_id=occs.businesses.order_by("pk").first().pk)
    made = ApiClient().post("/organisations/occs/complaints", body)
    assert made.status_code == 201, made.content
    reference = made.json()["reference"]
    case = Case.objects.get(reference=reference)
    params = connection.get_connection_params()
    with transaction.atomic():
        lock_case(case.pk)
        with psycopg.connect(**params, autocommit=True) as other:
            # NOWAIT: an error at once if the row were locked by the step above.
            other.execute(
                "SELECT id FROM organisations_organisation WHERE id = %s FOR UPDATE NOWAIT",
                [case.organisation_id],
            )
            other.execute(
                "SELECT id FROM cases_complainant WHERE id = %s FOR UPDATE NOWAIT",
                [case.complainant_id],
            )
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute(
                    "SELECT id FROM cases_case WHERE id = %s FOR UPDATE NOWAIT", [case.pk]
                )
