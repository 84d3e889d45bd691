"""Users and API tokens in the admin."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accord.accounts.models import ApiToken, User
from accord.permissions import can_administer


@admin.register(User)
class UserAdmin(BaseUserAdmin[User]):
    list_display = ["username", "email", "organisation", "staff_role", "business", "is_active"]
    list_filter = ["organisation", "staff_role", "is_active"]
    fieldsets = [
        *(BaseUserAdmin.fieldsets or ()),
        ("Accord", {"fields": ["organisation", "staff_role", "business", "teams"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        users = super().get_queryset(request)
        if request.user.is_superuser:
            return users
        organisation_id = getattr(request.user, "organisation_id", None)
        if can_administer(request.user) and organisation_id is not None:
            return users.filter(organisation_id=organisation_id)
        return users.none()


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["name", "user", "created_at", "revoked_at"]
    readonly_fields = ["digest", "created_at"]
