"""Every message received by e-mail, stored raw before anything else happens."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.inbound.choices import InboundStatus


class InboundMessage(models.Model):
    """One message as it arrived (the exact bytes), and what became of it. Never
    deleted: a quarantined message waits here for staff to release it."""

    received_at = models.DateTimeField()
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    envelope_from = models.CharField(max_length=400, blank=True)
    envelope_to = models.JSONField(default=list, blank=True)
    # The Message-ID (or, without one, "sha256:<fingerprint>").
    message_id = models.CharField(max_length=400, blank=True)
    # SHA-256 of the content (From, To, Cc, Date, Subject, body; not the trace headers):
    # the same Message-ID with another fingerprint is another message reusing the ID.
    fingerprint = models.CharField(max_length=64, blank=True)
    sender = models.CharField(max_length=400, blank=True)
    subject = models.CharField(max_length=400, blank=True)
    status = models.CharField(
        max_length=16, choices=InboundStatus.choices, default=InboundStatus.RECEIVED
    )
    reason = models.TextField(blank=True)
    # Notes on the processing (e.g. attachments refused by the upload rules).
    notes = models.JSONField(default=list, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    party = models.CharField(max_length=12, blank=True)
    thread_message = models.ForeignKey(
        "mediation.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    released_at = models.DateTimeField(null=True, blank=True)
    # Discarded from the quarantine (no case to put it on): who, when and why.
    discarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    discarded_at = models.DateTimeField(null=True, blank=True)
    discard_reason = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["organisation", "received_at"],
                condition=models.Q(status="quarantined"),
                name="inbound_quarantine",
            ),
            # Duplicates are recognised per receiving organisation.
            models.Index(fields=["organisation", "message_id"], name="inbound_org_message_id"),
        ]

    def __str__(self) -> str:
        return f"inbound #{self.pk} ({self.status})"
