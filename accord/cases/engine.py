"""The procedure engine: take a step of the case's procedure, as an actor, at an instant.

Every step runs in one transaction with the case row locked: check the step is
allowed (stage, role, guards, separation of duties, inputs), change the case, write
one timeline event, and replay the timeline to restore the clocks and the next
deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from accord.accounts.models import User
from accord.cases import sort_keys
from accord.cases.choices import EventKind
from accord.cases.clocks import clocks_of, project_events, store_clocks
from accord.cases.closures import record_closure
from accord.cases.errors import ActionRefused, InvalidAction, NotPermitted, SeparationOfDuties
from accord.cases.models import Case, Clock, Event
from accord.cases.rules import apply_effect, failed_effects, failed_guards
from accord.cases.timeline import append_event, events_of
from accord.organisations.calendar import calendar_for
from accord.policy.roles import roles_on_case
from accord.procedures.definition import Guard, InputKind, Procedure, Role, Transition
from accord.procedures.registry import registry
from accord.workdays.wording import format_day

HANDLING_ROLES = frozenset({Role.HANDLER, Role.SENIOR_HANDLER})


def procedure_of(case: Case) -> Procedure:
    """The procedure version the case is pinned to."""
    return registry().get(case.procedure_key, case.procedure_version)


@dataclass(frozen=True)
class StepRequest:
    """What the actor supplies with a step."""

    reason: str = ""
    outcome: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # What the handler gives the step's letters (an `accord.letters.steps.StepLetters`):
    # they are sent with the step, or it is refused. None (a caller that types no
    # letter): each is sent if complete without typed words, else left owed, and the
    # clocks it would meet run on until it is sent (see `accord.letters.steps`).
    letters: Any = None


def lock_case(case_id: int) -> Case:
    """The case row, locked until the end of the current transaction. Only the case's
    own row: the organisation and complainant are read with it, not locked (locking the
    organisation would make every step in an organisation wait for every other)."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("organisation", "complainant")
        .get(pk=case_id)
    )


def is_escalated(procedure: Procedure, events: list[Event]) -> bool:
    """Whether the case has entered a stage marked `separate_handler` (an escalation)."""
    for event in events:
        if event.kind == EventKind.TRANSITION and event.from_stage != event.to_stage:
            stage = procedure.stages.get(event.to_stage)
            if stage is not None and stage.separate_handler:
                return True
    return False


def earlier_handlers(case: Case, procedure: Procedure, events: list[Event]) -> set[int]:
    """Everyone who handled the case at a level below the current one. A level starts
    whenever the case enters a stage marked `separate_handler` (an escalation)."""
    by_level: dict[int, set[int]] = {0: set()}
    level = 0
    for event in events:
        if event.actor_id is not None and event.actor_role in HANDLING_ROLES:
            by_level.setdefault(level, set()).add(event.actor_id)
        if event.kind == EventKind.ASSIGNED and event.data.get("handler"):
            by_level.setdefault(level, set()).add(int(event.data["handler"]))
        if event.kind == EventKind.TRANSITION:
            stage = procedure.stages.get(event.to_stage)
            if stage is not None and stage.separate_handler and event.from_stage != event.to_stage:
                level += 1
    barred: set[int] = set()
    for earlier in range(level):
        barred |= by_level.get(earlier, set())
    return barred


def problems_with(
    case: Case,
    procedure: Procedure,
    actor: User | None,
    transition: Transition,
    barred: set[int],
    now: dt.datetime,
    *,
    escalated: bool = False,
    assuming: frozenset[Guard] = frozenset(),
) -> tuple[Role | None, list[ActionRefused]]:
    """The role the actor would take the step in, and everything that stops them.
    With no actor the system takes the step (an automatic escalation): roles and
    separation of duties do not apply, the stage and the guards still do. On an
    escalated case (`is_escalated`) only its assigned handler takes the handling steps
    (a party's or a manager's steps are theirs as before). `assuming`: guards taken as
    met (see `allowed_steps`)."""
    problems: list[ActionRefused] = []
    if not case.is_open:
        problems.append(ActionRefused("the case is closed"))
    elif not procedure.available_from(transition, case.stage):
        stage_label = procedure.stages[case.stage].label
        problems.append(
            ActionRefused(f"'{transition.label}' is not a step of stage '{stage_label}'")
        )
    problems.extend(_past_limits(case, procedure, transition, now))
    conditions = [
        *failed_guards(case, tuple(g for g in transition.guards if g not in assuming)),
        *failed_effects(case, transition.effects),
    ]
    if actor is None:
        problems.extend(ActionRefused(p) for p in conditions)
        return None, problems
    held = roles_on_case(actor, case) & set(transition.roles)
    role = _preferred(held)
    if role is None:
        allowed = ", ".join(r.value for r in transition.roles)
        problems.append(NotPermitted(f"only {allowed} may take '{transition.label}'"))
    elif role in HANDLING_ROLES and actor.pk in barred:
        problems.append(
            SeparationOfDuties(
                "you handled this case at an earlier stage; a different person must handle it now"
            )
        )
    elif role in HANDLING_ROLES and escalated and actor.pk != case.handler_id:
        problems.append(
            MustAssignFirst(
                "the case is escalated: only its assigned handler takes its steps; "
                "assign yourself first"
            )
        )
    problems.extend(ActionRefused(p) for p in conditions)
    return role, problems


class MustAssignFirst(NotPermitted):
    """The step is the assigned handler's: the actor may take it once assigned."""


def _preferred(roles: set[Role]) -> Role | None:
    for role in (
        Role.SENIOR_HANDLER,
        Role.HANDLER,
        Role.MANAGER,
        Role.ADMINISTRATOR,
        Role.COMPLAINANT,
        Role.RESPONDENT,
    ):
        if role in roles:
            return role
    return None


def _past_limits(
    case: Case, procedure: Procedure, transition: Transition, now: dt.datetime
) -> list[ActionRefused]:
    """A step limited to a clock's window is refused once the clock's due instant passed."""
    if not transition.within:
        return []
    clocks = {clock.key: clock for clock in clocks_of(case)}
    problems = []
    for key in transition.within:
        clock = clocks.get(key)
        if clock is None or clock.due_at is None or now >= clock.due_at:
            label = procedure.clocks[key].label
            problems.append(
                ActionRefused(f"'{transition.label}' is only possible within '{label}'")
            )
    return problems


def validated_inputs(
    transition: Transition, given: dict[str, Any], today: dt.date
) -> dict[str, str]:
    """The step's declared inputs, checked and normalised; anything else is refused."""
    for name in given:
        if name not in transition.inputs:
            raise InvalidAction(f"'{name}' is not an input of '{transition.label}'", field=name)
    inputs: dict[str, str] = {}
    for name, declared in transition.inputs.items():
        value = given.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if declared.required:
                raise InvalidAction(
                    f"'{transition.label}' needs {declared.label.lower()}", field=name
                )
            continue
        if declared.kind == InputKind.DATE:
            try:
                day = dt.date.fromisoformat(str(value))
            except ValueError:
                raise InvalidAction(
                    f"{declared.label} must be a date (YYYY-MM-DD)", field=name
                ) from None
            if declared.not_in_past and day < today:
                raise InvalidAction(f"{declared.label} cannot be in the past", field=name)
            if abs((day - today).days) > 5 * 366:
                raise InvalidAction(f"{declared.label} must be within five years", field=name)
            inputs[name] = day.isoformat()
        else:
            text = str(value).strip()
            if len(text) > 5000:
                raise InvalidAction(f"{declared.label} is too long", field=name)
            inputs[name] = text
    return inputs


def must_assign_first(case: Case, actor: User) -> bool:
    """Whether the actor, a handler on the case, would be offered its handling steps
    only once assigned to it (the case is escalated; see `problems_with`)."""
    if not case.is_open or case.handler_id == actor.pk:
        return False
    if not roles_on_case(actor, case) & HANDLING_ROLES:
        return False
    return is_escalated(procedure_of(case), events_of(case))


def withheld_until_assigned(case: Case, actor: User, now: dt.datetime) -> str | None:
    """Why the stage's handling steps are not offered to this actor until they are
    assigned to the case (the refusal `problems_with` gives), or None."""
    if not must_assign_first(case, actor):
        return None
    procedure = procedure_of(case)
    events = events_of(case)
    barred = earlier_handlers(case, procedure, events)
    for transition in procedure.transitions.values():
        _, problems = problems_with(case, procedure, actor, transition, barred, now, escalated=True)
        for problem in problems:
            if isinstance(problem, MustAssignFirst):
                return problem.message
    return None


def allowed_steps(
    case: Case, actor: User, now: dt.datetime, *, assuming: frozenset[Guard] = frozenset()
) -> list[str]:
    """The transitions this actor could take now (before inputs like a reason); with
    `assuming`, those they could take once those guards are met (what signing the
    consent form would let the complainant record, say)."""
    procedure = procedure_of(case)
    events = events_of(case)
    barred = earlier_handlers(case, procedure, events)
    escalated = is_escalated(procedure, events)
    return [
        key
        for key, transition in procedure.transitions.items()
        if not problems_with(
            case, procedure, actor, transition, barred, now, escalated=escalated, assuming=assuming
        )[1]
    ]


def take_step(
    case_id: int,
    actor: User | None,
    action: str,
    request: StepRequest,
    *,
    now: dt.datetime,
    on_behalf_of: Role | None = None,
    source: dict[str, Any] | None = None,
) -> Case:
    """Take the procedure step `action` on the case, or refuse with the reason.
    `actor` None is the system (see `problems_with`); with `on_behalf_of`, the system
    takes it for that party (e.g. the complainant's e-mail that asks for it: `source`
    says which), and only a step that party may take."""
    with transaction.atomic():
        case = lock_case(case_id)
        procedure = procedure_of(case)
        transition = procedure.transitions.get(action)
        if transition is None:
            raise InvalidAction(f"'{action}' is not a step of this procedure", field="action")
        events = events_of(case)
        role, problems = problems_with(
            case,
            procedure,
            actor,
            transition,
            earlier_handlers(case, procedure, events),
            now,
            escalated=is_escalated(procedure, events),
        )
        if actor is None and on_behalf_of is not None:
            if on_behalf_of not in transition.roles:
                problems.append(
                    NotPermitted(f"the {on_behalf_of.value} may not take '{transition.label}'")
                )
            role = on_behalf_of
        if problems:
            raise problems[0]
        reason = request.reason.strip()
        if transition.reason_required and not reason:
            raise InvalidAction(f"'{transition.label}' needs a reason", field="reason")
        outcome = _chosen_outcome(transition, request.outcome)
        if transition.letters:
            # What a step puts in its letters leaves the mediation.
            from accord.mediation.confidentiality import refuse_without_prejudice

            refuse_without_prejudice(case, reason, where=f"the reason for '{transition.label}'")
        inputs = validated_inputs(
            transition, request.data, calendar_for(case.organisation).local_date(now)
        )

        from accord.letters import steps as step_letters

        letter_plan = step_letters.plan(case, procedure, transition, role, request.letters)
        from_stage = case.stage
        for effect in transition.effects:
            apply_effect(case, effect, now)
        data: dict[str, Any] = {}
        if transition.to is not None:
            case.stage = transition.to
            case.stage_sort = sort_keys.stage(procedure, transition.to)
            target = procedure.stages[transition.to]
            if target.terminal:
                case.is_open = False
                case.outcome = outcome or ""
                case.closed_at = now
                data["outcome"] = outcome
                record_closure(case, now)
            if target.separate_handler and case.handler_id is not None:
                # An escalation hands the case on: whoever had it may not keep it.
                data["handler_released"] = case.handler_id
                case.handler = None
                case.handler_sort = None
        if transition.marks:
            data["marks"] = list(transition.marks)
        if transition.letters:
            data["letters_required"] = list(transition.letters)
        if letter_plan.owed:
            data["letters_owed"] = letter_plan.owed_data()
        if transition.effects:
            data["effects"] = [str(e) for e in transition.effects]
        if inputs:
            data["input"] = inputs
        if source:
            data["source"] = source
        event = append_event(
            case,
            kind=EventKind.TRANSITION,
            at=now,
            actor=actor,
            actor_role=role.value if role else "system",
            action=action,
            from_stage=from_stage,
            to_stage=case.stage,
            reason=reason,
            data=data,
        )
        refresh_clocks(case, procedure, [*events, event])
        _given_dates_within_limits(case, procedure, action, transition, inputs)
        if letter_plan.send and actor is not None and role is not None:
            # The letters go with the step, in its transaction (any refusal undoes it).
            step_letters.send_with_step(case, event, actor, role, letter_plan, request.letters, now)
            refresh_clocks(case, procedure, events_of(case))
        if letter_plan.owed:  # those sent at once are counted off
            from accord.letters.owed import recount_owed

            recount_owed(case)
        case.save()
    return case


def _given_dates_within_limits(
    case: Case,
    procedure: Procedure,
    action: str,
    transition: Transition,
    inputs: dict[str, Any],
) -> None:
    """A date the step gives (the anticipated date of a holding response) may not fall
    after the outer limit the same step starts: e.g. DISP's payment services final
    response "no later than 35 business days after receipt". Checked on the projected
    clocks, inside the step's transaction, so a refusal leaves nothing behind."""
    started = {key: rule for key, rule in procedure.clocks.items() if action in rule.starts_on}
    given = {key: rule for key, rule in started.items() if rule.due_on_input in inputs}
    limits = [key for key, rule in started.items() if rule.amount is not None and not rule.window]
    if not given or not limits:
        return
    stored = {c.key: c for c in Clock.objects.filter(case=case, key__in=[*given, *limits])}
    for key, rule in given.items():
        date_clock = stored.get(key)
        for limit in limits:
            outer = stored.get(limit)
            if date_clock is None or outer is None or not (date_clock.due_at and outer.due_at):
                continue
            if date_clock.due_at > outer.due_at:
                name = str(rule.due_on_input)
                declared = transition.inputs.get(name)
                label = declared.label if declared is not None else name
                last = outer.explanation.get("due_date") or outer.due_at.date().isoformat()
                raise InvalidAction(
                    f"{label} must be no later than {format_day(dt.date.fromisoformat(last))} "
                    f"({outer.label.lower()})",
                    field=name,
                )


def _chosen_outcome(transition: Transition, chosen: str | None) -> str | None:
    if not transition.outcomes:
        if chosen:
            raise InvalidAction(f"'{transition.label}' does not record an outcome", field="outcome")
        return None
    if len(transition.outcomes) == 1:
        only = transition.outcomes[0]
        if chosen and chosen != only:
            raise InvalidAction(f"'{transition.label}' records outcome '{only}'", field="outcome")
        return only
    if chosen not in transition.outcomes:
        options = ", ".join(transition.outcomes)
        raise InvalidAction(f"choose the outcome: one of {options}", field="outcome")
    return chosen


def refresh_clocks(case: Case, procedure: Procedure, events: list[Event]) -> None:
    """Replay the timeline into the stored clocks and the case's next deadline."""
    calendar = calendar_for(case.organisation)
    projected = project_events(events, procedure, calendar)
    existing = {clock.key: clock for clock in Clock.objects.filter(case=case)}
    store_clocks(case, projected, calendar, existing)
