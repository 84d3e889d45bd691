"""Organisations and their configuration in the admin."""

from django.contrib import admin

from accord.organisations.models import Business, ClosureDay, ExternalBody, Organisation, Team


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


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin[Business]):
    list_display = ["name", "organisation", "is_self", "email"]
    list_filter = ["organisation"]
    search_fields = ["name"]
