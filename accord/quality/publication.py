"""The organisation's current complaint procedure, published as a page and a PDF
("a copy of our complaint procedure is available on our website")."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_safe

from accord.letters.rendering import pdf_of
from accord.organisations.models import Organisation
from accord.procedures.registry import UnknownProcedure
from accord.quality import reviews
from accord.quality.procedure_text import Body, describe
from accord.workdays.calendar import Nation


def _context(slug: str) -> dict[str, Any]:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise Http404("no such organisation")
    today = timezone.localdate()
    try:
        status = reviews.review_status(organisation, today)
    except UnknownProcedure:
        # An organisation whose procedure has no version in force publishes nothing.
        raise Http404("no procedure in force") from None
    procedure = status.procedure
    bodies = [
        Body(
            kind=b.kind,
            name=b.name,
            website=b.website,
            email=b.email,
            phone=b.phone,
            address=b.address,
            time_limit=b.time_limit,
        )
        for b in organisation.external_bodies.order_by("pk")
    ]
    return {
        "organisation": organisation,
        "procedure": procedure,
        "text": describe(procedure, bodies),
        "nation": Nation(organisation.nation).label,
        "revisions": reviews.revisions_of(organisation, procedure.key),
        "review": status,
    }


@require_safe
def procedure_page(request: HttpRequest, slug: str) -> HttpResponse:
    return render(request, "quality/published_procedure.html", _context(slug))


@require_safe
def procedure_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    context = _context(slug)
    html = render_to_string("quality/published_procedure_pdf.html", context)
    response = HttpResponse(pdf_of(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{slug}-complaints-procedure.pdf"'
    return response
