"""The digest window of each case: which events were already folded into notices, and
when the next fold is due."""

from __future__ import annotations

from django.db import models


class NoticeWindow(models.Model):
    """One row per case that has had something to tell."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="+")
    # The events up to this sequence number have been folded into notices.
    folded_seq = models.PositiveIntegerField(default=0)
    # When the open window is folded (None: no window open).
    due_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"notices of case {self.case_id} (folded to {self.folded_seq})"
