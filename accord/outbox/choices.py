"""Outbox choices, declared once."""

from django.db import models


class OutboundStatus(models.TextChoices):
    """Where an outbound e-mail stands."""

    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending (claimed by a worker)"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed permanently"
