"""The quarantine: messages that could not be processed, which staff see (with the
reason) and release into a new case or a party's thread of an existing case, or
discard with a reason. Each message is dealt with once: a second action is refused."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet

from accord.accounts.models import User
from accord.cases.errors import ActionRefused, InvalidAction, NotPermitted
from accord.cases.models import Case
from accord.inbound.choices import InboundStatus
from accord.inbound.ingest import open_case, take_meant_step, write_in_thread
from accord.inbound.meanings import for_thread
from accord.inbound.models import InboundMessage
from accord.inbound.parsing import parse_leniently
from accord.inbound.routing import Destination, Refused
from accord.mediation.choices import Party
from accord.policy.disclosure import has_respondent_party
from accord.policy.roles import can_triage_email, staff_role
from accord.storage import StoredFile


def quarantine_for(user: User) -> QuerySet[InboundMessage]:
    """The quarantined messages this user may see: staff their organisation's;
    superusers all (including those addressed to no organisation)."""
    quarantined = InboundMessage.objects.filter(status=InboundStatus.QUARANTINED)
    if user.is_superuser:
        return quarantined
    if staff_role(user) is None or user.organisation_id is None:
        return InboundMessage.objects.none()
    return quarantined.filter(organisation_id=user.organisation_id)


MAX_REASON = 2000


def _claim(inbound_id: int, actor: User) -> InboundMessage:
    """The actor's organisation's message, locked, if it is still quarantined."""
    if staff_role(actor) is None or not can_triage_email(actor, actor.organisation_id):
        raise NotPermitted("only an organisation's staff deal with quarantined e-mail")
    assert actor.organisation_id is not None
    record = (
        InboundMessage.objects.select_for_update()
        .filter(pk=inbound_id, organisation_id=actor.organisation_id)
        .first()
    )
    if record is None:
        raise InvalidAction("no such quarantined message", field="inbound_id")
    if record.status != InboundStatus.QUARANTINED:
        label = InboundStatus(record.status).label.lower()
        raise ActionRefused(f"this message was already dealt with ({label})")
    return record


def discard(inbound_id: int, actor: User, *, reason: str, now: dt.datetime) -> InboundMessage:
    """Discard a quarantined message (spam, a duplicate staff recognise): no case
    changes, so the record is on the message itself — who, when and why."""
    reason = reason.strip()
    if not reason:
        raise InvalidAction("say why the message is discarded", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidAction(f"at most {MAX_REASON} characters", field="reason")
    with transaction.atomic():
        record = _claim(inbound_id, actor)
        record.status = InboundStatus.DISCARDED
        record.discarded_by = actor
        record.discarded_at = now
        record.discard_reason = reason
        record.save(update_fields=["status", "discarded_by", "discarded_at", "discard_reason"])
    return record


def _take_what_it_means(case: Case, party: Party, subject: str, record: InboundMessage) -> None:
    """Filed by staff in the thread its procedure gives a meaning for (e.g. the stage 2
    request, held because the sender was not authenticated): the step is taken as of
    the e-mail's arrival, as if it had been placed by itself; if it cannot be taken
    now, the message is only filed, with a note."""
    meaning = for_thread(Destination(case, party), subject)
    if meaning is None:
        return
    try:
        take_meant_step(case.pk, meaning, record)
    except Refused as refusal:
        record.notes = [*record.notes, f"[{meaning.label}: not taken: {refusal}]"]
        record.save(update_fields=["notes"])


def release(
    inbound_id: int,
    actor: User,
    *,
    now: dt.datetime,
    case_reference: str | None = None,
    party: Party | None = None,
    respondent_id: int | None = None,
) -> InboundMessage:
    """Release a quarantined message: into `party`'s thread of `case_reference`, or, by
    default, as a new complaint of the actor's organisation. What cannot be decoded is
    replaced; the raw message stays as it arrived."""
    stored: list[StoredFile] = []
    try:
        with transaction.atomic():
            record = _claim(inbound_id, actor)
            role = staff_role(actor)
            assert role is not None
            parsed = parse_leniently(bytes(record.raw))
            parsed.automatic = ""
            organisation = actor.organisation
            assert organisation is not None
            if case_reference:
                if party is None:
                    raise InvalidAction("say which party's thread", field="party")
                case = Case.objects.filter(
                    organisation=organisation, reference=case_reference
                ).first()
                if case is None:
                    raise InvalidAction("no such case", field="case_reference")
                if not case.is_open:
                    raise ActionRefused("the case is closed")
                if party == Party.RESPONDENT and not has_respondent_party(case):
                    raise InvalidAction(
                        "the case has no other party: file it in the complainant's thread",
                        field="party",
                    )
                record.thread_message = write_in_thread(
                    case.pk, party, parsed, record, now=now, actor=actor,
                    actor_role=role.value, stored=stored,
                )  # fmt: skip
                _take_what_it_means(case, party, parsed.subject, record)
                record.case, record.party = case, party.value
            else:
                if not record.message_id:
                    record.message_id = f"released:{record.sha256}:{record.pk}"
                try:
                    record.case = open_case(
                        organisation, parsed, record, now=now, actor=actor,
                        actor_role=role.value, respondent_id=respondent_id, stored=stored,
                    )  # fmt: skip
                except Refused as exc:
                    raise InvalidAction(str(exc), field="respondent_id") from exc
                record.party = Party.COMPLAINANT.value
            record.organisation = organisation
            record.status = InboundStatus.RELEASED
            record.released_by = actor
            record.released_at = now
            record.save()
    except BaseException:
        for path in stored:
            path.unlink(missing_ok=True)
        raise
    return record
