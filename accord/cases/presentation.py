"""How a case is shown: a clock with its state and explanation, and the view a party
(complainant or respondent) has of its case. The JSON API and the party pages both
shape cases through these functions, so a party sees the same thing everywhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accord.accounts.models import User
from accord.cases import engine
from accord.cases.choices import ClockBadge, ClockStatus
from accord.cases.clocks import badge, clocks_of
from accord.cases.models import Case, Clock
from accord.cases.rights import rights_of
from accord.cases.timeline import events_of
from accord.mediation.choices import Party
from accord.policy import disclosure
from accord.policy.roles import standing
from accord.workdays.wording import due_words


def clock_view(clock: Clock, now: dt.datetime) -> dict[str, Any]:
    if clock.is_window:
        state = "open" if clock.due_at is not None and now < clock.due_at else "closed"
    elif clock.status in {ClockStatus.STOPPED, ClockStatus.ENDED}:
        in_time = clock.due_at is None or (
            clock.stopped_at is not None and clock.stopped_at < clock.due_at
        )
        if not in_time:
            state = "breached"  # a breach stands however the clock stopped
        else:
            state = "met" if clock.status == ClockStatus.STOPPED else "ended"
    elif clock.status == "paused":
        state = "paused"
    else:
        state = badge(clock.due_at, clock.at_risk_at, now).value
        state = "running" if state == ClockBadge.ON_TIME else state
    due_date = clock.explanation.get("due_date")
    return {
        "key": clock.key,
        "label": clock.label,
        "status": clock.status,
        "state": state,
        "started_at": clock.started_at,
        "stopped_at": clock.stopped_at,
        "due_at": clock.due_at,
        "due_date": dt.date.fromisoformat(due_date) if due_date else None,
        # The words every page uses for this deadline (accord.workdays.wording).
        "due_text": due_words(clock.due_at).text if clock.due_at is not None else None,
        "explanation": clock.explanation.get("lines", []),
        "detail": clock.explanation,
    }


def party_clock(shown: dict[str, Any]) -> dict[str, Any]:
    """A clock as a party sees it: why staff paused it is their note, not the party's
    (it may repeat what the other side said); that it was paused, and for how long, is
    shown. Extension reasons stay: the parties must be told them."""
    detail = dict(shown["detail"])
    pauses = [{**pause, "reason": ""} for pause in detail.get("pauses", [])]
    detail["pauses"] = pauses
    lines = [line for line in detail.get("lines", []) if not line.startswith("Paused")]
    for pause in pauses:
        lines.insert(-1, f"Paused for {pause['days_added']} day(s) from {pause['from'][:10]}.")
    detail["lines"] = lines
    return {**shown, "explanation": lines, "detail": detail}


def party_view(case: Case, user: User, now: dt.datetime) -> dict[str, Any]:
    """What a complainant or respondent sees: where the case stands (as the case policy
    tells that side), its clocks, the steps taken (without staff reasoning or notes) and
    what they may do. The complaint's text is the complainant's own; it reaches the
    respondent only as staff share it."""
    procedure = engine.procedure_of(case)
    party = standing(user, case).party
    assert party is not None, "party_view is for the parties"
    is_complainant = party == Party.COMPLAINANT
    steps = (disclosure.visible_event(event, case, procedure, party) for event in events_of(case))
    return {
        "reference": case.reference,
        "organisation": case.organisation.name,
        **disclosure.status_for(case, procedure, party),
        "is_open": case.is_open,
        "received_at": case.received_at,
        "description": case.description if is_complainant else None,
        "complainant": disclosure.complainant_for(case, party),
        "clocks": [party_clock(clock_view(clock, now)) for clock in clocks_of(case)],
        "rights": rights_of(case, procedure, now),
        "steps": [step for step in steps if step is not None],
        "allowed_steps": engine.allowed_steps(case, user, now),
    }


def stage_words(case: Case) -> str:
    """Where a case stands, in the procedure's words: the stage's label while it is open
    ("Stage 2 review"), "Closed: <outcome label>" once closed — never a key."""
    procedure = engine.procedure_of(case)
    if case.is_open:
        stage = procedure.stages.get(case.stage)
        return stage.label if stage else case.stage.replace("_", " ").capitalize()
    outcome = procedure.outcomes.get(case.outcome)
    if outcome is not None:
        return f"Closed: {outcome.label}"
    return f"Closed: {case.outcome.replace('_', ' ')}" if case.outcome else "Closed"


def where_it_stands(case: Case, party: Party) -> str:
    """Where the case stands, in the party's own words (the pack's party wording): the
    stage while it is open, the outcome once closed if that side is told it, else that
    it is closed. Never a key or a staff label."""
    from accord.procedures.wording import party_wording

    procedure = engine.procedure_of(case)
    words = party_wording(procedure, party.value)
    if case.is_open:
        return words.stage(case.stage)
    if case.outcome and disclosure.outcome_disclosed(case, procedure, party):
        return words.outcome(case.outcome)
    return words.stage(case.stage)


def next_steps(case: Case, party: Party) -> list[dict[str, Any]]:
    """What happens next and by when, in the party's words ("We will acknowledge your
    complaint by the end of Friday 4 December 2026"), soonest first: each running clock
    the party's wording promises something for (never a staff task, never arithmetic)."""
    from accord.organisations.calendar import calendar_for
    from accord.procedures.wording import party_wording

    if not case.is_open:
        return []
    words = party_wording(engine.procedure_of(case), party.value)
    calendar = calendar_for(case.organisation)
    running = sorted(
        (
            clock
            for clock in clocks_of(case)
            if clock.due_at is not None
            and not clock.is_window
            and clock.status == ClockStatus.RUNNING
        ),
        key=lambda clock: clock.due_at or case.received_at,
    )
    steps = []
    for clock in running:
        assert clock.due_at is not None
        text = words.next_step(clock.key, clock.due_at, calendar=calendar)
        if text:
            steps.append({"key": clock.key, "text": text, "due_at": clock.due_at})
    return steps
