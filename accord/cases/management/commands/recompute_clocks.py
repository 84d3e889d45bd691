"""`manage.py recompute_clocks <organisation slug>`: re-project every open case's clocks
(after a calendar change made outside the admin)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.cases.recompute import recompute_open_cases
from accord.organisations.models import Organisation


class Command(BaseCommand):
    help = "Recompute the stored clocks of an organisation's open cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organisation", help="the organisation's slug")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["organisation"]).first()
        if organisation is None:
            raise CommandError(f"no organisation '{options['organisation']}'")
        count = recompute_open_cases(organisation.pk)
        self.stdout.write(f"recomputed {count} open cases of {organisation.slug}")
