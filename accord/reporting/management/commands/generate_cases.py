"""manage.py generate_cases: a realistic data set of several years for each seed
organisation (see accord/reporting/synthetic.py). For demonstrations, tests and the
reporting bench; never run it against a database with real cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accord.organisations.seed.load import load_organisations
from accord.reporting.synthetic import Plan, generate

# How a total is shared out between the seed organisations.
SHARES = {"occs": 0.5, "optimised": 0.25, "ocasa": 0.25}


class Command(BaseCommand):
    help = "Generate synthetic cases (with events, clocks, outcomes and feedback) for the seed organisations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=1000, help="in total (default 1000)")
        parser.add_argument("--years", type=float, default=6.0, help="how far back (default 6)")
        parser.add_argument("--growth", type=float, default=0.25, help="yearly caseload growth")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--organisation",
            action="append",
            default=[],
            help="a seed organisation's slug (repeatable; default all three)",
        )
        parser.add_argument("--now", help="the end of the data, ISO date-time (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cases"] < 0 or options["years"] <= 0:
            raise CommandError("--cases must be 0 or more and --years more than 0")
        now = timezone.now()
        if options["now"]:
            try:
                now = dt.datetime.fromisoformat(options["now"])
            except ValueError:
                raise CommandError("--now must be an ISO date-time") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        organisations = {o.slug: o for o in load_organisations()}
        chosen = options["organisation"] or list(SHARES)
        unknown = [slug for slug in chosen if slug not in organisations]
        if unknown:
            raise CommandError(f"unknown organisation: {', '.join(unknown)}")
        weight = sum(SHARES.get(slug, 0.25) for slug in chosen)
        plans = [
            Plan(
                organisations[slug],
                round(options["cases"] * SHARES.get(slug, 0.25) / weight),
                options["years"],
                options["growth"],
            )
            for slug in chosen
        ]

        def progress(slug: str, cases: int) -> None:
            self.stdout.write(f"  {slug}: {cases} cases written so far")

        written = generate(plans, now, seed=options["seed"], progress=progress)
        self.stdout.write(
            self.style.SUCCESS(", ".join(f"{n} {name}" for name, n in sorted(written.items())))
        )
