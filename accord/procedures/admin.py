"""A read-only view of the loaded procedures inside the Django admin."""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from accord.procedures.registry import UnknownProcedure, registry


def procedure_list(request: HttpRequest) -> HttpResponse:
    context = {
        **admin.site.each_context(request),
        "title": "Procedures",
        "loaded": registry().all(),
    }
    return TemplateResponse(request, "admin/procedures/list.html", context)


def procedure_detail(request: HttpRequest, key: str, version: int) -> HttpResponse:
    try:
        procedure = registry().get(key, version)
    except UnknownProcedure:
        raise Http404("no such procedure") from None
    context = {
        **admin.site.each_context(request),
        "title": f"{procedure.name} (version {procedure.version})",
        "procedure": procedure,
    }
    return TemplateResponse(request, "admin/procedures/detail.html", context)


def admin_urls() -> list[URLPattern]:
    return [
        path("procedures/", admin.site.admin_view(procedure_list), name="procedure-list"),
        path(
            "procedures/<slug:key>/<int:version>/",
            admin.site.admin_view(procedure_detail),
            name="procedure-detail",
        ),
    ]
