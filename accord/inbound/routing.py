"""Where a received message belongs: which organisation's complaints address it was sent
to, which case and thread (by the per-thread reply address or the reference in the
subject), and whether the sender is that thread's party."""

from __future__ import annotations

import re
from dataclasses import dataclass

from accord.accounts.models import User
from accord.cases.models import Case
from accord.mediation.choices import Party
from accord.organisations.models import Organisation

REFERENCE = re.compile(r"\b([A-Z]{2,6}-\d{4}-\d{6})\b")
TAG = re.compile(r"^([A-Za-z]{2,6}-\d{4}-\d{6})-(complainant|respondent)$", re.I)


class Refused(Exception):
    """The message cannot go where it asks to; the text says why (for the quarantine)."""


def split_address(address: str) -> tuple[str, str]:
    """("complaints@x", "OCC-2026-000123-complainant") from "complaints+OCC-…@x"."""
    local, _, domain = address.strip().lower().rpartition("@")
    base, _, tag = local.partition("+")
    return f"{base}@{domain}", tag


def reply_address(case: Case, party: Party) -> str:
    """The address a party replies to, so the reply reaches their own thread."""
    local, _, domain = case.organisation.complaints_email.partition("@")
    return f"{local}+{case.reference}-{party.value}@{domain}"


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


def find_thread(
    organisation: Organisation, tag: str, subject: str, sender: str
) -> Destination | None:
    """The case and thread a reply belongs to, or None for a new complaint. Raises
    `Refused` when it names a case that does not exist or a thread the sender is not
    the party of."""
    reference = ""
    party: Party | None = None
    match = TAG.match(tag) if tag else None
    if match:
        reference, party = match.group(1).upper(), Party(match.group(2).lower())
    else:
        for found in REFERENCE.findall(subject.upper()):
            if found.startswith(f"{organisation.reference_prefix}-"):
                reference = found
                break
    if not reference:
        return None
    case = (
        Case.objects.select_related("complainant", "respondent", "organisation")
        .filter(organisation=organisation, reference=reference)
        .first()
    )
    if case is None:
        raise Refused(f"no case {reference} at {organisation.name}")
    if party is not None:
        if sender not in party_emails(case, party):
            raise Refused(
                f"the sender {sender or '(none)'} is not the {party.label.lower()} of "
                f"{reference}; only that party may write in its thread"
            )
        return Destination(case, party)
    for candidate in (Party.COMPLAINANT, Party.RESPONDENT):
        if sender in party_emails(case, candidate):
            return Destination(case, candidate)
    raise Refused(
        f"the sender {sender or '(none)'} is not a party to {reference} (the subject "
        "names the case, but neither thread is theirs)"
    )
