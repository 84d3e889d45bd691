"""The quality action log and procedure reviews.

The log is a view over every case (`Case` LEFT JOIN `CaseQuality`), so a complaint is in
it from the moment it is received without a row being written at intake; a
`CaseQuality` row appears only once someone records a root cause or lessons learned.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.quality.choices import ActionStatus


class RootCause(models.Model):
    """A root-cause category an organisation files its complaints under."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="root_causes"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(
        default=True, help_text="Retired categories stay on the cases filed under them."
    )

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_root_cause")
        ]

    def __str__(self) -> str:
        return self.name


class CaseQuality(models.Model):
    """What the quality log records about one case beyond the case itself: its root
    cause and the lessons learned. Optional: absent until someone records either."""

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="quality"
    )
    root_cause = models.ForeignKey(
        RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lessons_learned = models.TextField(blank=True)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "case quality records"

    def __str__(self) -> str:
        return f"quality of {self.case_id}"


class CorrectiveAction(models.Model):
    """Something to be done to prevent a complaint recurring: what, who owns it, by when,
    and who (not the owner) verified it was done."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="corrective_actions"
    )
    what = models.TextField()
    root_cause = models.ForeignKey(
        RootCause, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="corrective_actions"
    )
    due_on = models.DateField()
    status = models.CharField(
        max_length=20, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="corrective_actions")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Claimed by the sweep once per action, when it first finds it overdue.
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verified_by__isnull=True)
                | ~models.Q(verified_by=models.F("owner")),
                name="verifier_is_not_owner",
            ),
        ]
        indexes = [
            # The sweep's question: outstanding, not yet notified, by due date.
            models.Index(
                fields=["due_on"],
                condition=models.Q(
                    status__in=["open", "in_progress"], overdue_notified_at__isnull=True
                ),
                name="action_overdue_pending",
            ),
            models.Index(fields=["organisation", "status", "due_on"], name="action_by_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}: {self.what[:60]}"


class ProcedureRevision(models.Model):
    """One row of an organisation's revision table for a procedure it runs: version,
    author, review date, approved by, summary of changes. Kept here rather than in the
    procedure packs, whose published versions are locked: an annual review that changes
    nothing is still a row."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="procedure_revisions"
    )
    procedure_key = models.CharField(max_length=60)
    version = models.CharField(max_length=20)
    author = models.CharField(max_length=200)
    review_date = models.DateField()
    approved_by = models.CharField(max_length=200, blank=True)
    summary = models.TextField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["organisation", "procedure_key", "review_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "procedure_key", "version"], name="one_row_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure_key} {self.version} ({self.review_date})"


class ReviewReminder(models.Model):
    """That the organisation's managers were reminded of a procedure's review falling
    due on `due_on`: one row per due review, so the sweep reminds once."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    procedure_key = models.CharField(max_length=60)
    due_on = models.DateField()
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "procedure_key", "due_on"], name="one_reminder_per_review"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.procedure_key} due {self.due_on}"
