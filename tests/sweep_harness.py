"""Helper for tests/test_sweep_processes.py, run in its own process against a real
database (never pytest-django's test database).

    DJANGO_SETTINGS_MODULE=accord.settings python tests/sweep_harness.py prepare --cases 200
    DJANGO_SETTINGS_MODULE=accord.settings python tests/sweep_harness.py report

The database is chosen as the project's settings choose it: DATABASE_URL, else SQLite in
$ACCORD_VAR_DIR. Each command prints one line of JSON on stdout.

`prepare` migrates, loads the seed organisations and receives `--cases` complaints at
Ocasa Lettings `--days-ago` days ago, so their acknowledgement clocks are long breached.
`report` says, from the database, what the sweep left behind.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _django() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "accord.settings")
    import django

    django.setup()


def prepare(cases: int, days_ago: int) -> dict[str, Any]:
    """Migrate, seed, and receive `cases` complaints `days_ago` days ago."""
    _django()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accord.cases.choices import Channel, ClockStatus
    from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
    from accord.cases.models import Clock
    from accord.organisations.seed.load import load_organisations

    call_command("migrate", verbosity=0, interactive=False)
    organisation = {o.slug: o for o in load_organisations()}["ocasa"]
    now = timezone.now()
    received = now - dt.timedelta(days=days_ago)
    with transaction.atomic():
        for i in range(cases):
            complaint = Complaint(
                complainant=ComplainantDetails(name=f"Sweep {i}", email=f"sweep{i}@example.com"),
                description=f"Repairs not done ({i}).",
                channel=Channel.EMAIL,
            )
            receive_complaint(organisation, complaint, now=received + dt.timedelta(seconds=i))
    due = Clock.objects.filter(
        status=ClockStatus.RUNNING, breach_recorded_at__isnull=True, due_at__lte=now
    )
    return {"cases": cases, "due": due.count()}


def report() -> dict[str, Any]:
    """Breaches and at-risk notices per clock, event counts against event_count, and the
    queued clock notifications."""
    _django()
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from accord.cases.choices import ClockStatus, EventKind
    from accord.cases.models import Case, Clock, Event

    events: dict[str, Counter[str]] = {
        kind: Counter() for kind in (EventKind.CLOCK_BREACHED, EventKind.CLOCK_AT_RISK)
    }
    for case_id, kind, data in Event.objects.filter(kind__in=list(events)).values_list(
        "case_id", "kind", "data"
    ):
        events[kind][f"{case_id}:{data['clock']}"] += 1
    breach_marked = {
        f"{case_id}:{key}"
        for case_id, key in Clock.objects.filter(breach_recorded_at__isnull=False).values_list(
            "case_id", "key"
        )
    }
    at_risk_marked = {
        f"{case_id}:{key}"
        for case_id, key in Clock.objects.filter(at_risk_notified_at__isnull=False).values_list(
            "case_id", "key"
        )
    }
    still_due = Clock.objects.filter(
        status=ClockStatus.RUNNING,
        breach_recorded_at__isnull=True,
        due_at__lte=dt.datetime.now(dt.UTC),
    ).count()
    mismatched = [
        (case.reference, case.event_count, case.n)
        for case in Case.objects.annotate(n=Count("events"))
        if case.event_count != case.n
    ]
    seq_gaps = []
    for case_id, seqs in _seqs_by_case(Event).items():
        if sorted(seqs) != list(range(1, len(seqs) + 1)):
            seq_gaps.append(case_id)
    notifications: Counter[str] = Counter()
    for args_kwargs in DBTaskResult.objects.filter(
        task_path__endswith=".notify_clocks"
    ).values_list("args_kwargs", flat=True):
        for case_id, key, kind in args_kwargs["args"][0]:
            notifications[f"{kind}:{case_id}:{key}"] += 1
    return {
        "breach_events": dict(events[EventKind.CLOCK_BREACHED]),
        "at_risk_events": dict(events[EventKind.CLOCK_AT_RISK]),
        "breach_marked": sorted(breach_marked),
        "at_risk_marked": sorted(at_risk_marked),
        "still_due": still_due,
        "event_count_mismatches": mismatched,
        "seq_gaps": seq_gaps,
        "notifications": dict(notifications),
    }


def _seqs_by_case(event_model: Any) -> dict[int, list[int]]:
    seqs: dict[int, list[int]] = {}
    for case_id, seq in event_model.objects.values_list("case_id", "seq"):
        seqs.setdefault(case_id, []).append(seq)
    return seqs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="sweep test helper")
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare")
    prep.add_argument("--cases", type=int, default=200)
    prep.add_argument("--days-ago", type=int, default=30)
    sub.add_parser("report")
    args = parser.parse_args(argv)
    out = prepare(args.cases, args.days_ago) if args.command == "prepare" else report()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
