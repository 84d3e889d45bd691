"""Who a complaint is about when nobody says: an in-house team's complaints are about
the organisation itself, so an in-house organisation is its own respondent (a `Business`
with `is_self`), made the first time it is needed — nobody has to know it exists."""

from __future__ import annotations

from accord.organisations.choices import OrganisationKind
from accord.organisations.models import Business, Organisation


def self_business(organisation: Organisation) -> Business | None:
    """The organisation as its own respondent (created if missing); None for a mediation
    service, whose complaints are always about one of its member businesses."""
    if organisation.kind != OrganisationKind.IN_HOUSE:
        return None
    business, _ = Business.objects.get_or_create(
        organisation=organisation,
        is_self=True,
        defaults={
            "name": organisation.name,
            "email": organisation.complaints_email or organisation.email,
            "phone": organisation.phone,
            "address": organisation.address,
        },
    )
    return business
