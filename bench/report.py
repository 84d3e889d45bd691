"""Reporting bench: the annual report and the managers' dashboard at 1M cases.

Targets (printed against, never asserted): the annual report in <= 5 s and the
dashboard in <= 200 ms, with a million cases on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/accord_bench .venv/bin/python bench/report.py --cases 1000000
    .venv/bin/python bench/report.py --cases 20000     # SQLite, throwaway

The data is `manage.py generate_cases`' (accord/reporting/synthetic.py): several years
for each seed organisation, half of the cases OCCS's, with timeline events, clocks,
outcomes, sources, categories and feedback, written with COPY on PostgreSQL. Without
--reset-db an existing data set of at least --cases cases is reused as it is.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

# `python bench/report.py` puts bench/ first on sys.path, where bench/queue.py would
# shadow the standard library's `queue`; the project root goes there instead.
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

from bench import _common  # noqa: E402

ANNUAL_TARGET_S = 5.0
DASHBOARD_TARGET_MS = 200.0


def fill(cases: int, years: float) -> None:
    from django.db import connection
    from django.utils import timezone

    from accord.cases.models import Case
    from accord.organisations.models import Organisation
    from accord.reporting.synthetic import Plan, generate

    have = Case.objects.count()
    if have >= cases:
        print(f"reusing the {have} cases already there")
        return
    shares = {"occs": 0.5, "optimised": 0.25, "ocasa": 0.25}
    missing = cases - have
    plans = [
        Plan(Organisation.objects.get(slug=slug), round(missing * share), years)
        for slug, share in shares.items()
    ]
    started = time.perf_counter()

    def progress(slug: str, written: int) -> None:
        rate = written / (time.perf_counter() - started)
        print(f"  up to {slug}: {written} cases written ({rate:,.0f} cases/s)", flush=True)

    written = generate(plans, timezone.now(), seed=11, progress=progress)
    print(f"generated in {time.perf_counter() - started:.0f} s: {written}")
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        print(f"VACUUM ANALYZE in {time.perf_counter() - started:.0f} s")


def timed(label: str, work, repeat: int, target_s: float) -> list[float]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        work()  # warm-up, and the queries it takes
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    verdict = "meets" if max(times) <= target_s else "MISSES"
    print(
        f"{label:<44} {len(captured):>3} queries  median {statistics.median(times) * 1000:8.1f} ms"
        f"  max {max(times) * 1000:8.1f} ms  (target {target_s * 1000:.0f} ms: {verdict})"
    )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--years", type=float, default=7.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true", help="print the dashboard's plans")
    _common.add_db_arguments(parser)
    args = parser.parse_args()
    bench = _common.setup(args)
    try:
        fill(args.cases, args.years)
        from django.db.models import Count
        from django.utils import timezone

        from accord.cases.models import Case, Clock, Event
        from accord.mediation.models import Feedback
        from accord.organisations.models import Organisation
        from accord.reporting.annual import annual_report
        from accord.reporting.dashboards import dashboard
        from accord.reporting.exports import rows
        from accord.reporting.periods import last_complete_year, parse_period

        counts = dict(
            Case.objects.order_by().values_list("organisation__slug").annotate(n=Count("id"))
        )
        print(
            f"cases {sum(counts.values()):,} ({counts}), clocks {Clock.objects.count():,}, "
            f"events {Event.objects.count():,}, feedback {Feedback.objects.count():,}"
        )
        today = timezone.localdate()
        year = last_complete_year(today)
        print()
        for slug in ("occs", "optimised", "ocasa"):
            organisation = Organisation.objects.get(slug=slug)
            in_year = Case.objects.filter(
                organisation=organisation, received_at__gte=year.start(), received_at__lt=year.end()
            ).count()
            open_now = Case.objects.filter(organisation=organisation, is_open=True).count()
            print(f"{slug}: {in_year:,} cases received in {year.label}, {open_now:,} open now")
            timed(
                f"  annual report {year.label} vs before",
                lambda o=organisation: annual_report(o, year),
                args.repeat,
                ANNUAL_TARGET_S,
            )
            timed(
                "  dashboard",
                lambda o=organisation: dashboard(o, timezone.now()),
                args.repeat * 4,
                DASHBOARD_TARGET_MS / 1000,
            )
        occs = Organisation.objects.get(slug="occs")
        everything = parse_period("2017-01-01", f"{today:%Y-%m-%d}", today)
        timed(
            f"occs annual report {everything.label}",
            lambda: annual_report(occs, everything),
            1,
            ANNUAL_TARGET_S,
        )
        started = time.perf_counter()
        exported = sum(1 for _ in rows(occs, year, pseudonymised=True))
        print(
            f"occs pseudonymised export {year.label}: {exported:,} rows streamed in "
            f"{time.perf_counter() - started:.1f} s"
        )
        if args.explain:
            _explain(occs)
    finally:
        bench.cleanup()


def _explain(organisation) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accord.reporting.dashboards import dashboard

    with CaptureQueriesContext(connection) as captured:
        dashboard(organisation, timezone.now())
    with connection.cursor() as cursor:
        for query in captured:
            sql = query["sql"]
            started = time.perf_counter()
            cursor.execute("EXPLAIN ANALYZE " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"\n--- {(time.perf_counter() - started) * 1000:.1f} ms\n{sql[:300]}\n{plan}")


if __name__ == "__main__":
    main()
