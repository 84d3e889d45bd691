"""The letters a step requires are part of the step.

`plan` decides, before the step's event is written, which copies (one per party the
letter is for) go with the step and which are owed: a letter the pack says may follow
the step, when the handler leaves it for later, or every letter of a step taken by a
party or by the system (they do not write letters). `send_with_step` sends the others
in the step's transaction, each checked for completeness: any refusal undoes the whole
step, its letters and their e-mails.

A member of staff taking a step through code that gives no letter fields (an import, a
demo, an older caller: `StepRequest.letters` None) gets every copy recorded as owed and
each sent at once that is complete with what the case supplies; the rest stay owed
(counted, shown, and holding the clocks the step would meet). The API and the pages
always give the fields, so there a letter that cannot be sent refuses the step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from accord.accounts.models import User
from accord.cases.errors import InvalidAction
from accord.cases.models import Case, Event
from accord.letters.models import Recipient
from accord.letters.rendering import LetterRequest
from accord.mediation.choices import Party
from accord.policy.disclosure import letter_refusal, open_to_respondent
from accord.procedures.definition import Procedure, Role, Transition
from accord.procedures.wording import party_wording
from accord.storage import StoredFile

LETTER_ROLES = frozenset({Role.SENIOR_HANDLER, Role.HANDLER, Role.MANAGER})


@dataclass(frozen=True)
class StepLetters:
    """What the handler gives a step's letters: the fields typed into each (by the
    letter's name) and the letters that may follow the step and are left for later."""

    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    later: tuple[str, ...] = ()


@dataclass(frozen=True)
class LetterPlan:
    procedure: Procedure
    send: list[tuple[str, Recipient]]
    owed: list[tuple[str, Recipient]]
    # Send what can be sent and leave the rest owed (see the module docstring).
    best_effort: bool = False

    def owed_data(self) -> list[dict[str, Any]]:
        """As the step's event records them (with the clocks each discharges, where the
        pack says; else every clock the step meets waits for it)."""
        owed: list[dict[str, Any]] = []
        for name, party in self.owed:
            item: dict[str, Any] = {"name": name, "recipient": party.value}
            discharges = party_wording(self.procedure).letter(name).discharges
            if discharges is not None:
                item["discharges"] = list(discharges)
            owed.append(item)
        return owed


def recipients(case: Case, procedure: Procedure, name: str) -> list[Recipient]:
    """The parties a letter goes to (one letter each): the pack's `to`, and the business
    only once the case is open to it (a step's letter never opens it) and where the case
    policy lets it have this letter."""
    parties = []
    for role in party_wording(procedure).letter(name).to:
        party = Recipient(role.value)
        if party == Recipient.RESPONDENT and (
            not open_to_respondent(case)
            or letter_refusal(case, procedure, name, Party.RESPONDENT) is not None
        ):
            continue
        parties.append(party)
    return parties


def plan(
    case: Case,
    procedure: Procedure,
    transition: Transition,
    role: Role | None,
    given: StepLetters | None,
) -> LetterPlan:
    """Which of the step's letters are sent with it and which are owed (see module)."""
    copies = [
        (name, party) for name in transition.letters for party in recipients(case, procedure, name)
    ]
    if role not in LETTER_ROLES:
        return LetterPlan(procedure, send=[], owed=copies)
    if given is None:
        return LetterPlan(procedure, send=copies, owed=copies, best_effort=True)
    for name in {*given.fields, *given.later}:
        if name not in transition.letters:
            raise InvalidAction(
                f"'{name}' is not a letter of '{transition.label}'", field=f"letters.{name}"
            )
    for name in given.later:
        if not party_wording(procedure).letter(name).may_follow:
            label = procedure.letters.get(name, name)
            raise InvalidAction(
                f"the letter '{label}' is sent with the step: it cannot follow later",
                field=f"letters.{name}",
            )
    return LetterPlan(
        procedure,
        send=[c for c in copies if c[0] not in given.later],
        owed=[c for c in copies if c[0] in given.later],
    )


def send_with_step(
    case: Case,
    event: Event,
    actor: User,
    role: Role,
    letters: LetterPlan,
    given: StepLetters | None,
    now: dt.datetime,
) -> None:
    """Send the step's letters in its transaction (the case is locked); a refusal of
    any undoes the step (the caller's transaction) and removes the PDFs kept so far."""
    from accord.letters.kinds import NEEDS_BODY, kind_of
    from accord.letters.rendering import signposted_body
    from accord.letters.sending import deliver

    procedure = letters.procedure  # the version the engine took the step under
    stored: list[StoredFile] = []
    try:
        for name, party in letters.send:
            if kind_of(procedure, name) in NEEDS_BODY and not signposted_body(
                case, procedure, name, now
            ):
                continue  # nothing to signpost for this case (yet)
            request = LetterRequest(
                name=name,
                recipient=party.value,
                step_seq=event.seq,
                fields=given.fields.get(name, {}) if given is not None else {},
            )
            try:
                with transaction.atomic():
                    deliver(case, actor, role, request, now, stored)
            except InvalidAction as exc:
                if letters.best_effort:
                    continue  # stays owed
                label = procedure.letters.get(name, name)
                raise InvalidAction(
                    f"{label} (to the {party.label.lower()}): {exc.message}",
                    field=f"letters.{name}.{exc.field}" if exc.field else f"letters.{name}",
                ) from exc
    except BaseException:
        for file in stored:
            file.unlink(missing_ok=True)
        raise
