"""Tasks are queued as django-tasks-db queues them, the row written through accord.rows:
every column as its own backend writes it, in the caller's transaction (a rolled-back
change queues nothing), and the worker runs it."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tasks import task_backends
from django_tasks_db import backend as tasks_db
from django_tasks_db.models import DBTaskResult

from accord.cases.tasks import send_receipt_notice
from accord.operations.task_queue import DatabaseBackend

pytestmark = pytest.mark.django_db

COLUMNS = ["status", "args_kwargs", "priority", "task_path", "queue_name", "backend_name"]


def test_the_row_is_the_one_django_tasks_db_writes() -> None:
    ours = task_backends["default"]
    assert isinstance(ours, DatabaseBackend)
    queued = send_receipt_notice.enqueue(12345)
    theirs = tasks_db.DatabaseBackend.enqueue(ours, send_receipt_notice, (12345,), {})
    mine, django = (DBTaskResult.objects.get(pk=r.id) for r in (queued, theirs))
    assert [getattr(mine, c) for c in COLUMNS] == [getattr(django, c) for c in COLUMNS]
    assert mine.run_after == django.run_after
    assert mine.enqueued_at is not None
    assert mine.args_kwargs == {"args": [12345], "kwargs": {}}
    assert DBTaskResult.objects.ready().filter(pk=mine.pk).exists()


def test_a_rolled_back_change_queues_nothing() -> None:
    def queue_then_fail() -> None:
        with transaction.atomic():
            send_receipt_notice.enqueue(1)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        queue_then_fail()
    assert not DBTaskResult.objects.exists()
