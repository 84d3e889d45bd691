"""`manage.py verify_backup`: check a restored copy of Accord — every migration applied,
and every stored file (documents, sent letters' PDFs, binding agreements' PDFs) present,
documents with the SHA-256 recorded when they were uploaded. Prints what it counted;
exits non-zero with the problems otherwise. `scripts/restore_check.sh` runs it."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accord.cases.models import Case, Event
from accord.letters.models import Letter
from accord.mediation import agreements, documents
from accord.mediation.models import Agreement, Document


def _sha256(stored: Any) -> str:
    digest = hashlib.sha256()
    with stored.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Check a restored backup: migrations applied, every stored file present and intact."

    def handle(self, *args: Any, **options: Any) -> None:
        problems: list[str] = []
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if pending:
            problems.append(f"{len(pending)} migrations not applied")
        for document in Document.objects.only("pk", "stored_as", "sha256").iterator():
            stored = documents.path_of(document.stored_as)
            if not stored.exists():
                problems.append(f"document {document.pk}: file missing")
            elif _sha256(stored) != document.sha256:
                problems.append(f"document {document.pk}: content differs from its SHA-256")
        for agreement in Agreement.objects.exclude(pdf_stored_as="").iterator():
            if not agreements.pdf_path(agreement).exists():
                problems.append(f"agreement {agreement.pk}: PDF missing")
        for letter in Letter.objects.exclude(pdf_stored_as="").iterator():
            from accord.letters.sending import pdf_path

            if not pdf_path(letter).exists():
                problems.append(f"letter {letter.pk}: PDF missing")
        self.stdout.write(
            f"verify_backup: {Case.objects.count()} cases, {Event.objects.count()} events, "
            f"{Document.objects.count()} documents, "
            f"{Agreement.objects.exclude(pdf_stored_as='').count()} agreement PDFs, "
            f"{Letter.objects.exclude(pdf_stored_as='').count()} letter PDFs"
        )
        if problems:
            raise CommandError("the backup does not check:\n" + "\n".join(problems))
        self.stdout.write("verify_backup: OK")
