"""`manage.py publish_procedures`: record new procedure versions in the lock file.

Once published, a version's file may not change: cases are pinned to it. Commit the
lock file with the new version."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accord.procedures.loader import ProcedureError
from accord.procedures.registry import LOCK_FILE, PACKS_DIR, Registry, UnknownProcedure


class Command(BaseCommand):
    help = "Publish every not-yet-published procedure version (adds it to published.lock)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("versions", nargs="*", help="e.g. lettings@2 (default: all new)")

    def handle(self, *args: Any, **options: Any) -> None:
        only = set(options["versions"]) or None
        try:
            added = Registry(PACKS_DIR, LOCK_FILE).publish(only)
        except (ProcedureError, UnknownProcedure) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("Published: " + (", ".join(added) if added else "nothing new"))
