"""The organisation's current complaint procedure, published as a page and a PDF
("a copy of our complaint procedure is available on our website")."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def procedure_page(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404("Not built yet.")


def procedure_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404("Not built yet.")
