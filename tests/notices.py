"""Running the deferred work a test queued, as `manage.py db_worker` would once each
task's time has come (here at once: a digest window need not be waited out)."""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult


def run_tasks(*, only: str = "", rounds: int = 5) -> list[Any]:
    """Run every ready task (ending in `only`, if given), and those they queue."""
    results: list[Any] = []
    for _ in range(rounds):
        ready = DBTaskResult.objects.filter(status="READY").order_by("enqueued_at")
        if only:
            ready = ready.filter(task_path__endswith=only)
        batch = list(ready)
        if not batch:
            break
        for row in batch:
            task = import_string(row.task_path)
            results.append(task.call(*row.args_kwargs["args"], **row.args_kwargs["kwargs"]))
            DBTaskResult.objects.filter(pk=row.pk).update(status="SUCCESSFUL")
    return results
