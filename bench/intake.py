"""Intake bench: what one complaint costs to receive, and how many Accord takes a second.

Targets (printed against, never asserted): one intake (case, first event, clocks,
receipt notice queued) in <= 8 SQL queries, and >= 400 cases/s in-process on SQLite
on a 2-core machine. Also creates cases through the public API in-process
(django.test.Client) and over HTTP against a real `manage.py runserver` on 127.0.0.1.

    .venv/bin/python bench/intake.py [--n 2000] [--threads 4]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/accord_bench .venv/bin/python bench/intake.py

Runs on a throwaway SQLite database unless DATABASE_URL is set (see bench/README.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/<script>.py` puts bench/ first on sys.path, where bench/queue.py would
# shadow the standard library's `queue`; the project root goes there instead.
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import urllib.request  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from typing import IO, Any  # noqa: E402

from bench import _common  # noqa: E402

QUERY_TARGET = 8
RATE_TARGET = 400.0
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
ERROR_LINE = re.compile(r"^[\w.]+(Error|Exception): ")
CHANNELS = ["web_form", "email", "phone", "letter"]


def _payload(i: int, respondent_id: int | None) -> dict[str, Any]:
    """A public complaint, as the web form sends it."""
    body: dict[str, Any] = {
        "complainant": {
            "name": f"Bench Complainant {i}",
            "email": f"complainant{i}@example.com",
            "phone": "01234 567890",
        },
        "description": f"Complaint {i}: the service was not what was promised, twice.",
        "desired_outcome": "An apology and a refund.",
        "issue_arose_on": (dt.date.today() - dt.timedelta(days=10 + i % 200)).isoformat(),
        "category": "service",
    }
    if respondent_id is not None:
        body["respondent_id"] = respondent_id
    return body


class Orgs:
    """The three seed organisations and, for each, the business a complaint is about
    (None: an in-house team's complaints are about itself)."""

    def __init__(self) -> None:
        from accord.organisations.models import Business, Organisation

        self.items = list(Organisation.objects.order_by("slug"))
        self.respondent: dict[int, int | None] = {}
        for org in self.items:
            if Business.objects.filter(organisation=org, is_self=True).exists():
                self.respondent[org.pk] = None
            else:
                first = Business.objects.filter(organisation=org).order_by("pk").first()
                self.respondent[org.pk] = first.pk if first else None

    def pick(self, i: int) -> Any:
        return self.items[i % len(self.items)]


def _complaint(i: int, respondent_id: int | None) -> Any:
    from accord.cases.choices import Channel
    from accord.cases.intake import ComplainantDetails, Complaint

    data = _payload(i, respondent_id)
    return Complaint(
        complainant=ComplainantDetails(**data["complainant"]),
        description=data["description"],
        desired_outcome=data["desired_outcome"],
        issue_arose_on=dt.date.fromisoformat(data["issue_arose_on"]),
        category=data["category"],
        respondent_id=respondent_id,
        channel=Channel(CHANNELS[i % len(CHANNELS)]),
    )


def bench_queries(orgs: Orgs, samples: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accord.cases.intake import receive_complaint

    print(f"\n(a) SQL queries per receive_complaint ({samples} intakes per variant)")
    print("    data = statements that read or write rows (BEGIN/COMMIT/SAVEPOINT not counted);")
    print("    measured after each organisation's first case of the year (+1: its counter row)")
    for i, org in enumerate(orgs.items):
        receive_complaint(org, _complaint(i, orgs.respondent[org.pk]), now=timezone.now())
    for label, with_key in (("no Idempotency-Key", False), ("with Idempotency-Key", True)):
        data_counts: list[int] = []
        all_counts: list[int] = []
        last: dict[str, list[dict[str, str]]] = {}
        for i in range(samples):
            org = orgs.pick(i)
            complaint = _complaint(i, orgs.respondent[org.pk])
            key = f"bench-q-{i}-{time.monotonic_ns()}" if with_key else None
            with CaptureQueriesContext(connection) as ctx:
                receive_complaint(org, complaint, now=timezone.now(), idempotency_key=key)
            all_counts.append(len(ctx.captured_queries))
            data_counts.append(
                sum(
                    1
                    for query in ctx.captured_queries
                    if not query["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
                )
            )
            last[org.slug] = ctx.captured_queries
        verdict = "meets" if max(data_counts) <= QUERY_TARGET else "MISSES"
        if with_key:
            verdict = f"{verdict}; +1 by design: it first looks for an earlier attempt"
        print(
            f"  {label:22} data avg {sum(data_counts) / samples:.2f} max {max(data_counts)}"
            f"  | all captured avg {sum(all_counts) / samples:.2f} max {max(all_counts)}"
            f"  (target <= {QUERY_TARGET}: {verdict})"
        )
        for slug, captured in sorted(last.items()):
            print(f"    {slug:10} {len(captured):2}: {_common.statement_summary(captured)}")


def bench_direct(orgs: Orgs, n: int, profile: bool) -> None:
    from django.utils import timezone

    from accord.cases.intake import receive_complaint

    complaints = [(orgs.pick(i), _complaint(i, orgs.respondent[orgs.pick(i).pk])) for i in range(n)]
    profiler = _common.profiler() if profile else None
    latencies: list[float] = []
    if profiler:
        profiler.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    for org, complaint in complaints:
        t0 = time.perf_counter()
        receive_complaint(org, complaint, now=timezone.now())
        latencies.append(time.perf_counter() - t0)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler:
        profiler.disable()
    rate = n / elapsed
    verdict = "meets" if rate >= RATE_TARGET else f"MISSES by {1 - rate / RATE_TARGET:.0%}"
    print(f"\n(b) in-process receive_complaint x {n} (3 organisations, one transaction each)")
    print(f"  {rate:8.1f} cases/s  in {elapsed:.2f} s  (target >= {RATE_TARGET:.0f}: {verdict})")
    # On a shared machine wall time includes waiting for a core; SQLite runs in this
    # process, so CPU time is what one intake costs, whatever else is running.
    cpu_rate = n / cpu if cpu else float("inf")
    print(
        f"  {cpu_rate:8.1f} cases per CPU-second  ({1000 * cpu / n:.2f} ms CPU per case; "
        "the rate on an idle core)"
    )
    print(f"  per case: {_common.latency_line(latencies)}")
    if profiler:
        _common.profile_top(profiler)


def bench_api_in_process(orgs: Orgs, n: int) -> None:
    from django.core.cache import cache
    from django.test import Client

    client = Client()
    cache.clear()  # the intake throttle counts in the cache
    bodies = [
        (
            f"/api/organisations/{orgs.pick(i).slug}/complaints",
            json.dumps(_payload(i, orgs.respondent[orgs.pick(i).pk])),
        )
        for i in range(n)
    ]
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    started = time.perf_counter()
    for url, body in bodies:
        t0 = time.perf_counter()
        response = client.post(url, data=body, content_type="application/json")
        latencies.append(time.perf_counter() - t0)
        statuses[response.status_code] += 1
    elapsed = time.perf_counter() - started
    print(f"\n(c) in-process API POST /api/organisations/<slug>/complaints x {n} (test Client)")
    print(f"  {n / elapsed:8.1f} cases/s  in {elapsed:.2f} s  statuses {dict(statuses)}")
    print(f"  per request: {_common.latency_line(latencies)}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(url: str, body: bytes) -> tuple[int, float]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = 0  # connection refused / reset / timed out
    return status, time.perf_counter() - t0


def _wait_until_up(base: str, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode} before answering")
        try:
            with urllib.request.urlopen(f"{base}/api/openapi.json", timeout=2) as response:
                response.read()
                return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def _server(env: dict[str, str], port: int, log: IO[bytes]) -> Iterator[str]:
    """`manage.py runserver` on 127.0.0.1:`port`, answering; stopped on the way out."""
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command, cwd=_common.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server, timeout=60)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


def _load(base: str, orgs: Orgs, n: int, threads: int) -> tuple[list[tuple[int, float]], float]:
    """POST `n` complaints from `threads` client threads; (status, seconds) each, and the
    wall time."""
    jobs = [
        (
            f"{base}/api/organisations/{orgs.pick(i).slug}/complaints",
            json.dumps(_payload(i, orgs.respondent[orgs.pick(i).pk])).encode(),
        )
        for i in range(n)
    ]
    for url, body in jobs[: min(20, n)]:  # warm-up, not counted
        _post(url, body)
    lock = threading.Lock()
    results: list[tuple[int, float]] = []

    def worker(chunk: list[tuple[str, bytes]]) -> None:
        mine = [_post(url, body) for url, body in chunk]
        with lock:
            results.extend(mine)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(worker, [jobs[k::threads] for k in range(threads)]))
    return results, time.perf_counter() - started


def bench_http(bench: _common.BenchDatabase, orgs: Orgs, n: int, threads: int) -> None:
    from django.db import connections

    connections.close_all()  # the server process writes the same database
    port = _free_port()
    env = {**bench.env, "ACCORD_INTAKE_RATE": _common.HIGH_INTAKE_RATE, "DEBUG": "1"}
    # runserver serves each request on a new thread, so persistent connections
    # (settings: DB_CONN_MAX_AGE=60 on PostgreSQL) pile up until the server runs out
    # of them; Django's advice for the development server is not to keep them.
    env.setdefault("DB_CONN_MAX_AGE", "0")
    with tempfile.TemporaryFile() as log:  # the server's output, for the errors it logs
        with _server(env, port, log) as base:
            results, elapsed = _load(base, orgs, n, threads)
        log.seek(0)
        errors = Counter(
            line.strip()
            for line in log.read().decode(errors="replace").splitlines()
            if ERROR_LINE.match(line)
        )
    statuses = Counter(status for status, _ in results)
    ok = statuses.get(201, 0)
    print(
        f"\n(d) over HTTP: runserver on 127.0.0.1:{port} (threaded, DEBUG=1, "
        f"DB_CONN_MAX_AGE={env.get('DB_CONN_MAX_AGE', 'default')}), "
        f"{threads} client threads, {n} POSTs (after 20 warm-up)"
    )
    print(f"  {ok / elapsed:8.1f} cases/s created  in {elapsed:.2f} s  statuses {dict(statuses)}")
    print(f"  per request: {_common.latency_line([t for _, t in results])}")
    for line, count in errors.most_common(5):
        print(f"  server logged {count} x {line[:200]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="cases per throughput run")
    parser.add_argument("--samples", type=int, default=50, help="intakes for the query count")
    parser.add_argument("--threads", type=int, default=4, help="HTTP client threads")
    parser.add_argument("--skip-http", action="store_true", help="no server run")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the in-process receive_complaint run"
    )
    _common.add_db_arguments(parser)
    args = parser.parse_args()
    bench = _common.setup(args, intake_rate=_common.HIGH_INTAKE_RATE)
    try:
        orgs = Orgs()
        print(f"organisations: {', '.join(org.slug for org in orgs.items)}")
        bench_queries(orgs, args.samples)
        bench_direct(orgs, args.n, args.profile)
        bench_api_in_process(orgs, args.n)
        if not args.skip_http:
            bench_http(bench, orgs, args.n, max(1, args.threads))
    finally:
        bench.cleanup()


if __name__ == "__main__":
    main()
