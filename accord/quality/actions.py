"""Every write to the quality log: a case's root cause and lessons learned, corrective
actions and their verification. Each is one transaction; the cases it concerns are
locked (in id order, like the sweep) and each gets one `quality` event on its timeline.

Lock order: a corrective action's row before its cases' rows, everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.errors import ActionRefused, InvalidAction, NotPermitted
from accord.cases.models import Case
from accord.cases.timeline import append_event
from accord.organisations.models import Organisation
from accord.policy.roles import can_manage_quality, can_record_case_quality, is_staff_of, staff_role
from accord.quality.choices import OWNER_SETTABLE, SETTABLE, ActionStatus, QualityChange
from accord.quality.models import CaseQuality, CorrectiveAction, RootCause

MAX_CASES_PER_ACTION = 200
MAX_YEARS_AHEAD = 10


def _role_of(actor: User) -> str:
    role = staff_role(actor)
    return role.value if role is not None else ""


def _lock_cases(case_ids: Iterable[int]) -> list[Case]:
    return list(Case.objects.select_for_update().filter(pk__in=set(case_ids)).order_by("pk"))


def _record(
    cases: Iterable[Case],
    change: QualityChange,
    actor: User,
    now: dt.datetime,
    data: dict[str, Any],
) -> None:
    """One `quality` event on each case (locked by the caller), then its event count."""
    for case in cases:
        append_event(
            case,
            kind=EventKind.QUALITY,
            at=now,
            actor=actor,
            actor_role=_role_of(actor),
            action=change.value,
            data=data,
        )
        case.save(update_fields=["event_count", "updated_at"])


def _root_cause(organisation_id: int, root_cause_id: int | None) -> RootCause | None:
    if root_cause_id is None:
        return None
    found = RootCause.objects.filter(pk=root_cause_id, organisation_id=organisation_id).first()
    if found is None:
        raise InvalidAction("no such root cause at this organisation", field="root_cause")
    return found


def _described(root_cause: RootCause | None) -> dict[str, Any] | None:
    return None if root_cause is None else {"id": root_cause.pk, "name": root_cause.name}


# A case's own record


def record_case_quality(
    case_id: int,
    actor: User,
    *,
    root_cause_id: int | None,
    lessons_learned: str,
    now: dt.datetime,
) -> CaseQuality:
    """Record the case's root cause and lessons learned (replacing what was there).
    Nothing changed, nothing written."""
    lessons_learned = lessons_learned.strip()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if not can_record_case_quality(actor, case):
            raise NotPermitted(
                "only a quality manager, an administrator or the case's handler may do this"
            )
        root_cause = _root_cause(case.organisation_id, root_cause_id)
        if root_cause is not None and not root_cause.is_active:
            current = CaseQuality.objects.filter(case=case).values_list("root_cause", flat=True)
            if root_cause.pk not in current:
                raise InvalidAction("that root cause is retired", field="root_cause")
        record = CaseQuality.objects.filter(case=case).first()
        if record is None:
            record = CaseQuality(case=case, updated_at=now)
        elif record.root_cause_id == (root_cause.pk if root_cause else None) and (
            record.lessons_learned == lessons_learned
        ):
            return record
        data: dict[str, Any] = {"root_cause": _described(root_cause)}
        if record.lessons_learned != lessons_learned:
            data["lessons_learned"] = "recorded" if lessons_learned else "cleared"
        record.root_cause = root_cause
        record.lessons_learned = lessons_learned
        record.updated_at = now
        record.updated_by = actor
        record.save()
        _record([case], QualityChange.RECORD_UPDATED, actor, now, data)
    return record


# Corrective actions


@dataclass(frozen=True)
class ActionDetails:
    """What an editor supplies for a corrective action. `case_references` are the
    references of the cases it is linked to, as staff type them."""

    what: str
    owner: User
    due_on: dt.date
    case_references: tuple[str, ...] = ()
    root_cause_id: int | None = None
    status: ActionStatus = ActionStatus.OPEN


def _check_details(
    organisation: Organisation, details: ActionDetails, now: dt.datetime, *, due_changed: bool
) -> tuple[str, list[Case], RootCause | None]:
    what = details.what.strip()
    if not what:
        raise InvalidAction("say what is to be done", field="what")
    owner = details.owner
    if not owner.is_active or not is_staff_of(owner, organisation.pk):
        raise InvalidAction(
            "the owner must be a member of this organisation's staff", field="owner"
        )
    today = timezone.localdate(now)
    if due_changed and details.due_on < today:
        raise InvalidAction("the due date cannot be in the past", field="due_on")
    if details.due_on.year > today.year + MAX_YEARS_AHEAD:
        raise InvalidAction(f"the due date must be within {MAX_YEARS_AHEAD} years", field="due_on")
    if details.status not in SETTABLE:
        raise InvalidAction("an action is verified with the verify step", field="status")
    references = list(dict.fromkeys(r.strip() for r in details.case_references if r.strip()))
    if len(references) > MAX_CASES_PER_ACTION:
        raise InvalidAction(
            f"link at most {MAX_CASES_PER_ACTION} cases to one action", field="cases"
        )
    found = {
        case.reference: case
        for case in Case.objects.filter(organisation=organisation, reference__in=references)
    }
    # Another organisation's case is reported exactly like a case that does not exist.
    missing = [r for r in references if r not in found]
    if missing:
        raise InvalidAction(f"no such case: {', '.join(missing)}", field="cases")
    root_cause = _root_cause(organisation.pk, details.root_cause_id)
    return what, [found[r] for r in references], root_cause


def _summary(action: CorrectiveAction) -> dict[str, Any]:
    return {
        "corrective_action": action.pk,
        "status": action.status,
        "owner": action.owner_id,
        "due_on": action.due_on.isoformat(),
    }


def create_action(
    organisation: Organisation, actor: User, details: ActionDetails, *, now: dt.datetime
) -> CorrectiveAction:
    """Open a corrective action, linked to the cases named."""
    if not can_manage_quality(actor, organisation.pk):
        raise NotPermitted("only a quality manager or an administrator may do this")
    with transaction.atomic():
        what, cases, root_cause = _check_details(organisation, details, now, due_changed=True)
        action = CorrectiveAction.objects.create(
            organisation=organisation,
            what=what,
            owner=details.owner,
            due_on=details.due_on,
            status=details.status,
            root_cause=root_cause,
            created_at=now,
            created_by=actor,
            updated_at=now,
            completed_at=now if details.status == ActionStatus.COMPLETED else None,
        )
        locked = _lock_cases(case.pk for case in cases)
        action.cases.set(locked)
        _record(locked, QualityChange.ACTION_LINKED, actor, now, _summary(action))
    return action


def _lock_action(action_id: int) -> CorrectiveAction:
    return CorrectiveAction.objects.select_for_update().get(pk=action_id)


def _set_status(action: CorrectiveAction, status: ActionStatus, now: dt.datetime) -> None:
    if status == ActionStatus.COMPLETED and action.status != ActionStatus.COMPLETED:
        action.completed_at = now
    elif status != ActionStatus.COMPLETED:
        action.completed_at = None
    action.status = status


def update_action(
    action_id: int, actor: User, details: ActionDetails, *, now: dt.datetime
) -> CorrectiveAction:
    """Change a corrective action (quality keepers only). Cases newly linked, still
    linked and unlinked each get an event."""
    with transaction.atomic():
        action = _lock_action(action_id)
        if not can_manage_quality(actor, action.organisation_id):
            raise NotPermitted("only a quality manager or an administrator may do this")
        if action.status == ActionStatus.VERIFIED:
            raise ActionRefused("a verified action is closed and cannot be changed")
        what, cases, root_cause = _check_details(
            action.organisation, details, now, due_changed=details.due_on != action.due_on
        )
        changed = [
            name
            for name, old, new in (
                ("what", action.what, what),
                ("owner", action.owner_id, details.owner.pk),
                ("due_on", action.due_on, details.due_on),
                ("status", action.status, details.status),
                ("root_cause", action.root_cause_id, root_cause.pk if root_cause else None),
            )
            if old != new
        ]
        before = set(action.cases.values_list("pk", flat=True))
        after = {case.pk for case in cases}
        if not changed and before == after:
            return action
        if details.due_on != action.due_on:
            # A new due date is a new deadline: its owner is told again if it passes.
            action.overdue_notified_at = None
        action.what = what
        action.owner = details.owner
        action.due_on = details.due_on
        action.root_cause = root_cause
        _set_status(action, details.status, now)
        action.updated_at = now
        action.save()
        locked = {case.pk: case for case in _lock_cases(before | after)}
        action.cases.set([locked[pk] for pk in sorted(after)])
        summary = {**_summary(action), "changed": changed}
        _record(
            [locked[pk] for pk in sorted(after - before)],
            QualityChange.ACTION_LINKED,
            actor,
            now,
            summary,
        )
        if changed:
            _record(
                [locked[pk] for pk in sorted(after & before)],
                QualityChange.ACTION_UPDATED,
                actor,
                now,
                summary,
            )
        _record(
            [locked[pk] for pk in sorted(before - after)],
            QualityChange.ACTION_UNLINKED,
            actor,
            now,
            summary,
        )
    return action


def report_progress(
    action_id: int, actor: User, status: ActionStatus, *, now: dt.datetime
) -> CorrectiveAction:
    """The owner marks their own action in progress or completed."""
    with transaction.atomic():
        action = _lock_action(action_id)
        if action.owner_id != actor.pk or not is_staff_of(actor, action.organisation_id):
            raise NotPermitted("only the action's owner may report its progress")
        if status not in OWNER_SETTABLE:
            raise InvalidAction("an owner marks an action in progress or completed", field="status")
        if action.status not in (*OWNER_SETTABLE, ActionStatus.OPEN):
            raise ActionRefused(f"the action is {action.get_status_display().lower()}")
        if action.status == status:
            return action
        _set_status(action, status, now)
        action.updated_at = now
        action.save()
        cases = _lock_cases(action.cases.values_list("pk", flat=True))
        _record(
            cases,
            QualityChange.ACTION_UPDATED,
            actor,
            now,
            {**_summary(action), "changed": ["status"]},
        )
    return action


def verify_action(action_id: int, actor: User, *, now: dt.datetime) -> CorrectiveAction:
    """Verify a completed action was done. The verifier is a quality keeper and not the
    action's owner (the database refuses that too)."""
    with transaction.atomic():
        action = _lock_action(action_id)
        if not can_manage_quality(actor, action.organisation_id):
            raise NotPermitted("only a quality manager or an administrator may verify an action")
        if action.owner_id == actor.pk:
            raise InvalidAction(
                "the owner of an action cannot verify it; someone else must", field="verified_by"
            )
        if action.status != ActionStatus.COMPLETED:
            raise ActionRefused("only a completed action can be verified")
        action.status = ActionStatus.VERIFIED
        action.verified_by = actor
        action.verified_at = now
        action.updated_at = now
        action.save()
        cases = _lock_cases(action.cases.values_list("pk", flat=True))
        _record(
            cases,
            QualityChange.ACTION_VERIFIED,
            actor,
            now,
            {**_summary(action), "verified_by": actor.pk},
        )
    return action
