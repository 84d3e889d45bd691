"""Finding an organisation by the slug in a public address (its landing page, complaint
form and intake API): the organisation, else 404."""

from __future__ import annotations

from django.http import Http404

from accord import rows
from accord.organisations.models import Organisation


def organisation_or_404(slug: str) -> Organisation:
    # Read through rows.where: the public intake reads it for every complaint.
    found: list[Organisation] = rows.where(Organisation, "slug", slug)
    if not found:
        raise Http404("no such organisation")
    return found[0]
