"""A case's timeline: reading its events, and appending to it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, prefetch_related_objects

from accord.accounts.models import User
from accord.cases.models import Case, Event

_EVENTS = "events"


def events_of(case: Case) -> list[Event]:
    """The case's events in order, with their actors: read once for this case object
    (every rule and projection that needs them shares the list), and again after an
    event is appended through it."""
    cached = getattr(case, "_prefetched_objects_cache", {})
    if _EVENTS not in cached:
        prefetch_related_objects(
            [case],
            Prefetch(_EVENTS, queryset=Event.objects.order_by("seq").prefetch_related("actor")),
        )
    return list(case.events.all())


def _forget_events(case: Case) -> None:
    getattr(case, "_prefetched_objects_cache", {}).pop(_EVENTS, None)


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
    event = Event.objects.create(
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
