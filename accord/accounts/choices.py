"""Roles, declared once."""

from django.db import models


class StaffRole(models.TextChoices):
    """What a member of an organisation's staff does. Party roles (complainant,
    respondent) come from a person's link to a case, not from here."""

    HANDLER = "handler", "Case handler"
    SENIOR_HANDLER = "senior_handler", "Senior handler"
    MANAGER = "manager", "Quality / compliance manager"
    ADMINISTRATOR = "administrator", "Administrator"
