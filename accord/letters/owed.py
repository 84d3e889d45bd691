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
from accord.letters.models import Letter, LetterStatus


@dataclass(frozen=True)
class Owed:
    """One letter owed: its name in the procedure, the party and the step's seq."""

    name: str
    recipient: str
    step_seq: int


def outstanding(case: Case) -> list[Owed]:
    """The letters owed on the case and not yet sent, oldest first."""
    owed = [
        Owed(str(item["name"]), str(item["recipient"]), event.seq)
        for event in case.events.filter(kind=EventKind.TRANSITION).order_by("seq")
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
