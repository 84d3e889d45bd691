"""A slow receipt notice for the fault test: the real task, with time around it so a
`kill -9` lands while a worker is in the middle of it."""

from __future__ import annotations

import time

from django_tasks import task

from accord.cases.tasks import send_receipt_notice


@task()
def slow_receipt_notice(case_id: int) -> str:
    time.sleep(0.3)
    result = send_receipt_notice.call(case_id)
    time.sleep(0.3)  # killed here, the notice is queued but the task still RUNNING
    return str(result)


@task()
def failing_task(message: str) -> str:
    raise RuntimeError(message)


@task()
def echo_task(message: str) -> str:
    return message
