"""The quality app in the admin: each organisation's root-cause categories (an
organisation's administrator sees only their own). The log, corrective actions and
revision tables are kept through the staff pages under /quality/."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accord.organisations.models import Organisation
from accord.quality.models import RootCause


@admin.register(RootCause)
class RootCauseAdmin(admin.ModelAdmin[RootCause]):
    list_display = ("name", "organisation", "is_active")
    list_filter = ("organisation", "is_active")
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RootCause]:
        from accord.accounts.admin import _administered_organisation

        own = _administered_organisation(request)
        causes = super().get_queryset(request)
        return causes if own is None else causes.filter(organisation_id=own)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        from accord.accounts.admin import _administered_organisation

        own = _administered_organisation(request)
        if db_field.name == "organisation" and own is not None:
            kwargs["queryset"] = Organisation.objects.filter(pk=own)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
