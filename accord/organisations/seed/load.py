"""Create the seed organisations (idempotent: existing ones are left as they are)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from accord.organisations.models import Business, ExternalBody, Organisation, Team

SEED_FILE = Path(__file__).with_name("organisations.yaml")


def load_organisations(path: Path = SEED_FILE) -> list[Organisation]:
    """Every organisation in the seed file, created if missing."""
    entries: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    organisations = []
    with transaction.atomic():
        for entry in entries:
            entry = dict(entry)
            teams = entry.pop("teams", [])
            businesses = entry.pop("businesses", [])
            bodies = entry.pop("external_bodies", [])
            organisation, created = Organisation.objects.get_or_create(
                slug=entry["slug"], defaults=entry
            )
            if created:
                Team.objects.bulk_create(Team(organisation=organisation, name=n) for n in teams)
                Business.objects.bulk_create(
                    Business(organisation=organisation, **b) for b in businesses
                )
                ExternalBody.objects.bulk_create(
                    ExternalBody(organisation=organisation, **b) for b in bodies
                )
            organisations.append(organisation)
    return organisations
