"""Users: organisation staff, people acting for a respondent business, complainants."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models

from accord.accounts.choices import StaffRole


class User(AbstractUser):
    """Anyone who signs in. Staff belong to one organisation with one role; a
    respondent's representative belongs to one business; complainants to neither."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    staff_role = models.CharField(max_length=20, choices=StaffRole.choices, blank=True)
    business = models.ForeignKey(
        "organisations.Business",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="representatives",
        help_text="For a respondent's representative: the business they act for.",
    )
    teams = models.ManyToManyField("organisations.Team", blank=True, related_name="members")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(staff_role="") | models.Q(organisation__isnull=False),
                name="staff_have_an_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str, raw: str | None = None) -> tuple[ApiToken, str]:
        """Create a token and return it with its raw value (shown once)."""
        raw = raw or "acc_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, digest=cls.digest_of(raw)), raw
