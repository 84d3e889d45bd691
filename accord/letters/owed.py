"""Letters owed: the letters a step required that were not sent with it.

A step records each letter it leaves unsent in its event (`letters_owed`: name and
party) — a letter its pack says may follow the step (one that needs an attachment,
say), or any letter of a step taken by a party or by the system, who do not write
letters. `Case.letters_owed` counts those not yet sent (the queue's "Letters owed" view
reads it); a clock the step would have met runs on until the letter is sent, so the
sweep treats an owed letter past its clock as a breach (see
`accord.procedures.clocks`).
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.cases.choices import EventKind
from accord.cases.models import Case
from accord.cases.timeline import events_if_read, events_of
from accord.letters.models import Letter, LetterStatus


@dataclass(frozen=True)
class Owed:
    """One letter owed: its name in the procedure, the party and the step's seq."""

    name: str
    recipient: str
    step_seq: int


def outstanding(case: Case) -> list[Owed]:
    """The letters owed on the case and not yet sent, oldest first."""
    read = events_if_read(case)
    steps = (
        [event for event in read if event.kind == EventKind.TRANSITION]
        if read is not None
        else case.events.filter(kind=EventKind.TRANSITION).order_by("seq")
    )
    owed = [
        Owed(str(item["name"]), str(item["recipient"]), event.seq)
        for event in steps
        for item in (event.data or {}).get("letters_owed", ())
    ]
    if not owed:
        return []
    sent = set(
        Letter.objects.filter(case=case, status=LetterStatus.SENT).values_list(
            "name", "recipient", "step_seq"
        )
    )
    return [o for o in owed if (o.name, o.recipient, o.step_seq) not in sent]


def recount_owed(case: Case) -> int:
    """Set `case.letters_owed` (the caller saves the case, in its transaction)."""
    case.letters_owed = len(outstanding(case))
    return case.letters_owed


def awaiting(case: Case) -> dict[str, list[Owed]]:
    """The owed letters each running clock waits for (by clock key): the clock is met
    only once they are sent, so past its due date an owed letter is a breach. Read from
    the projection of the case's timeline that sets the clocks."""
    owed = outstanding(case)
    if not owed:
        return {}
    from accord.cases.clocks import project_events
    from accord.cases.engine import procedure_of
    from accord.organisations.calendar import calendar_for

    projected = project_events(events_of(case), procedure_of(case), calendar_for(case.organisation))
    waits: dict[str, list[Owed]] = {}
    for key, clock in projected.items():
        if clock.run.is_running and clock.run.awaiting_letters:
            tokens = clock.run.awaiting_letters
            waiting = [o for o in owed if f"{o.name}:{o.recipient}" in tokens]
            if waiting:
                waits[key] = waiting
    return waits


def owed_words(case: Case, owed: list[Owed]) -> list[str]:
    """Each owed letter as staff read it: "Acknowledgement (to the complainant)"."""
    from accord.cases.engine import procedure_of
    from accord.letters.models import Recipient

    letters = procedure_of(case).letters
    return [
        f"{letters.get(o.name, o.name)} (to the {Recipient(o.recipient).label.lower()})"
        for o in owed
    ]
