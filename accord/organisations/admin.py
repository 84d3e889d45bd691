"""Organisations and their configuration in the admin. An organisation's
administrator sees and changes only their own organisation; superusers see all."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accord.cases.search import respondent_renamed
from accord.organisations.calendar import calendar_changed
from accord.organisations.models import Business, ClosureDay, ExternalBody, Organisation, Team
from accord.organisations.respondents import self_business


def _own_organisation_id(request: HttpRequest) -> int | None:
    from accord.accounts.admin import _administered_organisation

    return _administered_organisation(request)


class ClosureDayInline(admin.TabularInline[ClosureDay, Organisation]):
    model = ClosureDay
    extra = 0


class ExternalBodyInline(admin.StackedInline[ExternalBody, Organisation]):
    model = ExternalBody
    extra = 0


class TeamInline(admin.TabularInline[Team, Organisation]):
    model = Team
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "kind", "nation", "procedure_key", "reference_prefix"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TeamInline, ClosureDayInline, ExternalBodyInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        own = _own_organisation_id(request)
        organisations = super().get_queryset(request)
        return organisations if own is None else organisations.filter(pk=own)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        calendar_fields = {"nation", "closing_time", "closures_published_through"}
        closures_changed = any(
            formset.has_changed() for formset in formsets if formset.model is ClosureDay
        )
        if change and (calendar_fields & set(form.changed_data) or closures_changed):
            # The organisation's working days moved: every open case's due dates follow.
            calendar_changed(form.instance)
        self_business(form.instance)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Which procedure an organisation runs is set by a superuser (and checked).
        return [] if request.user.is_superuser else ["procedure_key", "slug", "reference_prefix"]


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin[Business]):
    list_display = ["name", "organisation", "is_self", "email"]
    list_filter = ["organisation"]
    search_fields = ["name"]

    def save_model(self, request: HttpRequest, obj: Business, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "name" in form.changed_data:
            respondent_renamed(obj.pk, obj.name)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Business]:
        own = _own_organisation_id(request)
        businesses = super().get_queryset(request)
        return businesses if own is None else businesses.filter(organisation_id=own)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        own = _own_organisation_id(request)
        if db_field.name == "organisation" and own is not None:
            kwargs["queryset"] = Organisation.objects.filter(pk=own)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
