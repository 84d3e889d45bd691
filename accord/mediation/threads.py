"""Writing in threads: a message in a party's own thread, and the handler's relay of
a message (as written or edited) into the other party's thread."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.engine import lock_case
from accord.cases.errors import ActionRefused, InvalidAction, NotPermitted
from accord.cases.models import Case
from accord.cases.timeline import append_event
from accord.mediation.choices import Party
from accord.mediation.models import Message, Thread
from accord.mediation.visibility import readable_parties, require_thread_access
from accord.permissions import is_staff_of, staff_role
from accord.procedures.definition import Role

MAX_MESSAGE = 20_000
RELAYING_ROLES = frozenset({Role.HANDLER, Role.SENIOR_HANDLER})


def thread_of(case: Case, party: Party) -> Thread:
    thread, _ = Thread.objects.get_or_create(case=case, party=party)
    return thread


def _author_role(user: User, case: Case, party: Party) -> str:
    role = staff_role(user)
    if role is not None and is_staff_of(user, case.organisation_id):
        return role.value
    return party.value


def _clean(body: str) -> str:
    body = body.strip()
    if not body:
        raise InvalidAction("the message is empty", field="body")
    if len(body) > MAX_MESSAGE:
        raise InvalidAction(f"a message is at most {MAX_MESSAGE} characters", field="body")
    return body


def post_message(
    case_id: int, actor: User, party: Party, body: str, *, now: dt.datetime
) -> Message:
    """Write in `party`'s thread: the party itself, or staff writing to that party."""
    body = _clean(body)
    with transaction.atomic():
        case = lock_case(case_id)
        require_thread_access(actor, case, party)
        if not case.is_open:
            raise ActionRefused("the case is closed")
        message = Message.objects.create(
            thread=thread_of(case, party),
            author=actor,
            author_role=_author_role(actor, case, party),
            body=body,
            sent_at=now,
        )
        append_event(
            case,
            kind=EventKind.MESSAGE,
            at=now,
            actor=actor,
            actor_role=message.author_role,
            data={"thread": party.value, "message": message.pk},
        )
        case.save(update_fields=["event_count", "updated_at"])
    return message


def relay(
    case_id: int,
    actor: User,
    message_id: int,
    *,
    body: str | None = None,
    now: dt.datetime,
) -> Message:
    """Share a message from one party's thread into the other's, as written or edited.
    The copy records where it came from; the original stays where it was."""
    with transaction.atomic():
        case = lock_case(case_id)
        if staff_role(actor) not in RELAYING_ROLES or not is_staff_of(actor, case.organisation_id):
            raise NotPermitted("only the case's handlers relay between the parties")
        if not case.is_open:
            raise ActionRefused("the case is closed")
        original = (
            Message.objects.select_related("thread")
            .filter(pk=message_id, thread__case=case)
            .first()
        )
        if original is None:
            raise InvalidAction("no such message on this case", field="message_id")
        source = Party(original.thread.party)
        if source not in readable_parties(actor, case):  # staff read both; kept for safety
            raise NotPermitted("you may not read that message")
        target = Party.RESPONDENT if source == Party.COMPLAINANT else Party.COMPLAINANT
        text = _clean(body) if body is not None else original.body
        copy = Message.objects.create(
            thread=thread_of(case, target),
            author=actor,
            author_role=_author_role(actor, case, target),
            body=text,
            sent_at=now,
            relayed_from=original,
            relay_edited=text != original.body,
        )
        append_event(
            case,
            kind=EventKind.RELAY,
            at=now,
            actor=actor,
            actor_role=copy.author_role,
            data={
                "from_thread": source.value,
                "to_thread": target.value,
                "message": original.pk,
                "copy": copy.pk,
                "edited": copy.relay_edited,
            },
        )
        case.save(update_fields=["event_count", "updated_at"])
    return copy
