"""Letter templates (versioned, never edited in place) and letters (kept exactly as sent)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Max

from accord.letters.kinds import LetterKind


class LetterStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"


class Recipient(models.TextChoices):
    COMPLAINANT = "complainant", "Complainant"
    RESPONDENT = "respondent", "Respondent"


class ImmutableError(Exception):
    """Raised on any attempt to change a template version or a sent letter."""


class LetterTemplateQuerySet(models.QuerySet["LetterTemplate"]):
    def update(self, **kwargs: Any) -> int:
        raise ImmutableError("a letter template version is never edited; save a new version")

    def next_version(self, organisation_id: int | None, procedure_key: str, kind: str) -> int:
        whose = (
            models.Q(organisation__isnull=True)
            if organisation_id is None
            else models.Q(organisation_id=organisation_id)
        )
        found = self.filter(whose, procedure_key=procedure_key, kind=kind).aggregate(
            top=Max("version")
        )["top"]
        return int(found or 0) + 1


class LetterTemplate(models.Model):
    """One version of the wording of a letter kind: for one organisation (or the
    default for all), for one procedure (or any). Subject and body are Django template
    text. A version is never changed: an edit saves the next version, and letters keep
    the version they were written from."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="letter_templates",
        help_text="Empty: the default for every organisation.",
    )
    procedure_key = models.CharField(
        max_length=60, blank=True, help_text="Empty: any procedure; else a pack key."
    )
    kind = models.CharField(max_length=40, choices=LetterKind.choices)
    version = models.PositiveIntegerField(editable=False)
    subject = models.CharField(max_length=300)
    body = models.TextField(
        help_text="Django template text. Paragraphs are separated by a blank line."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = LetterTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "organisation_id", "procedure_key", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "procedure_key", "kind", "version"],
                condition=models.Q(organisation__isnull=False),
                name="one_template_version",
            ),
            models.UniqueConstraint(
                fields=["procedure_key", "kind", "version"],
                condition=models.Q(organisation__isnull=True),
                name="one_default_template_version",
            ),
        ]

    def __str__(self) -> str:
        whose = self.organisation.slug if self.organisation else "default"
        procedure = self.procedure_key or "any procedure"
        return f"{self.get_kind_display()} ({whose}, {procedure}) v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableError("a letter template version is never edited; save a new version")
        if not self.version:
            self.version = LetterTemplate.objects.next_version(
                self.organisation_id, self.procedure_key, self.kind
            )
        super().save(*args, **kwargs)

    def clean(self) -> None:
        from django.template import TemplateSyntaxError

        from accord.letters.template_text import compile_template

        for field in ("subject", "body"):
            try:
                compile_template(getattr(self, field), autoescape=True)
            except TemplateSyntaxError as error:
                raise ValidationError({field: f"not valid template text: {error}"}) from None
        if self.procedure_key:
            from accord.procedures.registry import registry

            if self.procedure_key not in set(registry().keys()):
                raise ValidationError({"procedure_key": f"no procedure '{self.procedure_key}'"})


class LetterQuerySet(models.QuerySet["Letter"]):
    """A sent letter is never changed or removed, in bulk either."""

    def update(self, **kwargs: Any) -> int:
        if self.filter(status=LetterStatus.SENT).exists():
            raise ImmutableError("a sent letter is kept exactly as sent")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status=LetterStatus.SENT).exists():
            raise ImmutableError("a sent letter is never deleted")
        return super().delete()


class Letter(models.Model):
    """A letter to one party of a case. Once sent it is kept exactly as sent: the
    model, its queryset and database triggers (migration 0002) refuse any change."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="letters")
    name = models.CharField(max_length=60, help_text="The letter's name in the procedure.")
    kind = models.CharField(max_length=40, choices=LetterKind.choices)
    recipient = models.CharField(max_length=20, choices=Recipient.choices)
    recipient_email = models.EmailField(blank=True)
    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="letters")
    template_version = models.PositiveIntegerField()
    step_seq = models.PositiveIntegerField(
        null=True, blank=True, help_text="The timeline event of the step the letter answers."
    )
    subject = models.CharField(max_length=300)
    html = models.TextField()
    text = models.TextField()
    pdf_stored_as = models.CharField(max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=10, choices=LetterStatus.choices, default=LetterStatus.DRAFT
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = LetterQuerySet.as_manager()

    class Meta:
        ordering = ["case", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.name} to {self.recipient} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and self._sent_in_database():
            raise ImmutableError("a sent letter is kept exactly as sent")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self._sent_in_database():
            raise ImmutableError("a sent letter is never deleted")
        return super().delete(*args, **kwargs)

    def _sent_in_database(self) -> bool:
        return (
            self.pk is not None
            and Letter.objects.filter(pk=self.pk, status=LetterStatus.SENT).exists()
        )
