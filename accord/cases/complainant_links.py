"""The complainant's way in: a signed, expiring link to their case, sent by e-mail.

There is no password to create. The link carries the complainant's id, the case
reference and the complainant's link generation, signed with the site's secret
(django.core.signing.TimestampSigner); each link is valid for
`ACCORD_COMPLAINANT_LINK_DAYS` from when it was signed. Every e-mail Accord sends the
complainant (the receipt, notices, letters) carries a link of their current generation,
so a later e-mail never stops an earlier one's link working. Asking for a new link
(`/my/link/`, with the e-mail address and reference; the answer never says whether such
a case exists) starts a new generation: every link signed before it is refused from
then on, as a complainant who fears an old e-mail was seen expects; an e-mail queued to
them but not yet sent is given a link of the new generation in the same transaction, so
nothing that reaches them afterwards carries a dead link. Sessions already opened with a
link are not signed out by it. Opening a link signs the complainant in for
the session as their own passwordless user (`Complainant.user`, made with an unusable
password the first time), so every permission check and action treats them exactly as
the API does.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from accord.accounts.models import User
from accord.cases.models import Case, Complainant
from accord.outbox.choices import OutboundStatus
from accord.outbox.models import OutboundMessage
from accord.outbox.queue import mail_domain, queue_email
from accord.reads import Read

SALT = "accord.complainant-link"


class LinkRefused(Exception):
    """The link cannot be used; `message` says why, for the person holding it. `gone`:
    the link was genuine but no longer works (it expired, or a new link revoked it)."""

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.gone = gone


def link_days() -> int:
    return int(getattr(settings, "ACCORD_COMPLAINANT_LINK_DAYS", 14))


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


# Read for every e-mail to a complainant (each carries their link): compiled once.
_GENERATION = Read(
    lambda pk: Complainant.objects.filter(pk=pk).values_list("link_generation", flat=True)
)


def link_token(case: Case) -> str:
    """A token for the complainant of `case`, of their current link generation: it
    works beside every other link of that generation until its own expiry."""
    found = _GENERATION(case.complainant_id)
    if not found:
        raise Complainant.DoesNotExist(f"no complainant {case.complainant_id}")
    generation = found[0]
    return _signer().sign_object({"c": case.complainant_id, "r": case.reference, "g": generation})


def revoke_earlier_links(case: Case) -> None:
    """Start a new link generation for the complainant of `case`: every link issued
    before now is refused from here on."""
    Complainant.objects.filter(pk=case.complainant_id).update(
        link_generation=F("link_generation") + 1
    )


def link_path(case: Case) -> str:
    return reverse("party-link-open", kwargs={"token": link_token(case)})


def _link_pattern() -> re.Pattern[str]:
    before, _, after = reverse("party-link-open", kwargs={"token": "TOKEN"}).partition("TOKEN")
    return re.compile(re.escape(before) + r"[A-Za-z0-9_:\-]+" + re.escape(after))


def _relink_queued(case: Case) -> int:
    """Give the e-mails queued to the complainant of `case` and not yet sent links of
    their current generation (each to its own case); returns how many changed."""
    pattern = _link_pattern()
    queued = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .filter(case__complainant_id=case.complainant_id, status=OutboundStatus.QUEUED)
        .select_related("case")
        .order_by("pk")
    )
    changed = 0
    for message in queued:
        assert message.case is not None  # filtered on its case
        path = link_path(message.case)
        text, html = pattern.sub(path, message.text), pattern.sub(path, message.html)
        if (text, html) != (message.text, message.html):
            message.text, message.html = text, html
            message.save(update_fields=["text", "html"])
            changed += 1
    return changed


def case_for_token(token: str) -> Case:
    """The case a token was issued for, if it is genuine, unexpired and still matches."""
    try:
        claims = _signer().unsign_object(token, max_age=link_days() * 24 * 3600)
    except signing.SignatureExpired:
        raise LinkRefused("This link has expired.", gone=True) from None
    except signing.BadSignature:
        raise LinkRefused("This link is not valid: it may have been copied incompletely.") from None
    if not isinstance(claims, dict) or not isinstance(claims.get("c"), int):
        raise LinkRefused("This link is not valid.")
    case = (
        Case.objects.select_related("complainant", "organisation")
        .filter(reference=str(claims.get("r")), complainant_id=int(claims["c"]))
        .first()
    )
    if case is None:
        raise LinkRefused("This link is not valid.")
    if claims.get("g", 0) != case.complainant.link_generation:
        raise LinkRefused(
            "This link was replaced when a new link was asked for, so it no longer "
            "works: use the link in the newest e-mail from us, or ask for another one.",
            gone=True,
        )
    return case


SESSION_KEY = "accord_complainant_link"
SESSION_REVOKED = (
    "You were signed in with a link that has since been replaced by a new one, so you "
    "have been signed out: use the link in the newest e-mail from us, or ask for another."
)


def remember_link(session: SessionBase, case: Case) -> None:
    """A session opened with a link holds the link's generation: a new link asked for
    later revokes the session with the link."""
    session[SESSION_KEY] = [case.complainant_id, case.complainant.link_generation]


def session_link_revoked(session: SessionBase) -> bool:
    """Whether the session was opened with a link a new one has since replaced."""
    held = session.get(SESSION_KEY)
    if not held:
        return False
    complainant_id, generation = held
    current = (
        Complainant.objects.filter(pk=complainant_id)
        .values_list("link_generation", flat=True)
        .first()
    )
    return bool(current != generation)


def may_sign_in_by_link(user: User) -> bool:
    """Only an account that is nothing but a complainant's: staff and business
    representatives sign in with their password (and staff with a second factor), so a
    link must never open their accounts."""
    return (
        user.is_active
        and not user.is_staff
        and not user.is_superuser
        and not user.staff_role
        and user.business_id is None
    )


def complainant_user(complainant: Complainant) -> User:
    """The complainant's own user, made (without a usable password) if they have none."""
    with transaction.atomic():
        locked = (
            # Lock the complainant's row only: PostgreSQL cannot lock the nullable side
            # of the outer join select_related("user") would add.
            Complainant.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=complainant.pk)
        )
        if locked.user is not None:
            return locked.user
        user = User(
            username=f"complainant-{locked.pk}-{secrets.token_hex(4)}",
            email=locked.email,
            first_name=locked.name[:150],
        )
        user.set_unusable_password()
        user.save()
        locked.user = user
        locked.save(update_fields=["user"])
    complainant.user = user
    return user


def user_for_token(token: str) -> tuple[User, Case]:
    """Who the link signs in, and the case it opens."""
    case = case_for_token(token)
    user = complainant_user(case.complainant)
    if not may_sign_in_by_link(user):
        raise LinkRefused("This account signs in with its password, not with a link.")
    return user, case


@dataclass(frozen=True)
class SentLink:
    case: Case
    url: str


def send_new_link(case: Case, *, base_url: str) -> SentLink | None:
    """Revoke the complainant's earlier links and queue an e-mail with a new one; None
    (and nothing revoked) if there is no address to send it to. `base_url` is the
    site's address (e.g. https://complaints.example.org)."""
    email = case.complainant.email
    if not email:
        return None
    base = base_url.rstrip("/")
    organisation = case.organisation
    with transaction.atomic():
        revoke_earlier_links(case)
        _relink_queued(case)
        url = base + link_path(case)
        text = (
            f"Dear {case.complainant.name},\n\n"
            f"Here is your new link to follow your complaint {case.reference} to "
            f"{organisation.name}, reply to us and send documents:\n\n{url}\n\n"
            "The links in our earlier e-mails no longer work. This one works for "
            f"{link_days()} days, as does the link in each e-mail we send you from now on. "
            "If it has expired you can ask for a new one at "
            f"{base}{reverse('party-link-request')} with your e-mail address and your "
            "reference.\n\nDo not forward this e-mail: anyone with the link can see your "
            f"complaint.\n\n{organisation.name}\n"
        )
        queue_email(
            subject=f"{organisation.name}: your new link to complaint {case.reference}",
            text=text,
            to=[email],
            case_id=case.pk,
            message_id=f"<link.{secrets.token_hex(8)}.{case.reference}@{mail_domain()}>",
            purpose="complainant_link",
        )
    return SentLink(case=case, url=url)


def send_link_on_request(email: str, reference: str, *, base_url: str) -> None:
    """Someone asked for a new link: if the reference is a case whose complainant has
    that address, revoke their earlier links and send a new one. Nothing is returned
    either way, so the answer cannot reveal whether a case exists."""
    case = (
        Case.objects.select_related("complainant", "organisation")
        .filter(reference=reference.strip().upper())
        .first()
    )
    if case is None or not case.complainant.email:
        return
    if case.complainant.email.strip().lower() != email.strip().lower():
        return
    send_new_link(case, base_url=base_url)
