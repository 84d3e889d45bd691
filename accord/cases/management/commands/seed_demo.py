"""`manage.py seed_demo`: the seed organisations, demo users and a few demo cases."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from accord.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, create_demo_users
from accord.cases.complainant_links import link_path
from accord.cases.demo import create_demo_cases
from accord.cases.models import Case
from accord.mediation.demo import create_consent_forms
from accord.organisations.seed.load import load_organisations
from accord.quality.seed.load import load_quality


class Command(BaseCommand):
    help = "Load the three seed organisations, demo users for every role and demo cases."

    def handle(self, *args: Any, **options: Any) -> None:
        organisations = load_organisations()
        load_quality(organisations)
        logins = create_demo_users(organisations)
        create_consent_forms()
        made = create_demo_cases(timezone.now())
        self.stdout.write(
            f"Organisations: {', '.join(o.slug for o in organisations)}; demo cases made now: {made}"
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}; API token shown):")
        for login in logins:
            self.stdout.write(f"  {login.username:28} {login.role:44} token: {login.token}")
        self.stdout.write(
            "Staff sign in at /staff/login/ with the password, then a code from an "
            f"authenticator app set up with the secret {DEMO_TOTP_SECRET} (the same for "
            "every demo staff member), or print the current code with: "
            ".venv/bin/python manage.py demo_totp <username>"
        )
        demo = Case.objects.filter(complainant__user__username="complainant").order_by("pk").first()
        if demo is not None:
            self.stdout.write(
                f"Complainant's page for {demo.reference} (no password; a new link any time with "
                f"`manage.py complainant_link {demo.reference}`):\n"
                f"  {settings.ACCORD_BASE_URL.rstrip('/')}{link_path(demo)}"
            )
        self.stdout.write(
            "Public pages: /occs/, /optimised/, /ocasa/ (complaint form at /<slug>/complain/); "
            "businesses sign in at /my/login/ (e.g. occs-practice)."
        )
