"""The complainant's own clocks on a case, with the bodies' contact details, as shown
to staff and to the complainant."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accord.cases.choices import EventKind
from accord.cases.models import Case
from accord.cases.rules import failed_guards
from accord.cases.timeline import events_of
from accord.organisations.calendar import calendar_for
from accord.organisations.models import ExternalBody
from accord.procedures.definition import Procedure
from accord.procedures.rights import project_right
from accord.reads import Read
from accord.workdays.deadlines import add_amount
from accord.workdays.wording import due_words, format_day, opens_words

# Read for every case page: compiled once.
_BODIES = Read(lambda organisation_id: ExternalBody.objects.filter(organisation_id=organisation_id))


def rights_of(case: Case, procedure: Procedure, now: dt.datetime) -> list[dict[str, Any]]:
    """Every right the procedure gives, where it stands at `now`, and the complaint window
    (`window`: the time the organisation asks complaints to be raised within, which
    staff weigh; not somewhere else the complainant can go)."""
    calendar = calendar_for(case.organisation)
    steps = [(e.action, e.at) for e in events_of(case) if e.kind == EventKind.TRANSITION]
    bodies = {body.kind: body for body in _BODIES(case.organisation_id)}
    shown: list[dict[str, Any]] = []
    if procedure.raise_within is not None and case.issue_arose_on is not None:
        rule = procedure.raise_within
        last_day = add_amount(case.issue_arose_on, rule.amount, rule.unit, calendar)
        shown.append(
            {
                "key": "raise_within",
                "window": True,
                "label": f"Raise the complaint within {rule.unit.describe(rule.amount)} of the issue arising",
                "applies": True,
                "open": False,
                "opens_at": None,
                "closes_at": None,
                "lines": [
                    f"The issue arose on {format_day(case.issue_arose_on)}; the last day was "
                    f"{format_day(last_day)}.",
                    "Raised in time."
                    if case.raised_out_of_time is False
                    else "Raised after that: a member of staff decides whether to consider it.",
                ],
                "body": None,
            }
        )
    for key, right in procedure.rights.items():
        state = project_right(
            key,
            right,
            procedure,
            received_at=case.received_at,
            steps=steps,
            applies=not failed_guards(case, right.applies_if),
            calendar=calendar,
        )
        body = bodies.get(right.body.value)
        shown.append(
            {
                "key": key,
                "window": False,
                "label": state.label,
                "applies": state.applies,
                "open": state.is_open(now),
                "opens_at": state.opens_at,
                "closes_at": state.closes_at,
                "opens_text": opens_words(state.opens_at, calendar.tz) if state.opens_at else None,
                "closes_text": due_words(state.closes_at, calendar=calendar).text
                if state.closes_at
                else None,
                "lines": list(state.lines),
                "body": None
                if body is None
                else {
                    "name": body.name,
                    "kind": body.kind,
                    "website": body.website,
                    "email": body.email,
                    "phone": body.phone,
                    "address": body.address,
                    "time_limit": body.time_limit,
                },
            }
        )
    return shown
