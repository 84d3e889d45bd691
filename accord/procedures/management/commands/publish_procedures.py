"""`manage.py publish_procedures`: record new procedure versions in the lock file.

Once published, a version's file may not change: cases are pinned to it. Commit the
lock file with the new version."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accord.procedures.loader import ProcedureError
from accord.procedures.registry import LOCK_FILE, PACKS_DIR, Registry


class Command(BaseCommand):
    help = "Publish every not-yet-published procedure version (adds it to published.lock)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            added = Registry(PACKS_DIR, LOCK_FILE).publish()
        except ProcedureError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("Published: " + (", ".join(added) if added else "nothing new"))
