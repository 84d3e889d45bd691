"""Writing in threads: a message in a party's own thread, and the handler's relay of
a message (as written or edited) into the other party's thread."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.engine import lock_case
from accord.cases.errors import InvalidAction
from accord.cases.models import Case
from accord.cases.timeline import append_event
from accord.mediation.choices import Party
from accord.mediation.models import Message, Thread
from accord.mediation.opening import reach_respondent
from accord.mediation.visibility import require_thread_access
from accord.policy.mediation import other_party, relay_refusal, require
from accord.policy.roles import is_staff_of, staff_role, standing

MAX_MESSAGE = 20_000
SYSTEM = "system"


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
        require_thread_access(actor, case, party, writing=True)
        opened = party == Party.RESPONDENT and reach_respondent(case, now)
        message = Message.objects.create(
            thread=thread_of(case, party),
            author=actor,
            author_role=_author_role(actor, case, party),
            body=body,
            sent_at=now,
            # Only a procedure that mediates speaks of "without prejudice".
            without_prejudice=mediates(case),
        )
        append_event(
            case,
            kind=EventKind.MESSAGE,
            at=now,
            actor=actor,
            actor_role=message.author_role,
            data={
                "thread": party.value,
                "message": message.pk,
                **({"opened_to_respondent": True} if opened else {}),
            },
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
        st = standing(actor, case)
        original = (
            Message.objects.select_related("thread")
            .filter(pk=message_id, thread__case=case)
            .first()
        )
        if original is None:
            require(relay_refusal(st, Party.COMPLAINANT))
            raise InvalidAction("no such message on this case", field="message_id")
        source = Party(original.thread.party)
        require(relay_refusal(st, source))
        target = other_party(source)
        text = _clean(body) if body is not None else original.body
        opened = target == Party.RESPONDENT and reach_respondent(case, now)
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
                **({"opened_to_respondent": True} if opened else {}),
            },
        )
        case.save(update_fields=["event_count", "updated_at"])
    return copy


def mediates(case: Case) -> bool:
    """Whether the case's procedure mediates (an in-house one speaks as the organisation)."""
    from accord.cases.engine import procedure_of
    from accord.procedures.wording import party_wording

    return party_wording(procedure_of(case)).mediates


def post_notice(case: Case, party: Party, body: str, *, now: dt.datetime) -> Message:
    """A notice from the mediation service in `party`'s thread, written by an action that
    holds the case locked and records it in its own event (e.g. consent withdrawn)."""
    return Message.objects.create(
        thread=thread_of(case, party),
        author=None,
        author_role=SYSTEM,
        body=_clean(body),
        sent_at=now,
        without_prejudice=False,
    )
