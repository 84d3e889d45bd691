"""The task worker says what it did when it stops: how many tasks it ran and how many
of them failed, as each task's own row records it."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from accord.operations.management.commands.db_worker import LeasedWorker
from tests.production.tasks import echo_task, failing_task

# The worker checks its connection as a long-lived process does (close_old_connections),
# which closes one inside a test transaction on PostgreSQL: the test commits as the worker.
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_report_counts_the_failed_tasks() -> None:
    echo_task.enqueue("fine")
    failing_task.enqueue("broken on purpose")
    worker = LeasedWorker(
        lease=60,
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="report-test",
        excluded_queue_names=[],
    )
    worker.run()
    statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
    assert statuses == ["FAILED", "SUCCESSFUL"]
    assert worker.report() == "ran 2 tasks (1 failed), requeued 0 lost"
