"""Cases in the admin: read-only. Cases change only through actions (the API and the
pages), so every change has its timeline event; the admin only looks."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accord.cases.models import Case, Clock, Event
from accord.policy.disclosure import cases_visible_to


class ReadOnlyInline(admin.TabularInline[Any, Case]):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = Event
    fields = readonly_fields = (
        "seq",
        "at",
        "kind",
        "action",
        "actor",
        "actor_role",
        "from_stage",
        "to_stage",
        "reason",
    )


class ClockInline(ReadOnlyInline):
    model = Clock
    fields = readonly_fields = (
        "key",
        "label",
        "status",
        "started_at",
        "stopped_at",
        "due_at",
        "at_risk_at",
    )


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin[Case]):
    list_display = ["reference", "organisation", "stage", "is_open", "handler", "next_deadline_at"]
    list_filter = ["organisation", "is_open", "channel", "source"]
    search_fields = ["reference", "complainant__name", "complainant__email"]
    inlines = [ClockInline, EventInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return cases_visible_to(request.user).select_related("organisation", "handler")

    def get_readonly_fields(self, request: HttpRequest, obj: Case | None = None) -> list[str]:
        return [field.name for field in Case._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False
