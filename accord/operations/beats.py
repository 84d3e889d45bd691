"""Heartbeats and passes of the loop processes (worker, sweeper, outbox, listener)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable

from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string

from accord.operations.models import ProcessBeat

log = logging.getLogger("accord.operations")


def process_id() -> str:
    """A worker id unique across machines and restarts: host, pid, a random part."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"


def beat(loop: str, process: str, *, now: dt.datetime, report: str | None = None) -> None:
    """Say this process is alive; with a report, also that it finished a pass."""
    values: dict[str, object] = {"loop": loop, "beat_at": now, "stopped_at": None}
    if report is not None:
        values.update(last_pass_at=now, last_report=report[:2000])
    updated = ProcessBeat.objects.filter(process=process).update(**values)
    if not updated:
        ProcessBeat.objects.create(process=process, started_at=now, **values)


def stopped(process: str, *, now: dt.datetime, report: str) -> None:
    ProcessBeat.objects.filter(process=process).update(
        stopped_at=now, beat_at=now, last_report=report[:2000]
    )


class Heartbeat(threading.Thread):
    """Beats every `every` seconds on its own database connection, while the process's
    main thread works (a long task does not make the worker look dead)."""

    def __init__(
        self, loop: str, process: str, every: float, also: Callable[[], None] | None = None
    ) -> None:
        super().__init__(name=f"heartbeat-{loop}", daemon=True)
        self.loop, self.process, self.every, self.also = loop, process, every, also
        self.halt = threading.Event()

    def run(self) -> None:
        try:
            while not self.halt.is_set():
                try:
                    close_old_connections()
                    beat(self.loop, self.process, now=timezone.now())
                    if self.also is not None:
                        self.also()
                except Exception:  # a database blip: the next beat tries again
                    log.exception("heartbeat failed")
                self.halt.wait(self.every)
        finally:
            connection.close()

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=self.every + 5)
