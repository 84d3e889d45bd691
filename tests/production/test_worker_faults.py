"""Nothing lost when a task worker dies: two workers on PostgreSQL, one of them killed
with `kill -9` again and again in the middle of tasks. A killed worker's task goes back
to the queue when its lease runs out and another worker runs it to completion; every
task ends successful and every case's receipt notice is queued exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest
from django.conf import settings as live_settings
from django_tasks_db.models import DBTaskResult

from accord.cases.models import Case
from accord.outbox.models import OutboundMessage
from tests.conftest import ApiClient, complaint_body
from tests.production.harness import ROOT, on_postgresql
from tests.production.tasks import slow_receipt_notice

pytestmark = pytest.mark.skipif(
    not on_postgresql(), reason="the fault test runs worker processes on PostgreSQL"
)

CASES = 16


def _worker(env: dict[str, str], worker_id: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--lease",
            "2",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--worker-id",
            worker_id,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_killed_workers_lose_nothing_and_repeat_nothing(committed_db: None, ocasa: Any) -> None:
    db = live_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db.get('HOST') or '127.0.0.1'}:"
        f"{db.get('PORT') or 5432}/{db['NAME']}",
    }
    for n in range(CASES):
        body = complaint_body(complainant={"name": f"P {n}", "email": f"p{n}@example.com"})
        response = ApiClient().post("/organisations/ocasa/complaints", body)
        assert response.status_code == 201, response.content
    case_ids = list(Case.objects.values_list("pk", flat=True))
    for case_id in case_ids:
        slow_receipt_notice.enqueue(case_id)

    started = 0

    def start() -> tuple[str, subprocess.Popen[bytes]]:
        nonlocal started
        started += 1
        return f"fault-{started}", _worker(env, f"fault-{started}")

    workers = dict([start(), start()])
    rng = random.Random(13)
    kills = 0
    deadline = time.monotonic() + 150
    try:
        while kills < 6 and time.monotonic() < deadline:
            # Wait until a live worker is in the middle of a task, then kill it.
            running = [
                t.worker_ids[-1]
                for t in DBTaskResult.objects.filter(status="RUNNING")
                if t.worker_ids and t.worker_ids[-1] in workers
            ]
            if not running:
                time.sleep(0.05)
                continue
            time.sleep(rng.uniform(0.0, 0.5))
            victim = workers.pop(rng.choice(running))
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            kills += 1
            workers.update([start()])
        while time.monotonic() < deadline:
            if not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
                break
            time.sleep(0.5)
    finally:
        for worker in workers.values():
            worker.send_signal(signal.SIGTERM)
        for worker in workers.values():
            worker.wait(timeout=30)

    statuses = Counter(DBTaskResult.objects.values_list("status", flat=True))
    assert kills == 6
    assert statuses == {"SUCCESSFUL": 2 * CASES}, statuses
    receipts = Counter(
        OutboundMessage.objects.filter(purpose="receipt_notice").values_list("case_id", flat=True)
    )
    assert receipts == dict.fromkeys(case_ids, 1)
    # The kills did land mid-task: some tasks were run again by another worker.
    rerun = [t for t in DBTaskResult.objects.all() if len(t.worker_ids) > 1]
    assert rerun, "no task was recovered from a killed worker"
