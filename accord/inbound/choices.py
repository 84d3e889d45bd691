"""Inbound e-mail choices, declared once."""

from django.db import models


class InboundStatus(models.TextChoices):
    """What became of a received message."""

    RECEIVED = "received", "Stored, not yet processed"
    CASE_OPENED = "case_opened", "Opened a case"
    THREADED = "threaded", "Added to a party's thread"
    DUPLICATE = "duplicate", "Duplicate (the same message again), ignored"
    AUTO_REPLY = "auto_reply", "Auto-reply or bounce, ignored"
    QUARANTINED = "quarantined", "Quarantined"
    RELEASED = "released", "Released from quarantine by staff"
    DISCARDED = "discarded", "Discarded from quarantine by staff, with the reason"
