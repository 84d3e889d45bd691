"""What a party reads of a procedure: the one accessor for the packs' party wording.

`party_wording(procedure)` (the complainant's) or `party_wording(procedure, "respondent")`
gives each stage, step, clock and outcome in the reader's words, translated into the
active language (`gettext`: the complainant's language is activated by whoever writes
for them), and a clock's promise with its due date filled in by
`accord.workdays.wording.fill_due`. Staff labels, keys and a rule's arithmetic are never
returned: a procedure without wording for a key reads a neutral sentence instead (the
registry refuses a shipped pack whose wording file leaves a key out).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils.translation import gettext

from accord.procedures.definition import (
    Effect,
    LetterWording,
    PartyText,
    Procedure,
    Role,
    Text,
    Wording,
)
from accord.workdays.calendar import WorkingCalendar
from accord.workdays.wording import fill_due

COMPLAINANT = "complainant"
RESPONDENT = "respondent"
_NO_WORDING = Wording()
_NO_LETTER = LetterWording()


def _fallback_stage(terminal: bool) -> str:
    return (
        gettext("Your complaint is closed.")
        if terminal
        else gettext("We are dealing with your complaint.")
    )


@dataclass(frozen=True)
class PartyWording:
    """A procedure's wording for one party (see the module docstring)."""

    procedure: Procedure
    party: str = COMPLAINANT

    @property
    def _wording(self) -> Wording:
        return self.procedure.wording or _NO_WORDING

    def _say(self, text: Text | None, fallback: str) -> str:
        if text is None:
            return fallback
        if isinstance(text, PartyText):
            chosen = text.respondent if self.party == RESPONDENT else text.complainant
            return gettext(chosen) if chosen else ""
        return gettext(text)

    @property
    def mediates(self) -> bool:
        """Whether the procedure mediates between the complainant and a business (only
        then may a party read mediation or without-prejudice wording, or a thread with
        the business); an in-house procedure speaks as the organisation."""
        if self._wording.mediates is not None:
            return self._wording.mediates
        return any(
            Role.RESPONDENT in t.roles or Effect.OPEN_TO_RESPONDENT in t.effects
            for t in self.procedure.transitions.values()
        )

    def stage(self, key: str) -> str:
        """Where the complaint stands: "We are looking into your complaint." ("" for a
        business not told of this stage)."""
        stage = self.procedure.stages.get(key)
        return self._say(
            self._wording.stages.get(key), _fallback_stage(bool(stage and stage.terminal))
        )

    def step(self, key: str) -> str:
        """A step taken, as the party's timeline says it: "We acknowledged your complaint."."""
        wording = self._wording.steps.get(key)
        return self._say(wording.done if wording else None, gettext("Your complaint was updated."))

    def action(self, key: str) -> str:
        """A step the party may take, as its button says it ("Withdraw my complaint");
        the step's done wording where the pack gives no action wording."""
        wording = self._wording.steps.get(key)
        if wording is not None and wording.action:
            return self._say(wording.action, "")
        return self.step(key)

    def clock(self, key: str) -> str:
        """A clock's promise with ``{by}``/``{day}`` still to fill (see `next_step`)."""
        return self._say(self._wording.clocks.get(key), gettext("The next step is due {by}."))

    def outcome(self, key: str) -> str:
        """How the complaint ended: "Your complaint was resolved by agreement."."""
        return self._say(self._wording.outcomes.get(key), gettext("Your complaint is closed."))

    def next_step(
        self,
        clock_key: str,
        due_at: dt.datetime,
        *,
        calendar: WorkingCalendar | None = None,
        tz: ZoneInfo | None = None,
    ) -> str:
        """What happens next and by when, in plain words: "We will acknowledge your
        complaint by the end of Friday 4 December 2026." ("" if the party is not told)."""
        promise = self.clock(clock_key)
        return fill_due(promise, due_at, calendar=calendar, tz=tz) if promise else ""

    def letter(self, name: str) -> LetterWording:
        """What the pack declares of its letter `name` (its kind, whether it may follow
        the step, its default wording)."""
        return self._wording.letters.get(name, _NO_LETTER)


def party_wording(procedure: Procedure, party: str = COMPLAINANT) -> PartyWording:
    """The procedure's wording for `party` ("complainant" or "respondent")."""
    return PartyWording(procedure, party)
