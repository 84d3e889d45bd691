"""Work-queue bench: GET /api/cases, and the staff queue page in every view and sort,
at 10k and 100k cases.

Target (printed against, never asserted): a work-queue page costs the same number of
queries whatever the table size, with p95 <= 50 ms at 100k cases. The staff page is
measured for every view ("all", "mine", "unassigned", "at risk", "breached", "due this
week", "letters owed") in every sort (deadline, received date, reference, complainant,
stage and handler, each either way round),
as the demo handler signed in with a verified second factor; its query count includes
the session, the view counts and the rendering.

    .venv/bin/python bench/queue.py [--sizes 10000,100000] [--requests 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/accord_bench .venv/bin/python bench/queue.py

The table is filled fast but made to look real: a few hundred cases go through
`receive_complaint` (received over the last eight weeks, so their clocks are the
procedure's own), then those rows are copied with bulk_create - complainant, case and
clocks - received whole weeks earlier, with running clocks falling due from ten days
ago to 45 days ahead (whole weeks moved, so weekday and time of day stay the
procedure's), numbered on from each organisation's reference counter. Most cases are OCCS's (the queue of the `demo-occs-handler` token);
about 10% are closed and about 10% of the open ones have no running clock. Copies have
no timeline events and event_count 0 (the queue never reads events).

Runs on a throwaway SQLite database unless DATABASE_URL is set (see bench/README.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

# `python bench/queue.py` puts bench/ first on sys.path, where this very file would
# shadow the standard library's `queue`; the project root goes there instead.
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

from bench import _common  # noqa: E402

P95_TARGET_MS = 50.0
TOKEN = "demo-occs-handler"  # the demo token create_demo_users issues
SHARE = {"occs": 0.8, "optimised": 0.1, "ocasa": 0.1}
BATCH = 1000


@dataclass
class PageResult:
    queries: int
    statements: str
    rows: int
    has_next: bool
    latencies: list[float]


def seed_templates(count: int, rng: random.Random) -> None:
    """`count` real cases, received at random times over the last eight weeks."""
    from django.utils import timezone

    from accord.cases.choices import Channel
    from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
    from accord.organisations.models import Business, Organisation

    now = timezone.now()
    orgs = {org.slug: org for org in Organisation.objects.all()}
    slugs = list(SHARE)
    channels = [Channel.WEB_FORM, Channel.EMAIL, Channel.PHONE, Channel.LETTER]
    for i in range(count):
        org = orgs[rng.choices(slugs, weights=[SHARE[s] for s in slugs])[0]]
        respondent = None
        if not Business.objects.filter(organisation=org, is_self=True).exists():
            respondent = rng.choice(list(Business.objects.filter(organisation=org))).pk
        received = now - dt.timedelta(seconds=rng.randrange(0, 56 * 86400))
        complaint = Complaint(
            complainant=ComplainantDetails(
                name=f"Template Complainant {i}", email=f"template{i}@example.com"
            ),
            description=f"Template complaint {i}: the work was not done as agreed.",
            desired_outcome="A refund.",
            issue_arose_on=received.date() - dt.timedelta(days=rng.randrange(1, 120)),
            channel=rng.choice(channels),
            respondent_id=respondent,
            received_at=received,
        )
        receive_complaint(org, complaint, now=received)


class Filler:
    """Copies the template cases until the table holds the wanted number."""

    def __init__(self, rng: random.Random) -> None:
        from accord.accounts.models import User
        from accord.cases.models import Case
        from accord.organisations.models import Organisation, Team
        from accord.procedures.registry import registry

        self.rng = rng
        self.orgs = {org.slug: org for org in Organisation.objects.all()}
        self.templates: dict[int, list[Case]] = {}
        for case in Case.objects.prefetch_related("clocks").order_by("id"):
            self.templates.setdefault(case.organisation_id, []).append(case)
        self.teams = {
            org.pk: list(Team.objects.filter(organisation=org)) for org in self.orgs.values()
        }
        self.handlers = {
            org.pk: list(
                User.objects.filter(organisation=org, staff_role__in=["handler", "senior_handler"])
            )
            for org in self.orgs.values()
        }
        self.closing: dict[tuple[str, int], tuple[str, str]] = {}
        for loaded in registry().all():
            proc = loaded.procedure
            terminal = next(key for key, stage in proc.stages.items() if stage.terminal)
            self.closing[(proc.key, proc.version)] = (terminal, next(iter(proc.outcomes)))
        self.counters: dict[tuple[int, int], int] = {}
        self.serial = 0

    def _number(self, org: Any, year: int) -> str:
        from accord.cases.models import ReferenceCounter

        key = (org.pk, year)
        if key not in self.counters:
            counter, _ = ReferenceCounter.objects.get_or_create(organisation=org, year=year)
            self.counters[key] = counter.last
        self.counters[key] += 1
        return f"{org.reference_prefix}-{year}-{self.counters[key]:06d}"

    def _save_counters(self) -> None:
        from accord.cases.models import ReferenceCounter

        for (org_id, year), last in self.counters.items():
            ReferenceCounter.objects.filter(organisation_id=org_id, year=year).update(last=last)

    def fill_to(self, total: int) -> None:
        from django.db import transaction

        from accord.cases.models import Case

        missing = total - Case.objects.count()
        while missing > 0:
            size = min(BATCH, missing)
            with transaction.atomic():
                self._batch(size)
                self._save_counters()
            missing -= size

    def _batch(self, size: int) -> None:
        from django.utils import timezone

        from accord.cases import sort_keys
        from accord.cases.choices import ClockStatus
        from accord.cases.models import Case, Clock, Complainant

        rng = self.rng
        now = timezone.now()
        slugs = list(SHARE)
        skip = {"id", "reference", "complainant_id", "created_at", "updated_at"}
        fields = [f.attname for f in Case._meta.concrete_fields if f.attname not in skip]
        plans = []
        for _ in range(size):
            org = self.orgs[rng.choices(slugs, weights=[SHARE[s] for s in slugs])[0]]
            template = rng.choice(self.templates[org.pk])
            shift = dt.timedelta(weeks=rng.choices(range(17), weights=[6] * 5 + [1] * 12)[0])
            kind = rng.choices(["open", "no_deadline", "closed"], weights=[80, 10, 10])[0]
            plans.append((org, template, shift, kind))
        complainants = []
        for _ in plans:
            self.serial += 1
            complainants.append(
                Complainant(
                    name=f"Bench Complainant {self.serial}",
                    email=f"bench{self.serial}@example.com",
                    phone="01234 567890",
                    business_name=f"Bench Ltd {self.serial}" if self.serial % 20 == 0 else "",
                )
            )
        Complainant.objects.bulk_create(complainants)
        cases = []
        for (org, template, shift, kind), complainant in zip(plans, complainants, strict=True):
            case = Case(**{name: getattr(template, name) for name in fields})
            case.complainant = complainant
            serial = complainant.name.rsplit(" ", 1)[1]
            case.received_at = template.received_at - shift
            case.reference = self._number(org, timezone.localtime(case.received_at).year)
            case.description = f"{template.description} (copy {serial})"
            case.complainant_sort = sort_keys.complainant(
                complainant.name, complainant.business_name
            )
            case.event_count = 0
            case.handler = None
            case.team = None
            # Running clocks keep their time of day and weekday but fall due from ten
            # days ago to 45 days ahead, as in a queue where cases move on.
            due_move = -shift
            if kind == "open" and template.next_deadline_at is not None:
                target = now + dt.timedelta(days=rng.uniform(-10, 45))
                days = 7 * round((target - template.next_deadline_at).days / 7)
                due_move = dt.timedelta(days=days)
                while template.next_deadline_at + due_move <= case.received_at:
                    due_move += dt.timedelta(days=7)
            if case.next_deadline_at is not None:
                case.next_deadline_at += due_move
            if case.next_at_risk_at is not None:
                case.next_at_risk_at += due_move
            if kind == "closed":
                stage, outcome = self.closing[(case.procedure_key, case.procedure_version)]
                case.is_open = False
                case.stage = stage
                case.outcome = outcome
                case.closed_at = min(
                    now, case.received_at + dt.timedelta(days=rng.randrange(5, 60))
                )
                case.next_deadline_at = case.next_at_risk_at = None
            else:
                if kind == "no_deadline":
                    case.next_deadline_at = case.next_at_risk_at = None
                if rng.random() < 0.3 and self.handlers[org.pk]:
                    case.handler = rng.choice(self.handlers[org.pk])
                case.handler_sort = sort_keys.handler(case.handler)
                if rng.random() < 0.4 and self.teams[org.pk]:
                    case.team = rng.choice(self.teams[org.pk])
                # About 2% owe a letter (the staff queue's "letters owed" view).
                case.letters_owed = 1 if rng.random() < 0.02 else 0
            cases.append((case, template, shift, due_move, kind))
        Case.objects.bulk_create([case for case, *_ in cases])
        clocks = []
        for case, template, shift, due_move, kind in cases:
            for source in template.clocks.all():
                running = source.status == ClockStatus.RUNNING
                move = due_move if running else -shift
                clock = Clock(
                    case=case,
                    key=source.key,
                    label=source.label,
                    status=source.status,
                    started_at=source.started_at - shift,
                    stopped_at=source.stopped_at - shift if source.stopped_at else None,
                    due_at=source.due_at + move if source.due_at else None,
                    at_risk_at=source.at_risk_at + move if source.at_risk_at else None,
                    explanation=_moved_explanation(source.explanation, -shift, move),
                )
                if kind == "closed" and clock.status != ClockStatus.STOPPED:
                    clock.status = ClockStatus.STOPPED
                    clock.stopped_at = case.closed_at
                elif kind == "no_deadline" and running:
                    clock.status = ClockStatus.PAUSED
                clocks.append(clock)
        Clock.objects.bulk_create(clocks)


def _moved_explanation(
    explanation: dict[str, Any], start_move: dt.timedelta, due_move: dt.timedelta
) -> dict[str, Any]:
    copied = dict(explanation)
    for key, move in (("start_date", start_move), ("due_date", due_move)):
        if copied.get(key):
            copied[key] = (dt.date.fromisoformat(copied[key]) + move).isoformat()
    for key, move in (("started_at", start_move), ("due_at", due_move)):
        if copied.get(key):
            copied[key] = (dt.datetime.fromisoformat(copied[key]) + move).isoformat()
    return copied


def _queue_user() -> Any:
    from accord.accounts.models import ApiToken

    return ApiToken.objects.select_related("user").get(digest=ApiToken.digest_of(TOKEN)).user


def _cursors() -> dict[str, str]:
    """Cursors for a page 90% down the cases with a deadline, and for one halfway
    through the cases without (the same cursors the API hands out)."""
    from django.utils import timezone

    from accord.cases import queue

    user = _queue_user()
    base = queue.filtered(user, queue.QueueFilters(), timezone.now())
    with_deadline = base.filter(next_deadline_at__isnull=False).order_by("next_deadline_at", "id")
    without = base.filter(next_deadline_at__isnull=True).order_by("id")
    cursors = {}
    count = with_deadline.count()
    if count:
        deadline, case_id = with_deadline.values_list("next_deadline_at", "id")[int(count * 0.9)]
        cursors["deep"] = queue.Cursor(deadline, case_id).encode()
    count = without.count()
    if count:
        case_id = without.values_list("id", flat=True)[count // 2]
        cursors["no_deadline"] = queue.Cursor(None, case_id).encode()
    return cursors


def _badges() -> str:
    from django.db.models import Count, Q
    from django.utils import timezone

    from accord.cases.models import Case

    now = timezone.now()
    user = _queue_user()
    counts = Case.objects.filter(organisation_id=user.organisation_id).aggregate(
        all=Count("id"),
        open=Count("id", filter=Q(is_open=True)),
        breached=Count("id", filter=Q(is_open=True, next_deadline_at__lte=now)),
        at_risk=Count(
            "id", filter=Q(is_open=True, next_deadline_at__gt=now, next_at_risk_at__lte=now)
        ),
        no_deadline=Count("id", filter=Q(is_open=True, next_deadline_at__isnull=True)),
        unassigned=Count("id", filter=Q(is_open=True, handler__isnull=True)),
    )
    return ", ".join(f"{key} {value}" for key, value in counts.items())


def measure_page(client: Any, url: str, requests: int, explain: bool) -> PageResult:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):  # warm-up
        client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    captured = list(ctx.captured_queries)  # read now: the next request clears the log
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}: {response.content[:300]!r}")
    body = response.json()
    if explain:
        _explain(captured)
    latencies = []
    for _ in range(requests):
        t0 = time.perf_counter()
        client.get(url)
        latencies.append(time.perf_counter() - t0)
    return PageResult(
        queries=len(captured),
        statements=_common.statement_summary(captured),
        rows=len(body["results"]),
        has_next=body["next_cursor"] is not None,
        latencies=latencies,
    )


def _explain(captured: list[dict[str, Any]]) -> None:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    for query in captured:
        if '"cases_case"' not in query["sql"] or not query["sql"].startswith("SELECT"):
            continue
        where = query["sql"].find(" WHERE ")
        print(f"      ...{query['sql'][where : where + 400]}")
        with connection.cursor() as cursor:
            cursor.execute(prefix + query["sql"])
            for row in cursor.fetchall():
                print("        " + " | ".join(str(col) for col in row))


STAFF_VIEWS = ("", "mine", "unassigned", "at_risk", "breached", "due_this_week", "letters_owed")
STAFF_SORTS = tuple(
    f"{sign}{name}"
    for name in ("deadline", "received", "reference", "complainant", "stage", "handler")
    for sign in ("", "-")
)


def measure_staff(requests: int, explain: bool) -> dict[str, PageResult]:
    """The staff queue page, every view in every sort: queries and latency."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.scale import verified_client

    client = verified_client(_queue_user())
    results = {}
    print(f"\n  staff queue page (/staff/), pages of 50, {requests} requests each:")
    for view in STAFF_VIEWS:
        for sort in STAFF_SORTS:
            url = f"/staff/?sort={sort}" + (f"&view={view}" if view else "")
            for _ in range(3):
                client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            captured = list(ctx.captured_queries)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")
            html = response.content.decode()
            if explain:
                _explain(captured)
            latencies = []
            for _ in range(requests):
                t0 = time.perf_counter()
                client.get(url)
                latencies.append(time.perf_counter() - t0)
            label = f"{view or 'all'} {sort}"
            results[label] = PageResult(
                queries=len(captured),
                statements=_common.statement_summary(captured),
                rows=len(re.findall(r'<td class="reference"><a href="/staff/cases/', html)),
                has_next=">Next page</a>" in html,
                latencies=latencies,
            )
            p95 = _common.percentile([t * 1000 for t in latencies], 95)
            verdict = "meets" if p95 <= P95_TARGET_MS else f"MISSES by {p95 - P95_TARGET_MS:.1f} ms"
            print(
                f"  {label:28} {len(captured)} queries, {results[label].rows} rows"
                f"{', next' if results[label].has_next else ''}  {_common.latency_line(latencies)}"
                f"  [p95 <= {P95_TARGET_MS:.0f} ms: {verdict}]"
            )
    return results


def measure(size: int, requests: int, explain: bool, profile: bool) -> dict[str, PageResult]:
    from django.test import Client

    client = Client(headers={"Authorization": f"Bearer {TOKEN}"})
    cursors = _cursors()
    pages = {"first": "/api/cases?limit=50"}
    second = client.get(pages["first"]).json()["next_cursor"]
    if second:
        pages["second (its cursor)"] = f"/api/cases?limit=50&cursor={second}"
    if "deep" in cursors:
        pages["deep (90% down)"] = f"/api/cases?limit=50&cursor={cursors['deep']}"
    if "no_deadline" in cursors:
        pages["no-deadline part"] = f"/api/cases?limit=50&cursor={cursors['no_deadline']}"
    pages["breached+unassigned"] = "/api/cases?limit=50&clock_state=breached&handler=none"
    results = {}
    print(f"\n  pages of 50 as {TOKEN}, {requests} requests each (test Client, in-process):")
    for label, url in pages.items():
        profiler = _common.profiler() if profile and label == "first" else None
        if profiler:
            profiler.enable()
        result = measure_page(client, url, requests, explain)
        if profiler:
            profiler.disable()
        results[label] = result
        p95 = _common.percentile([t * 1000 for t in result.latencies], 95)
        verdict = "meets" if p95 <= P95_TARGET_MS else f"MISSES by {p95 - P95_TARGET_MS:.1f} ms"
        print(
            f"  {label:20} {result.queries} queries, {result.rows} rows"
            f"{', next' if result.has_next else ''}  {_common.latency_line(result.latencies)}"
            f"  [p95 <= {P95_TARGET_MS:.0f} ms: {verdict}]"
        )
        print(f"  {'':20} {result.statements}")
        if profiler:
            _common.profile_top(profiler)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="table sizes (all cases)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--templates", type=int, default=300, help="cases made by intake")
    parser.add_argument("--seed", type=int, default=2024, help="random seed of the fill")
    parser.add_argument("--explain", action="store_true", help="print the queue's query plans")
    parser.add_argument(
        "--staff-requests", type=int, default=40, help="timed requests per staff page (0: skip)"
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the first-page run")
    _common.add_db_arguments(parser)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(",") if s.strip())
    bench = _common.setup(args)
    try:
        from django.db import connection

        from accord.cases.models import Case

        rng = random.Random(args.seed)
        existing = Case.objects.count()
        if existing:
            print(f"the database already holds {existing} cases; filling on from there")
        else:
            t0 = time.perf_counter()
            seed_templates(args.templates, rng)
            print(
                f"{args.templates} template cases through receive_complaint in {time.perf_counter() - t0:.1f} s"
            )
        filler = Filler(rng)
        summary: dict[int, dict[str, PageResult]] = {}
        for size in sizes:
            t0 = time.perf_counter()
            filler.fill_to(size)
            with connection.cursor() as cursor:
                # What autovacuum (PostgreSQL) or the sweeper's periodic PRAGMA optimize
                # (SQLite) would have done by now.
                cursor.execute(
                    "VACUUM ANALYZE" if connection.vendor == "postgresql" else "PRAGMA optimize"
                )
            total = Case.objects.count()
            note = "" if total == size else f" (wanted {size}: the database held more)"
            print(f"\n== {total} cases{note}; filled in {time.perf_counter() - t0:.1f} s")
            print(f"  {TOKEN.removeprefix('demo-')} organisation: {_badges()}")
            summary[size] = measure(size, args.requests, args.explain, args.profile)
            if args.staff_requests:
                summary[size].update(measure_staff(args.staff_requests, args.explain))
        print("\nsummary: queries per page / p95 ms, by table size")
        labels = list(next(iter(summary.values())).keys()) if summary else []
        for label in labels:
            cells = []
            for size, results in summary.items():
                if label in results:
                    p95 = _common.percentile([t * 1000 for t in results[label].latencies], 95)
                    cells.append(f"{size:>7}: {results[label].queries} q / {p95:6.1f} ms")
            counts = {results[label].queries for results in summary.values() if label in results}
            same = "same queries at every size" if len(counts) == 1 else "QUERY COUNT VARIES"
            print(f"  {label:28} " + "   ".join(cells) + f"   ({same})")
    finally:
        bench.cleanup()


if __name__ == "__main__":
    main()
