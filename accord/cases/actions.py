"""Changes to a case that every procedure shares: assignment, clock pauses and
extensions, flags and internal notes. Each is one transaction, row locked, one event."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from accord.accounts.models import User
from accord.cases import sort_keys
from accord.cases.choices import EventKind
from accord.cases.clocks import project_events
from accord.cases.engine import earlier_handlers, lock_case, procedure_of, refresh_clocks
from accord.cases.errors import ActionRefused, InvalidAction, NotPermitted, SeparationOfDuties
from accord.cases.models import Case
from accord.cases.rules import apply_effect
from accord.cases.timeline import append_event, events_of
from accord.organisations.calendar import calendar_for
from accord.organisations.models import Team
from accord.policy.roles import can_assign, is_staff_of, roles_on_case, staff_role
from accord.procedures.definition import Clock as ClockDefinition
from accord.procedures.definition import Effect, Role
from accord.workdays.deadlines import Extension, Unit

EDITABLE_FLAGS = ("vulnerable", "no_information_sharing", "safeguarding_concern")


def _require_staff(case: Case, actor: User) -> Role:
    role = staff_role(actor)
    if role is None or not is_staff_of(actor, case.organisation_id):
        raise NotPermitted("only the organisation's staff may do this")
    return role


KEEP = object()  # assign(): leave the handler as it is


@dataclass(frozen=True)
class Assigned:
    """What an assignment did: `changed` False when it asked for what already was
    (nothing written, no event)."""

    case: Case
    changed: bool


def assignment_refusal(
    case: Case, actor: User, role: Role, handler: User | None, team: Team | None
) -> ActionRefused | None:
    """Why `actor` (staff of the case's organisation, in `role`) may not give the case to
    `handler` and `team`, or None: the rule `assign` applies, for a page to ask first."""
    if not can_assign(actor, case, handler):
        return NotPermitted("handlers may only take cases for themselves")
    procedure = procedure_of(case)
    events = events_of(case)
    if role in {Role.HANDLER, Role.SENIOR_HANDLER} and actor.pk in earlier_handlers(
        case, procedure, events
    ):
        return SeparationOfDuties(
            "you handled this case at an earlier stage; you may not assign it now"
        )
    if handler is not None and handler.pk != case.handler_id:
        handler_role = staff_role(handler)
        if handler_role not in {Role.HANDLER, Role.SENIOR_HANDLER} or not is_staff_of(
            handler, case.organisation_id
        ):
            return InvalidAction(
                "the handler must be a handler of this organisation", field="handler"
            )
        barred = earlier_handlers(case, procedure, events)
        if barred:
            if handler.pk in barred:
                return SeparationOfDuties(
                    f"{handler} handled this case at an earlier stage; assign someone else"
                )
            if handler_role != Role.SENIOR_HANDLER:
                return InvalidAction("an escalated case needs a senior handler", field="handler")
    if team is not None and team.organisation_id != case.organisation_id:
        return InvalidAction("the team belongs to another organisation", field="team")
    return None


def take_refusal(case: Case, actor: User) -> ActionRefused | None:
    """Why the actor may not take the case for themselves now, or None."""
    role = staff_role(actor)
    if role is None or not is_staff_of(actor, case.organisation_id):
        return NotPermitted("only the organisation's staff may do this")
    if not case.is_open:
        return ActionRefused("the case is closed")
    if case.handler_id == actor.pk:
        return ActionRefused("the case is already yours")
    return assignment_refusal(case, actor, role, actor, None)


def assign(
    case_id: int,
    actor: User,
    *,
    handler: User | object | None = KEEP,
    team: Team | None = None,
    now: dt.datetime,
) -> Assigned:
    """Assign the case to a handler (None: unassign; KEEP: leave it) and/or a team.
    Asking for the assignment the case already has changes nothing and writes no event."""
    with transaction.atomic():
        if isinstance(handler, User):
            # The queue sorts by the handler's name: read it under the lock a rename
            # takes (`organisations.staffing.rename`), and before the case's, in the
            # order a rename takes them, so neither leaves a stale one behind.
            handler = User.objects.select_for_update().get(pk=handler.pk)
        case = lock_case(case_id)
        role = _require_staff(case, actor)
        if not case.is_open:
            raise ActionRefused("the case is closed")
        if handler is KEEP:
            handler = case.handler
        assert handler is None or isinstance(handler, User)
        new_team_id = team.pk if team is not None else case.team_id
        if handler_id(handler) == case.handler_id and new_team_id == case.team_id:
            return Assigned(case, changed=False)
        problem = assignment_refusal(case, actor, role, handler, team)
        if problem is not None:
            raise problem
        append_event(
            case,
            kind=EventKind.ASSIGNED,
            at=now,
            actor=actor,
            actor_role=role.value,
            data={
                "handler": handler.pk if handler else None,
                "previous_handler": case.handler_id,
                "team": team.pk if team else case.team_id,
            },
        )
        if handler_id(handler) != case.handler_id:
            case.handler_sort = sort_keys.handler(handler)
        case.handler = handler
        if team is not None:
            case.team = team
        case.save()
    return Assigned(case, changed=True)


def handler_id(handler: User | None) -> int | None:
    return handler.pk if handler is not None else None


def pause_clock(case_id: int, actor: User, clock: str, *, reason: str, now: dt.datetime) -> Case:
    """Stop a pausable clock counting until it is resumed, with the reason."""
    return _clock_change(case_id, actor, clock, EventKind.CLOCK_PAUSED, reason=reason, now=now)


def resume_clock(case_id: int, actor: User, clock: str, *, reason: str, now: dt.datetime) -> Case:
    """Resume a paused clock; its due date moves by the time paused."""
    return _clock_change(case_id, actor, clock, EventKind.CLOCK_RESUMED, reason=reason, now=now)


def extend_clock(
    case_id: int,
    actor: User,
    clock: str,
    *,
    amount: int,
    unit: Unit,
    reason: str,
    now: dt.datetime,
) -> Case:
    """Extend an extendable clock, within the procedure's cap, with the reason."""
    return _clock_change(
        case_id,
        actor,
        clock,
        EventKind.CLOCK_EXTENDED,
        reason=reason,
        now=now,
        amount=amount,
        unit=unit,
    )


def _clock_change(
    case_id: int,
    actor: User,
    clock_key: str,
    kind: EventKind,
    *,
    reason: str,
    now: dt.datetime,
    amount: int = 0,
    unit: Unit | None = None,
) -> Case:
    reason = reason.strip()
    if not reason:
        raise InvalidAction("a reason is required", field="reason")
    with transaction.atomic():
        case = lock_case(case_id)
        role = _require_staff(case, actor)
        procedure = procedure_of(case)
        definition = procedure.clocks.get(clock_key)
        if definition is None:
            raise InvalidAction(f"'{clock_key}' is not a clock of this procedure", field="clock")
        events = events_of(case)
        run = project_events(events, procedure, calendar_for(case.organisation)).get(clock_key)
        if run is None or not run.run.is_running:
            raise ActionRefused(f"the clock '{definition.label}' is not running")
        if role in {Role.HANDLER, Role.SENIOR_HANDLER} and actor.pk in earlier_handlers(
            case, procedure, events
        ):
            raise SeparationOfDuties(
                "you handled this case at an earlier stage; a different person must handle it now"
            )
        due_at = run.explanation.due_at
        if kind != EventKind.CLOCK_RESUMED and due_at is not None and now >= due_at:
            # Neither a pause nor an extension may undo a breach that has happened.
            raise ActionRefused(
                f"'{definition.label}' was due by {due_at:%d %B %Y %H:%M}; the breach stands"
            )
        data: dict[str, object] = {"clock": clock_key}
        if kind == EventKind.CLOCK_PAUSED:
            if not definition.pausable:
                raise ActionRefused(
                    f"the procedure does not allow '{definition.label}' to be paused"
                )
            if run.run.is_paused:
                raise ActionRefused(f"the clock '{definition.label}' is already paused")
        elif kind == EventKind.CLOCK_RESUMED:
            if not run.run.is_paused:
                raise ActionRefused(f"the clock '{definition.label}' is not paused")
        else:
            assert unit is not None
            _check_extension(definition.label, definition, run.run.extensions, amount, unit)
            data |= {"amount": amount, "unit": unit.value}
            if definition.letters_on_extension:
                data["letters_required"] = list(definition.letters_on_extension)
        event = append_event(
            case, kind=kind, at=now, actor=actor, actor_role=role.value, reason=reason, data=data
        )
        refresh_clocks(case, procedure, [*events, event])
        case.save()
    return case


def _check_extension(
    label: str,
    definition: ClockDefinition,
    existing: list[Extension],
    amount: int,
    unit: Unit,
) -> None:
    if not definition.extendable:
        raise ActionRefused(f"the procedure does not allow '{label}' to be extended")
    if amount < 1:
        raise InvalidAction("an extension must be at least 1", field="amount")
    cap = definition.extension_cap
    if cap is None:
        return
    if unit != cap.unit:
        raise InvalidAction(f"'{label}' is extended in {cap.unit.value}", field="unit")
    used = sum(extension.amount for extension in existing)
    if used + amount > cap.amount:
        raise ActionRefused(
            f"'{label}' may be extended by at most {cap.amount} {cap.unit.value.replace('_', ' ')} "
            f"in all; {used} already used"
        )


def set_flags(
    case_id: int, actor: User, flags: dict[str, bool], *, reason: str, now: dt.datetime
) -> Case:
    """Set or clear the case's editable flags (vulnerable complainant, no sharing,
    safeguarding concern)."""
    unknown = set(flags) - set(EDITABLE_FLAGS)
    if unknown:
        raise InvalidAction(f"unknown flags: {', '.join(sorted(unknown))}", field="flags")
    with transaction.atomic():
        case = lock_case(case_id)
        role = _require_staff(case, actor)
        changes = {
            name: {"from": getattr(case, name), "to": value}
            for name, value in flags.items()
            if getattr(case, name) != value
        }
        if not changes:
            return case
        for name, change in changes.items():
            setattr(case, name, change["to"])
        append_event(
            case,
            kind=EventKind.FLAGS_CHANGED,
            at=now,
            actor=actor,
            actor_role=role.value,
            reason=reason.strip(),
            data={"flags": changes},
        )
        case.save()
    return case


def confirm_verbal_summary(case_id: int, actor: User, *, how: str, now: dt.datetime) -> Case:
    """Record that the complainant confirmed the written summary of their verbal
    complaint (any procedure; the same effect a pack's step may name)."""
    how = how.strip()
    with transaction.atomic():
        case = lock_case(case_id)
        roles = roles_on_case(actor, case)
        if Role.COMPLAINANT in roles:
            role = Role.COMPLAINANT
        else:
            role = _require_staff(case, actor)
            if not how:
                raise InvalidAction("say how the complainant confirmed the summary", field="how")
        if not case.is_open:
            raise ActionRefused("the case is closed")
        apply_effect(case, Effect.CONFIRM_VERBAL_SUMMARY, now)
        append_event(
            case,
            kind=EventKind.FLAGS_CHANGED,
            at=now,
            actor=actor,
            actor_role=role.value,
            reason=how,
            data={"flags": {"verbal_summary_pending": {"from": True, "to": False}}},
        )
        case.save()
    return case


def add_note(case_id: int, actor: User, text: str, *, now: dt.datetime) -> Case:
    """An internal staff note on the timeline."""
    text = text.strip()
    if not text:
        raise InvalidAction("the note is empty", field="text")
    with transaction.atomic():
        case = lock_case(case_id)
        role = _require_staff(case, actor)
        append_event(
            case, kind=EventKind.NOTE, at=now, actor=actor, actor_role=role.value, reason=text
        )
        case.save()
    return case
