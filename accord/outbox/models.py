"""Models of the outbox app: one row per outbound e-mail, written in the transaction of
the change it reports and delivered by `manage.py deliver_email`."""

from __future__ import annotations

from django.db import models

from accord.outbox.choices import OutboundStatus


class OutboundMessage(models.Model):
    """One e-mail. Its Message-ID is fixed when it is queued, so every attempt to deliver
    it (after a worker or the SMTP server died mid-send) carries the same one and the
    receiving side can drop a repeat."""

    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="emails"
    )
    purpose = models.CharField(max_length=60, blank=True)
    message_id = models.CharField(max_length=255, unique=True)
    from_email = models.CharField(max_length=254, blank=True)
    to = models.JSONField(default=list)
    reply_to = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=998)
    text = models.TextField()
    html = models.TextField(blank=True)
    # Further headers sent as they are: In-Reply-To and References (the thread of the
    # case and party the e-mail belongs to), Auto-Submitted on automatic notices.
    headers = models.JSONField(default=dict, blank=True)
    # What makes a second queueing of the same e-mail a repeat (a task run twice): the
    # caller's key, never the Message-ID, which is unique to each e-mail.
    dedupe_key = models.CharField(max_length=255, unique=True, null=True, blank=True)

    status = models.CharField(
        max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    # The lease of the worker holding it (status "sending"): a worker that dies leaves
    # it to expire, and another then tries again with the same Message-ID.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_queued_due",
                condition=models.Q(status="queued"),
            ),
            models.Index(
                fields=["claimed_until"],
                name="outbox_sending_lease",
                condition=models.Q(status="sending"),
            ),
            models.Index(fields=["case", "created_at"], name="outbox_case_created"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.status})"


class OutboundAttachment(models.Model):
    """A file sent with a message, stored with it (attachments are small: letters)."""

    message = models.ForeignKey(
        OutboundMessage, on_delete=models.CASCADE, related_name="attachments"
    )
    filename = models.CharField(max_length=255)
    mimetype = models.CharField(max_length=100)
    content = models.BinaryField()

    def __str__(self) -> str:
        return self.filename
