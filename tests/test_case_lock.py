"""Taking a step locks the case's own row, never its organisation's: two handlers of one
organisation working on two cases never wait for each other (PostgreSQL; SQLite locks
the whole database for a write anyway)."""

from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from accord.accounts.models import User
from accord.cases import actions, sort_keys
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


def test_an_assignment_waits_for_its_handlers_rename_and_sorts_by_the_new_name(
    committed_db, ocasa, staff
):
    """A rename locks the member of staff before it rewrites their cases' sort key; an
    assignment takes the same lock before the case's, so one assigned while the rename
    is under way waits, and reads the new name (not the one its request loaded)."""
    manager, handler = staff("ocasa", "manager"), staff("ocasa", "handler")
    made = ApiClient().post("/organisations/ocasa/complaints", complaint_body())
    assert made.status_code == 201, made.content
    case = Case.objects.get(reference=made.json()["reference"])
    loaded = User.objects.get(pk=handler.pk)  # as the assigning request read it
    failures: list[BaseException] = []

    def assign() -> None:
        try:
            actions.assign(case.pk, manager, handler=loaded, now=timezone.now())
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    with psycopg.connect(**connection.get_connection_params()) as renaming:
        renaming.execute("SELECT id FROM accounts_user WHERE id = %s FOR UPDATE", [handler.pk])
        renaming.execute(
            "UPDATE accounts_user SET first_name = 'Zed', last_name = 'Zulu' WHERE id = %s",
            [handler.pk],
        )
        worker = threading.Thread(target=assign)
        worker.start()
        worker.join(1.0)
        assert worker.is_alive()  # waiting for the rename
        renaming.commit()
    worker.join(30)
    assert not failures, failures
    case.refresh_from_db()
    assert case.handler_id == handler.pk
    assert case.handler_sort == sort_keys.handler(User.objects.get(pk=handler.pk))
    assert "zed" in (case.handler_sort or "")
