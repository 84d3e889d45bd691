"""What an inbound e-mail means, as the case's procedure declares it (`inbound_email`):
e.g. a customer's e-mail titled "Head of Operations/Lettings \u2013 Complaint" asks for
stage 2. Such an e-mail takes the step on the complainant's behalf as of its arrival and
is filed in their thread; it never opens a case.

The subject is compared without "Re:"/"Fwd:" prefixes, case, quotes, spacing or the
kind of dash. The case is the one the reply address or the reference names; without
either, the sender's one open case at the organisation — and then only if the
receiving server authenticated the sender's domain (`authentication.py`). Anything
else (no open case, several, an unauthenticated sender, a step not possible now) is
`Refused` with the reason, for the quarantine."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from accord.cases.engine import procedure_of
from accord.cases.models import Case
from accord.inbound.authentication import sender_not_authenticated
from accord.inbound.routing import Destination, Refused
from accord.mediation.choices import Party
from accord.organisations.models import Organisation
from accord.procedures.definition import EmailMeaning, Procedure
from accord.procedures.registry import UnknownProcedure, registry

PREFIXES = re.compile(r"^(?:\s*(?:re|fwd?|aw|wg|tr|sv|vs)\s*(?:\[\d+\])?\s*:)+", re.I)
DASHES = re.compile("[\u002d\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d]")
QUOTES = re.compile("[\"'\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f`]")


def normalised(subject: str) -> str:
    """The subject as compared: "RE: Fwd: head of operations / lettings - complaint"
    and "Head of Operations/Lettings \u2013 Complaint" read the same."""
    text = unicodedata.normalize("NFKC", subject)
    text = PREFIXES.sub("", text)
    text = QUOTES.sub("", DASHES.sub("-", text)).casefold()
    text = re.sub(r"\s*([/-])\s*", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


def meaning_of(procedure: Procedure, subject: str) -> EmailMeaning | None:
    """The first of the procedure's declared meanings whose phrase the subject contains."""
    said = normalised(subject)
    for meaning in procedure.inbound_email:
        if normalised(meaning.subject_contains) in said:
            return meaning
    return None


@dataclass(frozen=True)
class Meant:
    destination: Destination
    meaning: EmailMeaning


def _in_force(organisation: Organisation, on: dt.date) -> Procedure | None:
    try:
        return registry().in_force(organisation.procedure_key, on)
    except UnknownProcedure:
        return None


def for_thread(destination: Destination, subject: str) -> EmailMeaning | None:
    """What an e-mail routed to a thread (by reply address or reference) means under its
    case's procedure, if it is from the party the meaning is for."""
    meaning = meaning_of(procedure_of(destination.case), subject)
    if meaning is None or Party(str(meaning.party)) != destination.party:
        return None
    return meaning


def by_sender(
    organisation: Organisation,
    subject: str,
    sender: str,
    authentication_results: list[str],
    arrived: dt.datetime,
) -> Meant | None:
    """An e-mail naming no case whose subject means a step of the organisation's
    procedure: the sender's one open case, or `Refused`. None: the subject means
    nothing (a new complaint)."""
    current = _in_force(organisation, arrived.date())
    meaning = meaning_of(current, subject) if current is not None else None
    if meaning is None:
        return None
    said = f"the subject says '{meaning.label.lower()}'"
    domain = sender.rpartition("@")[2]
    unauthenticated = sender_not_authenticated(authentication_results, domain)
    if unauthenticated:
        raise Refused(f"{unauthenticated} ({said}, and names no case)")
    cases = list(
        Case.objects.select_related("complainant", "respondent", "organisation")
        .filter(organisation=organisation, is_open=True, complainant__email__iexact=sender)
        .order_by("received_at", "pk")[:6]
    )
    if not cases:
        raise Refused(
            f"{said}, but {sender or '(no sender)'} has no open case at {organisation.name}"
        )
    if len(cases) > 1:
        references = ", ".join(case.reference for case in cases[:5])
        raise Refused(
            f"{said}, but {sender} has {len(cases)} open cases at {organisation.name} "
            f"({references}): which one is meant is not clear"
        )
    case = cases[0]
    own = meaning_of(procedure_of(case), subject)
    if own is None:
        raise Refused(
            f"{said}, but {case.reference} is worked under "
            f"{case.procedure_key}@{case.procedure_version}, which does not say what such "
            "an e-mail means"
        )
    return Meant(Destination(case, Party(str(own.party))), own)
