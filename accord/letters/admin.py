"""Letter templates and sent letters in the admin.

Saving a template never changes the row: it saves the next version (letters keep the
version they were written from). An organisation's administrator sees the defaults
and their own organisation's templates and edits only their own (editing a default
saves their organisation's own version). Letters are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accord.letters.models import Letter, LetterTemplate
from accord.organisations.models import Organisation
from accord.procedures.registry import NAMESPACE_SEPARATOR


def _own_organisation_id(request: HttpRequest) -> int | None:
    from accord.accounts.admin import _administered_organisation

    return _administered_organisation(request)


@admin.register(LetterTemplate)
class LetterTemplateAdmin(admin.ModelAdmin[LetterTemplate]):
    list_display = ["kind", "organisation", "procedure_key", "version", "created_at"]
    list_filter = ["kind", "organisation", "procedure_key"]
    fields = ["organisation", "procedure_key", "kind", "subject", "body", "version"]
    readonly_fields = ["version"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LetterTemplate]:
        own = _own_organisation_id(request)
        templates = super().get_queryset(request)
        if own is None:
            return templates
        # The defaults, less those holding another organisation's own procedure's
        # wording (kept as defaults under that procedure's key: `<slug>:<key>`).
        slug = Organisation.objects.filter(pk=own).values_list("slug", flat=True).first()
        theirs = Q(procedure_key__contains=NAMESPACE_SEPARATOR) & ~Q(
            procedure_key__startswith=f"{slug}{NAMESPACE_SEPARATOR}"
        )
        return templates.filter(Q(organisation_id=own) | (Q(organisation__isnull=True) & ~theirs))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        own = _own_organisation_id(request)
        if db_field.name == "organisation" and own is not None:
            kwargs["queryset"] = Organisation.objects.filter(pk=own)
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: LetterTemplate, form: Any, change: bool
    ) -> None:
        # An edit is a new version: the edited row (perhaps used by sent letters) stays.
        own = _own_organisation_id(request)
        if own is not None:
            obj.organisation_id = own
        obj.pk = None
        obj._state.adding = True
        obj.version = LetterTemplate.objects.next_version(
            obj.organisation_id, obj.procedure_key, obj.kind
        )
        if request.user.is_authenticated:
            obj.created_by_id = request.user.pk
        obj.save()


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin[Letter]):
    list_display = ["case", "name", "recipient", "status", "template_version", "sent_at"]
    list_filter = ["kind", "status"]
    search_fields = ["case__reference"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Letter]:
        own = _own_organisation_id(request)
        letters = super().get_queryset(request)
        return letters if own is None else letters.filter(case__organisation_id=own)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [field.name for field in Letter._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
