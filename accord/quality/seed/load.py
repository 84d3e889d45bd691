"""The seed organisations' root-cause categories and procedure revision tables
(idempotent: rows already there are left as they are). `manage.py seed_demo` calls this
after loading the organisations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from accord.organisations.models import Organisation
from accord.quality.models import ProcedureRevision, RootCause

SEED_DIR = Path(__file__).resolve().parent
ROOT_CAUSES = SEED_DIR / "root_causes.yaml"
REVISIONS = SEED_DIR / "revisions.yaml"


def load_quality(
    organisations: list[Organisation],
    *,
    root_causes: Path = ROOT_CAUSES,
    revisions: Path = REVISIONS,
) -> None:
    """Seed the categories and revision tables of `organisations` named in the files."""
    causes: dict[str, list[dict[str, Any]]] = yaml.safe_load(root_causes.read_text("utf-8"))
    tables: dict[str, dict[str, list[dict[str, Any]]]] = yaml.safe_load(
        revisions.read_text("utf-8")
    )
    now = timezone.now()
    with transaction.atomic():
        for organisation in organisations:
            for entry in causes.get(organisation.slug, []):
                RootCause.objects.get_or_create(
                    organisation=organisation,
                    name=entry["name"],
                    defaults={"description": entry.get("description", "")},
                )
            for key, rows in tables.get(organisation.slug, {}).items():
                for row in rows:
                    ProcedureRevision.objects.get_or_create(
                        organisation=organisation,
                        procedure_key=key,
                        version=str(row["version"]),
                        defaults={
                            "author": row["author"],
                            "review_date": row["review_date"],
                            "approved_by": row.get("approved_by", ""),
                            "summary": row["summary"],
                            "recorded_at": now,
                        },
                    )
