"""The outbox in the admin: read-only, scoped to the cases the user may see."""

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accord.outbox.models import OutboundMessage
from accord.policy.disclosure import cases_visible_to


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin[OutboundMessage]):
    list_display = ("message_id", "purpose", "case", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "purpose")
    search_fields = ("message_id", "subject")
    exclude = ("html",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboundMessage]:
        queryset = super().get_queryset(request).select_related("case")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(Q(case__in=cases_visible_to(request.user)) & Q(case__isnull=False))

    def get_readonly_fields(
        self, request: HttpRequest, obj: OutboundMessage | None = None
    ) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name != "html"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: OutboundMessage | None = None
    ) -> bool:
        return False
