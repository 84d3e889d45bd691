"""Demo data for mediation: the mediation service's consent form."""

from __future__ import annotations

import datetime as dt

from accord.mediation.consent import publish_form
from accord.mediation.models import ConsentForm
from accord.organisations.models import Organisation

CONSENT_TEXT = (
    "I consent to the practice named in my complaint releasing my records and the "
    "personal information it holds about me to the mediation service, so that the "
    "service can mediate my complaint. I understand that I can withdraw this consent "
    "at any time, and that without it the service cannot obtain my records."
)


def create_consent_forms() -> None:
    """A consent form for every mediation service that has none."""
    for organisation in Organisation.objects.filter(kind="mediation_service"):
        if not ConsentForm.objects.filter(organisation=organisation).exists():
            publish_form(
                organisation,
                title="Consent to release records and personal information",
                text=CONSENT_TEXT,
                effective_from=dt.date(2020, 1, 1),
            )
