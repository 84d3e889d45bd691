"""Inbound e-mail in the admin: read-only; the raw message is never edited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from accord.inbound.models import InboundMessage


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin[InboundMessage]):
    list_display = ("id", "received_at", "status", "sender", "subject", "organisation", "case")
    list_filter = ("status", "organisation")
    search_fields = ("sender", "subject", "message_id")
    exclude = ("raw",)
    readonly_fields = (
        "received_at", "size", "sha256", "envelope_from", "envelope_to", "message_id",
        "sender", "subject", "status", "reason", "notes", "organisation", "case", "party",
        "thread_message", "processed_at", "released_by", "released_at",
    )  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        queryset = super().get_queryset(request).defer("raw")
        user = request.user
        if getattr(user, "is_superuser", False):
            return queryset
        organisation_id = getattr(user, "organisation_id", None)
        if organisation_id is None:
            return queryset.none()
        return queryset.filter(organisation_id=int(organisation_id))
