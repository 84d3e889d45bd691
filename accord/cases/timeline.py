"""A case's timeline: reading its events, and appending to it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accord import rows
from accord.accounts.models import User
from accord.cases.models import Case, Event
from accord.reads import Read, padded

_EVENTS = "events"
# The people a timeline names, by how many there are (each count its own statement).
_USERS = Read(lambda *args: User.objects.filter(pk__in=args[:-1]))
_ACTOR = Event._meta.get_field("actor")


def events_of(case: Case) -> list[Event]:
    """The case's events in order, with their actors: read once for this case object
    (every rule and projection that needs them shares the list), and again after an
    event is appended through it."""
    kept = rows.kept_related(case, _EVENTS)
    if kept is None:
        kept = rows.where(Event, "case", case.pk, ["seq"])
        # The actors in one query, set by hand: prefetch_related's machinery cost more
        # than the query itself (a third of the read, for 200 events).
        ids = padded(sorted({event.actor_id for event in kept if event.actor_id is not None}))
        actors = {user.pk: user for user in _USERS(*ids, shape=(len(ids),))} if ids else {}
        for event in kept:
            _ACTOR.set_cached_value(event, actors.get(event.actor_id))
        rows.keep_related(case, _EVENTS, kept)
    return kept


def events_if_read(case: Case) -> list[Event] | None:
    """The case's events if `events_of` has read them for this case object, else None:
    for a reader that needs only a few of them and would otherwise query for those."""
    return rows.kept_related(case, _EVENTS)


def _forget_events(case: Case) -> None:
    rows.forget_related(case, _EVENTS)


def note(case_id: int, kind: str, seq: int) -> None:
    """Whoever the event concerns is told of it (the notices' digest window)."""
    from accord.notifications.schedule import note as schedule

    schedule(case_id, kind, seq)


def append_event(
    case: Case,
    *,
    kind: str,
    at: dt.datetime,
    actor: User | None = None,
    actor_role: str = "",
    action: str = "",
    from_stage: str = "",
    to_stage: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> Event:
    """Write the next event of `case`. The caller holds the case row locked inside the
    transaction that makes the change, and saves the case afterwards (its event_count
    moves here)."""
    case.event_count += 1
    event = Event(
        case=case,
        seq=case.event_count,
        at=at,
        actor=actor,
        actor_role=actor_role,
        kind=kind,
        action=action,
        from_stage=from_stage,
        to_stage=to_stage,
        reason=reason,
        data=data or {},
    )
    rows.insert([event])  # one prepared INSERT, as save() would write it
    _forget_events(case)
    note(case.pk, kind, event.seq)
    return event


def append_events(entries: list[tuple[Case, dict[str, Any]]]) -> list[Event]:
    """Write many events at once (the sweeper's batches): each entry is a case, locked by
    the caller, and the fields of its next event. Cases appearing twice get consecutive
    numbers; the caller saves their event counts."""
    events = []
    for case, fields in entries:
        case.event_count += 1
        events.append(Event(case=case, seq=case.event_count, **fields))
    created = Event.objects.bulk_create(events)
    for case, _ in entries:
        _forget_events(case)
    for event in created:
        note(event.case_id, event.kind, event.seq)
    return created
