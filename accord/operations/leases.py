"""The task worker's lease. django-tasks-db marks a claimed task RUNNING with the
worker's id and nothing more, so a worker killed mid-task (kill -9, a lost machine)
leaves it RUNNING for ever. Here every worker beats in `ProcessBeat` while it runs;
a RUNNING task whose worker has not beaten for `lease` seconds goes back to READY and
another worker runs it again. Tasks are idempotent (the receipt notice has a stable
Message-ID, so a second run queues nothing more), so a run repeated after a death
takes effect once."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accord.operations.choices import Loop
from accord.operations.models import ProcessBeat

log = logging.getLogger("accord.operations")


def recover_lost_tasks(*, now: dt.datetime, lease: float) -> int:
    """Put back in the queue every RUNNING task whose worker's lease has run out.
    Returns how many."""
    cutoff = now - dt.timedelta(seconds=lease)
    with transaction.atomic():
        running = list(
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
            .only("id", "worker_ids", "started_at")
        )
        if not running:
            return 0
        alive = set(
            ProcessBeat.objects.filter(
                loop=Loop.TASKS, beat_at__gte=cutoff, stopped_at__isnull=True
            ).values_list("process", flat=True)
        )
        lost = [
            task.pk for task in running if not task.worker_ids or task.worker_ids[-1] not in alive
        ]
        if lost:
            DBTaskResult.objects.filter(pk__in=lost, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.READY, started_at=None
            )
    for task_id in lost:
        log.warning("task %s: its worker stopped beating; queued again", task_id)
    return len(lost)
