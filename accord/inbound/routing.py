"""Where a received message belongs: which organisation's complaints address it was sent
to, which case and thread, and whether it may go there.

A reply reaches a thread by the thread's own reply address, `<local>+r-<token>@<domain>`,
whose token is signed (an HMAC keyed from SECRET_KEY) over the case and the party: it
cannot be guessed from a case reference, nor turned into another case's or the other
party's address. Without one, a reply is placed by the case reference in its subject
and the sender's address, and only if the receiving mail server authenticated the
sender's domain (`authentication.py`): a From header alone proves nothing."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from django.db import models
from django.utils.crypto import constant_time_compare, salted_hmac

from accord.accounts.models import User
from accord.cases.models import Case
from accord.inbound.authentication import sender_not_authenticated
from accord.mediation.choices import Party
from accord.organisations.models import Organisation

REFERENCE = re.compile(r"\b([A-Z]{2,6}-\d{4}-\d{6})\b")
# The guessable form reply addresses had before they were signed: it routes nowhere now.
OLD_TAG = re.compile(r"^([A-Za-z]{2,6}-\d{4}-\d{6})-(complainant|respondent)$", re.I)
SIGNING_SALT = "accord.inbound.routing.reply-address"
SIGNED_TAG = "r-"
MAC_CHARS = 24  # base32: 120 bits
TOKEN = re.compile(rf"^r-([0-9a-z]{{1,13}})-([cr])([a-z2-7]{{{MAC_CHARS}}})$")
PARTY_LETTER = {Party.COMPLAINANT: "c", Party.RESPONDENT: "r"}
LETTER_PARTY = {letter: party for party, letter in PARTY_LETTER.items()}


class Refused(Exception):
    """The message cannot go where it asks to; the text says why (for the quarantine)."""


def split_address(address: str) -> tuple[str, str]:
    """("complaints@x", "r-…") from "complaints+r-…@x"."""
    local, _, domain = address.strip().lower().rpartition("@")
    base, _, tag = local.partition("+")
    return f"{base}@{domain}", tag


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _mac(case_id: int, party: Party) -> str:
    digest = salted_hmac(SIGNING_SALT, f"{case_id}:{party.value}", algorithm="sha256").digest()
    return base64.b32encode(digest).decode("ascii")[:MAC_CHARS].lower()


def reply_token(case_id: int, party: Party) -> str:
    """The signed tag of one thread's reply address (lower case: mail servers may fold
    the case of a local part)."""
    return f"{SIGNED_TAG}{_base36(case_id)}-{PARTY_LETTER[party]}{_mac(case_id, party)}"


def reply_address(case: Case, party: Party) -> str:
    """The address a party replies to (the Reply-To of what Accord sends them), so the
    reply reaches their own thread of this case and no other."""
    return reply_address_at(case.organisation.complaints_email, case.pk, party)


def reply_address_at(complaints_email: str, case_id: int, party: Party) -> str:
    """`reply_address` of the case `case_id` of the organisation whose complaints
    address is `complaints_email`."""
    local, _, domain = complaints_email.partition("@")
    return f"{local}+{reply_token(case_id, party)}@{domain}"


def read_token(tag: str) -> tuple[int, Party]:
    """The case id and party a signed tag names; `Refused` if it does not verify."""
    match = TOKEN.match(tag)
    if match is not None:
        case_id, party = int(match.group(1), 36), LETTER_PARTY[match.group(2)]
        canonical = _base36(case_id) == match.group(1)  # one spelling per thread
        if canonical and constant_time_compare(match.group(3), _mac(case_id, party)):
            return case_id, party
    raise Refused(
        f"the reply address +{tag[:40]} does not verify (tampered with, truncated or made "
        "up); only the reply address Accord sent reaches a thread"
    )


def organisation_for(addresses: list[str]) -> tuple[Organisation, str] | None:
    """The organisation whose complaints address one of `addresses` is (plus-tags
    allowed), with that address's tag."""
    wanted = {split_address(address) for address in addresses if "@" in address}
    if not wanted:
        return None
    bases = {base for base, _ in wanted}
    by_address = {
        organisation.complaints_email.lower(): organisation
        for organisation in Organisation.objects.exclude(complaints_email="")
        if organisation.complaints_email.lower() in bases
    }
    for base, tag in sorted(wanted, key=lambda pair: not pair[1]):  # tagged first
        if base in by_address:
            return by_address[base], tag
    return None


def party_emails(case: Case, party: Party) -> set[str]:
    """The addresses a party writes from: the complainant's; the respondent business's
    own and its active representatives'."""
    if party == Party.COMPLAINANT:
        email = case.complainant.email
        return {email.lower()} if email else set()
    emails = {case.respondent.email.lower()} if case.respondent.email else set()
    emails |= {
        email.lower()
        for email in User.objects.filter(business_id=case.respondent_id, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    }
    return emails


@dataclass(frozen=True)
class Destination:
    case: Case
    party: Party


def _cases() -> models.QuerySet[Case]:
    return Case.objects.select_related("complainant", "respondent", "organisation")


def _by_reply_address(organisation: Organisation, tag: str, sender: str) -> Destination:
    case_id, party = read_token(tag)
    case = _cases().filter(pk=case_id).first()
    if case is None:
        raise Refused(f"the reply address +{tag} names no case")
    if case.organisation_id != organisation.pk:
        raise Refused(
            f"the reply address +{tag} belongs to a case of another organisation, not "
            f"{organisation.name}"
        )
    # The address proves which thread; the sender must still be that thread's party
    # (a reply from someone the e-mail was forwarded to goes to staff instead).
    if sender not in party_emails(case, party):
        raise Refused(
            f"the sender {sender or '(none)'} is not the {party.label.lower()} of "
            f"{case.reference}; only that party may write in its thread"
        )
    return Destination(case, party)


def find_thread(
    organisation: Organisation,
    tag: str,
    subject: str,
    sender: str,
    authentication_results: list[str],
) -> Destination | None:
    """The case and thread a reply belongs to, or None for a new complaint. Raises
    `Refused` with the reason when the reply address does not verify or is of the old
    guessable form, or the subject names a case that does not exist, whose sender's
    domain was not authenticated, or a sender who is not a party."""
    if tag.startswith(SIGNED_TAG):
        return _by_reply_address(organisation, tag, sender)
    if OLD_TAG.match(tag):
        raise Refused(
            f"the reply address +{tag} is of the old guessable form (reference and party); "
            "only a signed reply address (+r-…) reaches a thread"
        )
    reference = next(
        (
            found
            for found in REFERENCE.findall(subject.upper())
            if found.startswith(f"{organisation.reference_prefix}-")
        ),
        "",
    )
    if not reference:
        return None
    case = _cases().filter(organisation=organisation, reference=reference).first()
    if case is None:
        raise Refused(f"no case {reference} at {organisation.name}")
    unauthenticated = sender_not_authenticated(authentication_results, sender.rpartition("@")[2])
    if unauthenticated:
        raise Refused(f"{unauthenticated} (the subject names {reference})")
    for candidate in (Party.COMPLAINANT, Party.RESPONDENT):
        if sender in party_emails(case, candidate):
            return Destination(case, candidate)
    raise Refused(
        f"the sender {sender or '(none)'} is not a party to {reference} (the subject "
        "names the case, but neither thread is theirs)"
    )
