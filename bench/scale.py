"""Scale bench: every page a person waits on, at 100k or 1M cases.

Targets (printed against, never asserted), on PostgreSQL at 1M cases: every queue page
and list page p95 <= 50 ms, search p95 <= 100 ms, the staff case page of a 200-event
case p95 <= 150 ms, the dashboard <= 200 ms and the annual report <= 5 s; and the same
number of queries per request whatever the table size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/accord_bench .venv/bin/python bench/scale.py --cases 1000000
    .venv/bin/python bench/scale.py --cases 20000      # SQLite, throwaway

The data is `manage.py generate_cases`' (accord/reporting/synthetic.py, as
bench/report.py fills it); a database already holding --cases cases is reused as it is.
If no OCCS case has 200 timeline events, one is made through real actions (notes added
by its handler). Every request goes through `django.test.Client`, in-process: the API
with the demo handler's bearer token, the staff pages signed in as the demo handler
(or manager, for the quality log and reports) with a verified second factor, and the
party's page signed in as the demo respondent.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

# `python bench/scale.py` puts bench/ first on sys.path, where bench/queue.py would
# shadow the standard library's `queue`; the project root goes there instead.
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

from bench import _common  # noqa: E402

QUEUE_MS = 50.0
SEARCH_MS = 100.0
LIST_MS = 50.0
CASE_PAGE_MS = 150.0
DASHBOARD_MS = 200.0
ANNUAL_MS = 5000.0
EVENTS = 200
ORG = "occs"


@dataclass
class Page:
    group: str
    label: str
    who: str  # which client: api, staff, manager, party
    url: str
    target_ms: float
    requests: int = 0  # 0: the run's --requests


@dataclass
class Result:
    page: Page
    queries: int = 0
    status: int = 0
    latencies: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)  # time in the database, a request

    def p(self, pct: float) -> float:
        return _common.percentile([t * 1000 for t in self.latencies], pct)


def verified_client(user: Any) -> Any:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def case_with_events(handler: Any, respondent_id: int | None) -> Any:
    """An open OCCS case with at least EVENTS timeline events, made if there is none."""
    from django.utils import timezone

    from accord.cases import actions
    from accord.cases.models import Case

    cases = Case.objects.filter(organisation_id=handler.organisation_id)
    if respondent_id is not None:
        cases = cases.filter(respondent_id=respondent_id)
    found = cases.filter(event_count__gte=EVENTS).order_by("id").first()
    if found is not None:
        return found
    case = cases.filter(is_open=True, handler=handler).order_by("-id").first()
    if case is None:
        case = cases.filter(is_open=True).order_by("-id").first()
        assert case is not None, "no open case to grow"
        actions.assign(case.pk, handler, handler=handler, team=None, now=timezone.now())
        case.refresh_from_db()
    started = time.perf_counter()
    for n in range(EVENTS - case.event_count):
        actions.add_note(
            case.pk, handler, f"Bench note {n}: called the business.", now=timezone.now()
        )
    case.refresh_from_db()
    print(
        f"made {case.reference} a {case.event_count}-event case in {time.perf_counter() - started:.1f} s"
    )
    return case


def pages(requests: int) -> tuple[list[Page], dict[str, Any]]:
    """Every page to time, with the clients that open them."""
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from accord.accounts.models import User
    from accord.cases import queue
    from accord.keyset import Cursor
    from accord.quality import log

    handler = User.objects.get(username=f"{ORG}-handler")
    manager = User.objects.get(username=f"{ORG}-manager")
    practice = User.objects.filter(username=f"{ORG}-practice").first()
    respondent_id = practice.business_id if practice is not None else None
    clients = {
        "api": Client(headers={"Authorization": f"Bearer demo-{handler.username}"}),
        "staff": verified_client(handler),
        "manager": verified_client(manager),
    }
    if practice is not None:
        party = Client()
        party.force_login(practice)
        clients["party"] = party
    big = case_with_events(handler, respondent_id)

    now = timezone.now()
    base = queue.filtered(handler, queue.QueueFilters(), now)
    dated = base.filter(next_deadline_at__isnull=False).order_by("next_deadline_at", "id")
    undated = base.filter(next_deadline_at__isnull=True).order_by("id")
    cursors: dict[str, str] = {}
    count = dated.count()
    if count:
        for name, share in (("second", 0), ("middle", 0.5), ("deep", 0.9)):
            at = 49 if share == 0 else int(count * share)
            deadline, case_id = dated.values_list("next_deadline_at", "id")[at]
            cursors[name] = Cursor(deadline, case_id).encode()
    count = undated.count()
    if count:
        cursors["no_deadline"] = Cursor(
            None, undated.values_list("id", flat=True)[count // 2]
        ).encode()
    # The stage and team most open cases are at, for the filters.
    stage = base.order_by().values("stage").annotate(n=Count("id")).order_by("-n")[0]["stage"]
    team = (
        base.exclude(team=None)
        .order_by()
        .values("team")
        .annotate(n=Count("id"))
        .order_by("-n")[0]["team"]
    )
    sample = (
        base.filter(next_deadline_at__isnull=False)
        .select_related("complainant")
        .order_by("id")[count // 3 if count else 0]
    )
    word = sample.category.split()[0].lower() if sample.category else "refund"

    out: list[Page] = []
    q = "/api/cases?limit=50"
    out.append(Page("queue", "API first page", "api", q, QUEUE_MS))
    for name in ("second", "middle", "deep", "no_deadline"):
        if name in cursors:
            out.append(
                Page(
                    "queue",
                    f"API cursor: {name.replace('_', '-')}",
                    "api",
                    f"{q}&cursor={cursors[name]}",
                    QUEUE_MS,
                )
            )
    for label, params in (
        ("breached+unassigned", "clock_state=breached&handler=none"),
        ("mine", "handler=me"),
        ("unassigned", "handler=none"),
        ("at risk", "clock_state=at_risk"),
        ("breached", "clock_state=breached"),
        (f"stage {stage}", f"stage={quote(stage)}"),
        ("team", f"team={team}"),
    ):
        out.append(Page("queue", f"API filter: {label}", "api", f"{q}&{params}", QUEUE_MS))
    out.append(Page("queue", "staff queue page", "staff", "/staff/", QUEUE_MS))
    if "deep" in cursors:
        out.append(
            Page(
                "queue",
                "staff queue, deep cursor",
                "staff",
                f"/staff/?cursor={cursors['deep']}",
                QUEUE_MS,
            )
        )
    out.append(
        Page("search", f"search words ({word!r})", "staff", f"/staff/?q={quote(word)}", SEARCH_MS)
    )
    out.append(
        Page(
            "search",
            "search two words",
            "staff",
            f"/staff/?q={quote(sample.complainant.name.split()[0] + ' ' + word)}",
            SEARCH_MS,
        )
    )
    out.append(
        Page(
            "search", "search reference", "staff", f"/staff/?q={quote(sample.reference)}", SEARCH_MS
        )
    )
    out.append(
        Page(
            "search",
            "search complainant name",
            "staff",
            f"/staff/?q={quote(sample.complainant.name)}",
            SEARCH_MS,
        )
    )
    out.append(
        Page(
            "search",
            "search surname",
            "staff",
            f"/staff/?q={quote(sample.complainant.name.split()[-1])}",
            SEARCH_MS,
        )
    )
    out.append(Page("search", "search nothing found", "staff", "/staff/?q=zzyzx", SEARCH_MS))
    out.append(
        Page(
            "case",
            f"staff case page ({big.event_count} events)",
            "staff",
            f"/staff/cases/{big.reference}/",
            CASE_PAGE_MS,
        )
    )
    if "party" in clients and big.respondent_id == respondent_id:
        out.append(
            Page(
                "case",
                "party's case page (respondent)",
                "party",
                f"/my/cases/{big.reference}/",
                CASE_PAGE_MS,
            )
        )
    out.append(
        Page(
            "list",
            "letters of the case (API)",
            "api",
            f"/api/letters/cases/{big.reference}",
            LIST_MS,
        )
    )
    out.append(
        Page(
            "list",
            "documents of the case (API)",
            "api",
            f"/api/cases/{big.reference}/documents",
            LIST_MS,
        )
    )

    entries = log.log_entries(manager.organisation_id, log.LogFilter.ALL, now.date())
    total = entries.count()
    out.append(Page("list", "quality log page, first", "manager", "/quality/", LIST_MS))
    out.append(Page("list", "quality log API, first", "manager", "/api/quality/log", LIST_MS))
    for name, share in (("middle", 0.5), ("last", 1.0)):
        at = max(0, min(total - 1, int(total * share) - (50 if share == 1.0 else 0)))
        entry = entries[at]
        cursor = Cursor(entry.received_at, entry.pk).encode()
        out.append(
            Page(
                "list", f"quality log page, {name}", "manager", f"/quality/?after={cursor}", LIST_MS
            )
        )
        out.append(
            Page(
                "list",
                f"quality log API, {name}",
                "manager",
                f"/api/quality/log?after={cursor}",
                LIST_MS,
            )
        )
    out.append(Page("list", "corrective actions", "manager", "/quality/actions/", LIST_MS))
    out.append(Page("report", "dashboard page", "manager", "/reports/", DASHBOARD_MS))
    out.append(
        Page("report", "annual report page", "manager", "/reports/annual/", ANNUAL_MS, requests=3)
    )
    return out, clients


def measure(page: Page, client: Any, requests: int, explain: bool = False) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = Result(page)
    warm = 1 if page.requests else 5
    for _ in range(warm):
        client.get(page.url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(page.url)
    result.status = response.status_code
    result.queries = sum(
        1
        for q in ctx.captured_queries
        if not q["sql"].startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    )
    if explain:
        _explain(ctx.captured_queries)
    spent = [0.0]

    def timer(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent[0] += time.perf_counter() - started

    with connection.execute_wrapper(timer):
        for _ in range(page.requests or requests):
            spent[0] = 0.0
            started = time.perf_counter()
            client.get(page.url)
            result.latencies.append(time.perf_counter() - started)
            result.sql.append(spent[0])
    return result


def _explain(captured: list[dict[str, Any]]) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    for query in captured:
        sql = query["sql"]
        if not sql.startswith("SELECT") or "cases_case" not in sql:
            continue
        print(f"    {sql[:300]}...")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            for (line,) in cursor.fetchall():
                print(f"      {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100000)
    parser.add_argument("--years", type=float, default=7.0)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    parser.add_argument("--only", default="", help="only the pages whose label contains this")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE each page's case queries"
    )
    _common.add_db_arguments(parser)
    args = parser.parse_args()
    bench = _common.setup(args)
    try:
        from bench.report import fill

        fill(args.cases, args.years)
        from django.db import connection

        from accord.cases.models import Case, Event

        cases = Case.objects.count()
        print(f"cases {cases:,}, events {Event.objects.count():,}; {_common.load_average()}")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE cases_case")
        chosen, clients = pages(args.requests)
        print(
            f"\n{args.requests} requests a page (after 5 warm-up), django.test.Client in-process\n"
        )
        print(
            f"{'page':<44} {'q':>3} {'st':>3} {'p50':>8} {'p95':>8} {'max':>8} {'sql p50':>8}  target"
        )
        results = []
        for page in chosen:
            if args.only and args.only not in page.label:
                continue
            result = measure(page, clients[page.who], args.requests, args.explain)
            results.append(result)
            p95 = result.p(95)
            ok = result.status == 200 and p95 <= page.target_ms
            verdict = (
                "meets"
                if ok
                else ("MISSES" if result.status == 200 else f"ANSWERED {result.status}")
            )
            print(
                f"{page.label:<44} {result.queries:>3} {result.status:>3} {result.p(50):8.1f}"
                f" {p95:8.1f} {max(result.latencies) * 1000:8.1f} {statistics.median(result.sql) * 1000:8.1f}"
                f"  p95 <= {page.target_ms:.0f} ms: {verdict}",
                flush=True,
            )
        missed = [r.page.label for r in results if r.status != 200 or r.p(95) > r.page.target_ms]
        print(f"\n{len(results) - len(missed)} of {len(results)} targets met at {cases:,} cases")
        for label in missed:
            print(f"  missed: {label}")
        print(
            f"median p95 {statistics.median(r.p(95) for r in results):.1f} ms; {_common.load_average()}"
        )
    finally:
        bench.cleanup()


if __name__ == "__main__":
    main()
