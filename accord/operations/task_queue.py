"""django-tasks-db's backend, its task rows written through `accord.rows`: one prepared
INSERT in the caller's transaction instead of the ORM's `create` (whose query building
was most of the 0.8 ms of CPU an enqueue cost; intake queues a receipt notice with every
complaint). The row is the one django-tasks-db writes, every column prepared by its field."""

from __future__ import annotations

from typing import Any

from django_tasks_db import backend
from django_tasks_db.compat import normalize_json
from django_tasks_db.models import DBTaskResult

from accord import rows


class DatabaseBackend(backend.DatabaseBackend):
    def _task_to_db_task(self, task: Any, args: Any, kwargs: Any) -> DBTaskResult[Any, Any]:
        row: DBTaskResult[Any, Any] = DBTaskResult(
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,
            backend_name=self.alias,
        )
        rows.insert([row])
        return row
