"""`manage.py complainant_link <reference>`: print a working link to the complainant's
case page (for trying Accord out, or when the e-mail did not arrive)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.cases.complainant_links import link_days, link_path
from accord.cases.models import Case


class Command(BaseCommand):
    help = "Print a signed link to a case's complainant page."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("reference")
        parser.add_argument("--base-url", default=settings.ACCORD_BASE_URL)

    def handle(self, *args: Any, **options: Any) -> None:
        case = Case.objects.filter(reference=options["reference"]).first()
        if case is None:
            raise CommandError(f"no case {options['reference']}")
        url = options["base_url"].rstrip("/") + link_path(case)
        self.stdout.write(f"{url}  (valid {link_days()} days)")
