"""The certificate page kept with a binding agreement's PDF: who confirmed the
document for each party, when, and the SHA-256 each confirmed. The agreement's own HTML
is what the parties hashed, so the confirmations go on a page of their own appended to
the kept PDF, never into the hashed document."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import weasyprint
from django.template.loader import render_to_string

from accord.mediation.choices import Party
from accord.mediation.models import Agreement
from accord.policy.disclosure import parties_named_in_shared_document

LONDON = ZoneInfo("Europe/London")
_NO_FETCHING = weasyprint.URLFetcher(allowed_protocols=frozenset({"data"}))


def _when(at: dt.datetime) -> str:
    return at.astimezone(LONDON).strftime("%d %B %Y, %H:%M:%S")


def certificate_html(agreement: Agreement, binding_from: dt.datetime) -> str:
    case = agreement.case
    names = parties_named_in_shared_document(case)
    rows = []
    for confirmation in agreement.confirmations.select_related("confirmed_by").order_by(
        "confirmed_at", "id"
    ):
        party = Party(confirmation.party)
        user = confirmation.confirmed_by
        account = user.get_full_name() or user.email or user.username
        if party == Party.COMPLAINANT:
            # The complainant's own account would name them: they confirmed through
            # their own case page.
            account = "The complainant, through their own case page"
        rows.append(
            {
                "party": names[party],
                "who": account,
                "when": _when(confirmation.confirmed_at),
                "sha256": confirmation.document_sha256,
            }
        )
    return render_to_string(
        "mediation/agreement_certificate.html",
        {
            "case": case,
            "organisation": case.organisation,
            "agreement": agreement,
            "binding_from": _when(binding_from),
            "confirmations": rows,
        },
    )


def agreement_pdf(document_html: str, certificate: str) -> bytes:
    """The agreement document's pages followed by the certificate page."""
    document = weasyprint.HTML(string=document_html, url_fetcher=_NO_FETCHING).render()
    appended = weasyprint.HTML(string=certificate, url_fetcher=_NO_FETCHING).render()
    pdf = document.copy([*document.pages, *appended.pages]).write_pdf()
    assert pdf is not None
    return bytes(pdf)
