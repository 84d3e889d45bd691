"""What the web layer itself stores: the keys of form submissions already acted on."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Submission(models.Model):
    """A form submission acted on once. Each form carries a fresh key; a second POST with
    the same key (a double click, a browser retry, the back button) is not acted on again."""

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    path = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.path} ({self.key})"
