"""Users and API tokens in the admin. An organisation's administrator manages only
their own organisation's users, and can grant neither superuser nor model permissions."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from accord.accounts.models import ApiToken, User
from accord.organisations import staffing
from accord.organisations.models import Business, Organisation, Team
from accord.policy.roles import can_administer

PRIVILEGE_FIELDS = ("is_superuser", "groups", "user_permissions")
NAME_FIELDS = {"first_name", "last_name"}


def _administered_organisation(request: HttpRequest) -> int | None:
    """None for a superuser; otherwise the organisation this administrator manages."""
    if request.user.is_superuser:
        return None
    organisation_id = getattr(request.user, "organisation_id", None)
    if organisation_id is None or not can_administer(request.user, organisation_id):
        return -1  # matches nothing
    return int(organisation_id)


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
        own = _administered_organisation(request)
        return users if own is None else users.filter(organisation_id=own)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Privileges are granted by a superuser only.
        return [
            (
                name,
                {**options, "fields": [f for f in options["fields"] if f not in PRIVILEGE_FIELDS]},
            )
            for name, options in fieldsets
        ]

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and NAME_FIELDS & set(form.changed_data):
            # The cases they handle sort by their name: it follows the new one.
            staffing.rename(obj, first_name=obj.first_name, last_name=obj.last_name)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        own = _administered_organisation(request)
        if own is not None and db_field.name == "organisation":
            kwargs["queryset"] = Organisation.objects.filter(pk=own)
        if own is not None and db_field.name == "business":
            kwargs["queryset"] = Business.objects.filter(organisation_id=own)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        own = _administered_organisation(request)
        if own is not None and db_field.name == "teams":
            kwargs["queryset"] = Team.objects.filter(organisation_id=own)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["name", "user", "created_at", "revoked_at"]
    readonly_fields = ["digest", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        tokens = super().get_queryset(request)
        if request.user.is_superuser:
            return tokens
        return tokens.filter(user_id=request.user.pk or -1)
