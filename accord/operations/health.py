"""`/healthz` (the process answers) and `/readyz` (it can do its work: database, cache
and storage reachable, migrations applied, the sweeper's and outbox's last pass and
the oldest waiting task within limits), as JSON a load balancer reads: 200 or 503."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Max, Min
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tasks_db.models import DBTaskResult

from accord.operations.choices import Loop
from accord.operations.models import ProcessBeat

log = logging.getLogger("accord.operations")

Check = Callable[[dt.datetime], str]


def _database(now: dt.datetime) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return connection.vendor


def _migrations(now: dt.datetime) -> str:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise RuntimeError(f"{len(pending)} migrations not applied")
    return "applied"


def _cache(now: dt.datetime) -> str:
    cache.set("readyz-probe", now.isoformat(), 30)
    if cache.get("readyz-probe") != now.isoformat():
        raise RuntimeError("what was written could not be read back")
    return str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1]


def _storage(now: dt.datetime) -> str:
    default_storage.exists("readyz-probe")
    return type(default_storage).__name__


def _last_pass(loop: str, limit_setting: str) -> Check:
    def check(now: dt.datetime) -> str:
        limit = int(getattr(settings, limit_setting))
        last = ProcessBeat.objects.filter(loop=loop).aggregate(at=Max("last_pass_at"))["at"]
        if last is None:
            raise RuntimeError("no pass recorded yet")
        age = (now - last).total_seconds()
        if age > limit:
            raise RuntimeError(f"last pass {age:.0f}s ago (limit {limit}s)")
        return f"last pass {age:.0f}s ago"

    return check


def _tasks(now: dt.datetime) -> str:
    limit = int(settings.ACCORD_READY_TASK_AGE_SECONDS)
    # ready(): waiting now, as a worker picks them — a task with no run_after is stored
    # with the latest date there is, not NULL.
    oldest = DBTaskResult.objects.ready().aggregate(at=Min("enqueued_at"))["at"]
    if oldest is None:
        return "none waiting"
    age = (now - oldest).total_seconds()
    if age > limit:
        raise RuntimeError(f"oldest waiting task queued {age:.0f}s ago (limit {limit}s)")
    return f"oldest waiting {age:.0f}s"


CHECKS: dict[str, Check] = {
    "database": _database,
    "migrations": _migrations,
    "cache": _cache,
    "storage": _storage,
    "sweeper": _last_pass(Loop.SWEEP, "ACCORD_READY_SWEEP_SECONDS"),
    "outbox": _last_pass(Loop.OUTBOX, "ACCORD_READY_OUTBOX_SECONDS"),
    "tasks": _tasks,
}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = {"ok": True, "detail": check(now)}
        except Exception as exc:  # every failure is a reason to take this one out
            results[name] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"[:300]}
    ready = all(result["ok"] for result in results.values())
    response = JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": results},
        status=200 if ready else 503,
    )
    if not ready:
        failing = "; ".join(f"{n}: {r['detail']}" for n, r in results.items() if not r["ok"])
        log.warning("not ready: %s", failing)
        # A state the load balancer acts on, said above with its reasons: not a server
        # error for django.request to log again at ERROR on every probe.
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response
