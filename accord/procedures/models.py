"""An organisation's own procedures: a working draft (the same YAML format as a pack
file) and its published versions, which never change once written."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class PublishedVersionIsFinal(Exception):
    """A published version is never changed or deleted: cases are pinned to it."""


class OwnProcedure(models.Model):
    """A procedure an organisation writes for itself, started from a shipped pack or a
    blank one. `key` is its registry key, in the organisation's namespace."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="own_procedures"
    )
    key = models.CharField(max_length=60, unique=True)
    draft = models.TextField(help_text="The working draft, as procedure YAML.")
    based_on = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["organisation", "key"]

    def __str__(self) -> str:
        return self.key


class FinalQuerySet(models.QuerySet["OwnVersion"]):
    def update(self, **kwargs: Any) -> int:
        raise PublishedVersionIsFinal("published versions cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PublishedVersionIsFinal("published versions cannot be deleted")


class OwnVersion(models.Model):
    """One published version of an organisation's own procedure: its text exactly as
    published (with the revision entry in it), who wrote and who approved it."""

    procedure = models.ForeignKey(OwnProcedure, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    summary = models.TextField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Why the author approved it themselves (a one-person organisation, say).
    self_approval_reason = models.TextField(blank=True)

    objects = FinalQuerySet.as_manager()

    class Meta:
        ordering = ["procedure", "version"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "version"], name="one_own_version"),
            models.CheckConstraint(
                condition=(
                    models.Q(approved_by__isnull=False)
                    & ~models.Q(approved_by=models.F("published_by"))
                )
                | ~models.Q(self_approval_reason=""),
                name="approved_by_another_or_why_not",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.key}@{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PublishedVersionIsFinal("published versions cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PublishedVersionIsFinal("published versions cannot be deleted")
