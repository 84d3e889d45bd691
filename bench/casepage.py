"""Case-page bench: the staff case page of a 200-event case, against the same case at
20 events.

Target (printed against, never asserted): the page costs a bounded number of queries
that does not grow with the timeline, and p95 <= 150 ms for a 200-event case.

    .venv/bin/python bench/casepage.py [--requests 100] [--events 200]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/accord_bench .venv/bin/python bench/casepage.py

Two cases are made through the real actions: an OCCS shuttle mediation (confirmed,
accepted for mediation and so opened to the practice, then messages in both threads,
relays and notes) and an in-house client-services complaint (acknowledged, then
messages and notes). Each is measured when its timeline reaches 20 events and again at
--events, as its handler signed in with a verified second factor (django.test.Client,
in-process). Runs on a throwaway SQLite database unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

from bench import _common  # noqa: E402

P95_TARGET_MS = 150.0


def make_case(slug: str) -> tuple[Any, Any]:
    """A case of `slug` with its handler assigned and its first step taken."""
    from django.utils import timezone

    from accord.accounts.models import User
    from accord.cases import actions, engine
    from accord.cases.choices import Channel
    from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
    from accord.organisations.models import Business, Organisation

    organisation = Organisation.objects.get(slug=slug)
    handler = User.objects.get(username=f"{slug}-handler")
    respondent = Business.objects.filter(organisation=organisation, is_self=False).first()
    case, _ = receive_complaint(
        organisation,
        Complaint(
            complainant=ComplainantDetails(name="Bench Complainant", email="bench@example.com"),
            description="The glasses were never delivered and the deposit was kept.",
            desired_outcome="A refund.",
            channel=Channel.WEB_FORM,
            respondent_id=respondent.pk if respondent else None,
        ),
        now=timezone.now(),
    )
    actions.assign(case.pk, handler, handler=handler, team=None, now=timezone.now())
    for step in engine.allowed_steps(case, handler, timezone.now())[:1]:
        engine.take_step(case.pk, handler, step, engine.StepRequest(), now=timezone.now())
    case.refresh_from_db()
    if respondent is not None:  # the mediation: accept it, which opens it to the business
        for step in engine.allowed_steps(case, handler, timezone.now()):
            transition = engine.procedure_of(case).transitions[step]
            if "open_to_respondent" in {effect.value for effect in transition.effects}:
                engine.take_step(case.pk, handler, step, engine.StepRequest(), now=timezone.now())
                break
    case.refresh_from_db()
    return case, handler


def grow(case: Any, handler: Any, events: int) -> None:
    """Messages (relayed, in a mediation), and notes, until the timeline has `events`."""
    from django.utils import timezone

    from accord.cases import actions
    from accord.cases.models import Case
    from accord.mediation import threads
    from accord.mediation.choices import Party
    from accord.policy.disclosure import has_respondent_party

    two_sides = has_respondent_party(case)
    n = 0
    while Case.objects.get(pk=case.pk).event_count < events:
        n += 1
        now = timezone.now()
        if n % 3 == 0:
            actions.add_note(case.pk, handler, f"Bench note {n}: called the business.", now=now)
            continue
        party = Party.RESPONDENT if two_sides and n % 2 else Party.COMPLAINANT
        message = threads.post_message(
            case.pk, handler, party, f"Bench message {n}: could you tell me more?", now=now
        )
        if two_sides and n % 4 == 1 and Case.objects.get(pk=case.pk).event_count < events:
            threads.relay(case.pk, handler, message.pk, body=message.body, now=now)
    case.refresh_from_db()


def measure(client: Any, url: str, requests: int) -> tuple[int, list[float], str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(5):
        client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    captured = list(ctx.captured_queries)
    latencies = []
    for _ in range(requests):
        t0 = time.perf_counter()
        client.get(url)
        latencies.append(time.perf_counter() - t0)
    return len(captured), latencies, _common.statement_summary(captured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--events", type=int, default=200, help="the long timeline")
    parser.add_argument("--profile", action="store_true", help="cProfile the long pages")
    _common.add_db_arguments(parser)
    args = parser.parse_args()
    bench = _common.setup(args)
    try:
        from accord.operations.memory import freeze_after_startup
        from bench.scale import verified_client

        rows = []
        for slug, kind in (("occs", "mediation"), ("optimised", "in-house")):
            case, handler = make_case(slug)
            client = verified_client(handler)
            url = f"/staff/cases/{case.reference}/"
            for events in (20, args.events):
                grow(case, handler, events)
                freeze_after_startup()  # as a web process does once it has started
                profiler = None
                if args.profile and events == args.events:
                    profiler = _common.profiler()
                    profiler.enable()
                queries, latencies, statements = measure(client, url, args.requests)
                if profiler is not None:
                    profiler.disable()
                    _common.profile_top(profiler)
                p95 = _common.percentile([t * 1000 for t in latencies], 95)
                verdict = "meets" if p95 <= P95_TARGET_MS else "MISSES"
                rows.append((kind, events, queries))
                print(
                    f"{kind:10} {case.reference} {case.event_count:4} events: {queries} queries"
                    f"  {_common.latency_line(latencies)}  [p95 <= {P95_TARGET_MS:.0f} ms: {verdict}]"
                )
                print(f"{'':10} {statements}")
        for kind in ("mediation", "in-house"):
            counts = {queries for k, _events, queries in rows if k == kind}
            same = "the same" if len(counts) == 1 else "NOT the same"
            print(f"{kind}: {same} number of queries at 20 and {args.events} events ({counts})")
        print(_common.load_average())
    finally:
        bench.cleanup()


if __name__ == "__main__":
    main()
