"""The envelope every notice shares: who it goes to, the link to their own page, its
template rendered in the reader's language (HTML, and the text part from it), and the
outbox's threading headers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accord.cases.models import Case
from accord.mediation.choices import Party
from accord.notifications.plain import html_to_text
from accord.outbox import queue
from accord.outbox.threads import STAFF


def absolute(path: str) -> str:
    return str(settings.ACCORD_BASE_URL).rstrip("/") + path


def staff_case_url(case: Case) -> str:
    return absolute(reverse("staff-case", args=[case.reference]))


def page_url(case: Case, audience: str) -> str:
    """Where the reader follows the case: the complainant's signed link (of their
    current generation, so the links of earlier e-mails keep working), the business's
    page behind its sign-in, the staff case page."""
    if audience == Party.COMPLAINANT:
        from accord.cases.complainant_links import link_path

        return absolute(link_path(case))
    if audience == Party.RESPONDENT:
        return absolute(reverse("party-case", args=[case.reference]))
    return staff_case_url(case)


def staff_recipients(case: Case) -> list[str]:
    """The case's handler; the managers when nobody holds it."""
    from accord.accounts.models import User

    if case.handler is not None and case.handler.is_active:
        people = [case.handler]
    else:
        people = list(
            User.objects.filter(
                organisation_id=case.organisation_id, is_active=True, staff_role="manager"
            )
        )
    return sorted({person.email for person in people if person.email})


def recipients(case: Case, audience: str) -> list[str]:
    if audience == STAFF:
        return staff_recipients(case)
    from accord.inbound.routing import party_emails

    return sorted(party_emails(case, Party(audience)))


def language(case: Case, audience: str) -> str:
    """The language what `audience` reads is written in (a notice, and the letter an
    e-mail carries): the complainant's own (`Case.language`); the business's and staff's
    the site's."""
    if audience == Party.COMPLAINANT and case.language:
        return str(case.language)
    return str(settings.LANGUAGE_CODE)


def render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """(text, html) of one template."""
    html = render_to_string(template, context)
    return html_to_text(html), html


def send(
    case: Case,
    audience: str,
    *,
    template: str,
    subject: str,
    context: dict[str, Any] | None = None,
    key: str,
    purpose: str,
    to: list[str] | None = None,
    automatic: bool = True,
    attachments: list[tuple[str, bytes, str]] | None = None,
    subject_as_written: bool = False,
) -> Any:
    """Queue one notice to `audience` of `case` (None if it has nobody to go to).
    `subject` is translated and formatted with the case's reference and organisation,
    unless it is already written for its reader (`subject_as_written`: a letter's)."""
    to = to if to is not None else recipients(case, audience)
    if not to:
        return None
    with translation.override(language(case, audience)):
        link = page_url(case, audience)
        full = {
            "case": case,
            "organisation": case.organisation,
            "audience": audience,
            "link": link,
            "is_complainant": audience == Party.COMPLAINANT,
            "is_staff": audience == STAFF,
            "link_days": _link_days(),
            **(context or {}),
        }
        text, html = render(template, full)
        title = (
            subject
            if subject_as_written
            else translation.gettext(subject).format(
                reference=case.reference, organisation=case.organisation.name
            )
        )
    return queue.queue_email(
        to=to,
        subject=title,
        text=text,
        html=html,
        case_id=case.pk,
        audience=audience,
        automatic=automatic,
        key=key,
        purpose=purpose,
        attachments=attachments,
    )


def _link_days() -> int:
    from accord.cases.complainant_links import link_days

    return link_days()
