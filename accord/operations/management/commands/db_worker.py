"""`manage.py db_worker`: django-tasks-db's worker, with a lease. It beats while it
runs (`accord.operations.beats`), puts back in the queue any task whose worker died
(`accord.operations.leases`), stops cleanly on SIGTERM/SIGINT (the task in hand
finishes first) and logs what it did. Never runs under the autoreloader."""

from __future__ import annotations

import logging
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from accord.operations.beats import Heartbeat, beat, process_id, stopped
from accord.operations.choices import Loop
from accord.operations.leases import recover_lost_tasks

log = logging.getLogger("accord.operations")


class LeasedWorker(db_worker.Worker):
    def __init__(self, *, lease: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lease = lease
        self.recovered = 0
        self.failed = 0

    def run_task(self, db_task_result: DBTaskResult[Any, Any]) -> None:
        super().run_task(db_task_result)
        # The row's status as the worker just set and saved it (no need to read it back).
        if db_task_result.status == "FAILED":
            self.failed += 1

    def recover(self) -> None:
        self.recovered += recover_lost_tasks(now=timezone.now(), lease=self.lease)

    def report(self) -> str:
        return f"ran {self._run_tasks} tasks ({self.failed} failed), requeued {self.recovered} lost"


class Command(db_worker.Command):
    help = "Run the background tasks, recovering any whose worker died (a lease)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(reload=False, worker_id=None)
        parser.add_argument(
            "--lease",
            type=float,
            default=float(settings.ACCORD_TASK_LEASE_SECONDS),
            help="seconds without a heartbeat after which a worker's task runs again",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # At the default verbosity the settings' LOGGING decides (LOG_LEVEL): a line per
        # task's start and end at INFO, none at WARNING. -v0 / -v2 set it as
        # django-tasks-db's own worker does.
        if options["verbosity"] != 1:
            self.configure_logging(options["verbosity"])
        worker_id = options["worker_id"] or process_id()
        lease = options["lease"]
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        worker = LeasedWorker(
            lease=lease,
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        beat(Loop.TASKS, worker_id, now=timezone.now())
        # The heartbeat thread also looks for other workers' lost tasks.
        heartbeat = Heartbeat(Loop.TASKS, worker_id, every=max(0.5, lease / 4), also=worker.recover)
        heartbeat.start()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            heartbeat.stop()
            report = worker.report()
            stopped(worker_id, now=timezone.now(), report=report)
            connection.close()
            log.info("task worker %s stopped: %s", worker_id, report)
