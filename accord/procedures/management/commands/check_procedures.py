"""`manage.py check_procedures`: load and validate every pack, listing each version."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accord.procedures.loader import ProcedureError
from accord.procedures.registry import LOCK_FILE, PACKS_DIR, Registry


class Command(BaseCommand):
    help = "Validate every procedure pack and show which versions are published."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            registry = Registry(PACKS_DIR, LOCK_FILE)
        except ProcedureError as exc:
            raise CommandError(str(exc)) from exc
        unpublished = {loaded.procedure.ref for loaded in registry.unpublished()}
        for loaded in registry.all():
            procedure = loaded.procedure
            state = "not yet published" if procedure.ref in unpublished else "published"
            self.stdout.write(
                f"{procedure.ref:24} in force from {procedure.effective_from}  {state}  "
                f"({len(procedure.stages)} stages, {len(procedure.transitions)} steps, "
                f"{len(procedure.clocks)} clocks)"
            )
