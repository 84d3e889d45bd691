"""What the staff case page shows: the case shaped for reading (timeline in words,
clocks with their explanations, both threads, letters the steps require) and the
forms it offers. The forms offered for steps are exactly `engine.allowed_steps`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django import forms

from accord import rows
from accord.accounts.models import User
from accord.cases import actions, engine
from accord.cases.choices import EventKind
from accord.cases.clocks import clocks_of
from accord.cases.models import Case, Event
from accord.cases.presentation import clock_view
from accord.cases.rights import rights_of
from accord.cases.timeline import events_of
from accord.letters.kinds import kind_of
from accord.letters.models import Letter, LetterStatus, Recipient
from accord.mediation.choices import Party
from accord.mediation.visibility import messages_read_by
from accord.organisations.models import Team
from accord.policy.disclosure import has_respondent_party
from accord.policy.roles import can_assign, staff_role
from accord.procedures.definition import Procedure, Role
from accord.procedures.next_step import ends_unresolved, expected_step
from accord.procedures.stage_uses import after_consent, uses_agreement
from accord.procedures.wording import party_wording
from accord.reads import Read
from accord.web.staff.forms import (
    AssignForm,
    ClockForm,
    MessageForm,
    NoteForm,
    RelayForm,
    StepForm,
    VerbalSummaryForm,
)
from accord.web.staff.mediation import MediationShown, shows_mediation

# A long-running case's page shows its latest history; the rest is one link away.
TIMELINE_SHOWN = 25
NOTES_SHOWN = 20
MESSAGES_SHOWN = 20  # of each thread


def latest(items: list[Any], shown: int, whole: bool) -> tuple[list[Any], int]:
    """The last `shown` of `items` (all of them when `whole`), and how many are left out."""
    if whole or len(items) <= shown:
        return items, 0
    return items[-shown:], len(items) - shown


CLOCK_BADGES = {
    "running": "badge-on-time",
    "open": "badge-on-time",
    "at_risk": "badge-at-risk",
    "breached": "badge-breached",
}


_HANDLERS = Read(
    lambda organisation_id: User.objects.filter(
        organisation_id=organisation_id,
        staff_role__in=[Role.HANDLER.value, Role.SENIOR_HANDLER.value],
        is_active=True,
    ).order_by("staff_role", "username")
)
_LETTERS = Read(
    lambda case_id: Letter.objects.filter(case_id=case_id).select_related("sent_by").order_by("pk")
)


def handlers_of(organisation_id: int) -> list[User]:
    """Who a case of this organisation may be assigned to."""
    found: list[User] = _HANDLERS(organisation_id)
    return found


def teams_of(organisation_id: int) -> list[Team]:
    return rows.where(Team, "organisation", organisation_id, ["name"])


def _stage(procedure: Procedure, key: str) -> str:
    stage = procedure.stages.get(key)
    return stage.label if stage else key


def describe(event: Event, procedure: Procedure) -> str:
    """One timeline event in words (what happened, never what a party said)."""
    data = event.data or {}
    kind = EventKind(event.kind)
    if kind == EventKind.TRANSITION:
        transition = procedure.transitions.get(event.action)
        text = transition.label if transition else event.action
        if event.from_stage != event.to_stage:
            text += f" — now: {_stage(procedure, event.to_stage)}"
        if data.get("outcome"):
            outcome = procedure.outcomes.get(data["outcome"])
            text += f" (outcome: {outcome.label if outcome else data['outcome']})"
        for name, value in (data.get("input") or {}).items():
            declared = transition.inputs.get(name) if transition else None
            text += f"; {declared.label if declared else name}: {value}"
        return text
    if kind == EventKind.RECEIVED:
        return (
            f"Complaint received — {_stage(procedure, event.to_stage or procedure.initial_stage)}"
        )
    if kind in {EventKind.CLOCK_PAUSED, EventKind.CLOCK_RESUMED, EventKind.CLOCK_EXTENDED}:
        clock = procedure.clocks.get(str(data.get("clock", "")))
        label = clock.label if clock else data.get("clock", "")
        extra = ""
        if kind == EventKind.CLOCK_EXTENDED:
            extra = f" by {data.get('amount')} {str(data.get('unit', '')).replace('_', ' ')}"
        return f"{kind.label}: {label}{extra}"
    if kind in {EventKind.CLOCK_AT_RISK, EventKind.CLOCK_BREACHED}:
        clock = procedure.clocks.get(str(data.get("clock", "")))
        return f"{kind.label}: {clock.label if clock else data.get('clock', '')}"
    if kind == EventKind.MESSAGE:
        return f"Message in the {data.get('thread', '')} thread"
    if kind == EventKind.RELAY:
        edited = " (edited)" if data.get("edited") else ""
        return f"Message relayed from the {data.get('from_thread')} to the {data.get('to_thread')}{edited}"
    if kind == EventKind.LETTER_SENT:
        return f"Letter sent: {procedure.letters.get(event.action, event.action)}"
    if kind == EventKind.ASSIGNED:
        return "Assignment changed"
    return str(kind.label)


def closing_words(procedure: Procedure, transition: Any) -> str:
    """What taking the step does to the case, in words, for a step that closes it."""
    target = procedure.stages.get(transition.to or "")
    if target is None or not target.terminal:
        return ""
    labels = [
        procedure.outcomes[name].label for name in transition.outcomes if name in procedure.outcomes
    ]
    if not labels:
        return "It closes the case."
    return f"It closes the case with the outcome: {' or '.join(labels)}."


@dataclass
class StepOffer:
    key: str
    label: str
    form: StepForm
    letters: list[str]
    ends_unresolved: bool = False  # shown as a warning, confirmed before it is taken
    closes_with: str = ""  # the outcomes it closes with, in words


@dataclass
class ClockOffer:
    shown: dict[str, Any]
    forms: list[tuple[str, ClockForm]]


@dataclass
class ThreadShown:
    party: str
    label: str
    messages: list[dict[str, Any]]
    form: MessageForm
    documents: list[Any]
    upload_form: Any
    earlier: int = 0  # older messages left out of `messages`


@dataclass
class CasePage:
    """Everything the case page renders. `bound` replaces one form with the one the
    person just sent (with its errors)."""

    case: Case
    procedure: Procedure
    user: User
    now: dt.datetime
    bound: dict[str, forms.Form] = field(default_factory=dict)
    whole_history: bool = False  # every note, message and event, not just the latest
    mediation: MediationShown = field(init=False)

    def _form(self, name: str, make: Any) -> Any:
        return self.bound.get(name) or make()

    def context(self) -> dict[str, Any]:
        # Every reader of the timeline and the clocks (the engine's checks, the page)
        # shares one read of each: the page costs the same queries however long the
        # timeline.
        events_of(self.case)
        clocks_of(self.case)
        self.mediation = MediationShown(self.case, self.user, self.now, self.bound)
        shown = self._context()
        # A form sent for something no longer offered (the step was taken meanwhile, the
        # clock stopped): its errors go at the top of the page.
        offered = {f"step-{step.key}" for step in shown["steps"]}
        offered |= {f"step-{step.key}" for step in shown["warning_steps"]}
        if shown["next_step"] is not None:
            offered.add(f"step-{shown['next_step'].key}")
        offered |= {
            f"clock-{offer.shown['key']}-{action}"
            for offer in shown["clocks"]
            for action, _ in offer.forms
        }
        offered |= {
            f"relay-{item['message'].pk}" for thread in shown["threads"] for item in thread.messages
        }
        offered |= {"note", "assign", "verbal"} | {f"message-{party.value}" for party in Party}
        offered |= self.mediation.offered
        shown["unplaced"] = [form for name, form in self.bound.items() if name not in offered]
        return shown

    def _context(self) -> dict[str, Any]:
        case, procedure, user, now = self.case, self.procedure, self.user, self.now
        events = events_of(case)
        letters: list[Letter] = _LETTERS(case.pk)
        handlers = handlers_of(case.organisation_id)
        teams = teams_of(case.organisation_id)
        role = staff_role(user)
        mediation = self.mediation.context()
        steps = self._steps()
        expected = expected_step(
            procedure,
            case.stage,
            [step.key for step in steps],
            [
                (clock.key, clock.due_at)
                for clock in clocks_of(case)
                if clock.status == "running" and clock.due_at is not None
            ],
        )
        needed = self._letters_needed(events, letters)
        timeline, timeline_earlier = latest(
            [e for e in events if e.kind != EventKind.NOTE], TIMELINE_SHOWN, self.whole_history
        )
        notes, notes_earlier = latest(
            [e for e in events if e.kind == EventKind.NOTE], NOTES_SHOWN, self.whole_history
        )
        return {
            "mediation": mediation,
            "shows_mediation": shows_mediation(case, mediation),
            "two_sides": has_respondent_party(case),
            "uses_records": bool(mediation["records_requests"])
            or (case.is_open and after_consent(procedure, case.stage)),
            "uses_agreement": bool(
                mediation["proposals"] or mediation["agreements"] or mediation["submissions"]
            )
            or (case.is_open and uses_agreement(procedure, case.stage)),
            "case": case,
            "now": now,
            "bound_errors": any(form.errors for form in self.bound.values()),
            "procedure": procedure,
            "stage_label": _stage(procedure, case.stage),
            "outcome_label": (
                procedure.outcomes[case.outcome].label
                if case.outcome in procedure.outcomes
                else case.outcome
            ),
            "timeline": [{"event": e, "text": describe(e, procedure)} for e in timeline],
            "timeline_earlier": timeline_earlier,
            "notes": notes,
            "notes_earlier": notes_earlier,
            "clocks": self._clocks(),
            "rights": rights_of(case, procedure, now),
            "threads": self._threads(),
            "next_step": next((step for step in steps if step.key == expected), None),
            "steps": [step for step in steps if step.key != expected and not step.ends_unresolved],
            "warning_steps": [step for step in steps if step.ends_unresolved],
            "withheld": engine.withheld_until_assigned(case, user, now),
            "letters": [letter for letter in letters if letter.status == LetterStatus.SENT],
            "drafts": [letter for letter in letters if letter.status == LetterStatus.DRAFT],
            "letters_needed": needed,
            "letters_owed": [item for item in needed if not item["sent"]],
            "note_form": self._form("note", NoteForm),
            "assign_form": self._form(
                "assign",
                lambda: AssignForm(
                    handlers,
                    teams,
                    initial={
                        "handler": case.handler.username if case.handler else "",
                        "team": case.team_id,
                    },
                ),
            ),
            "may_assign_anyone": case.is_open and can_assign(user, case, None),
            "may_take": role in {Role.HANDLER, Role.SENIOR_HANDLER}
            and actions.take_refusal(case, user) is None,
            "verbal_form": self._form("verbal", VerbalSummaryForm),
            "may_write_letters": role in {Role.HANDLER, Role.SENIOR_HANDLER, Role.MANAGER},
            "may_relay": case.is_open and role in {Role.HANDLER, Role.SENIOR_HANDLER},
            "mediates": party_wording(procedure).mediates,
        }

    def _steps(self) -> list[StepOffer]:
        offers = []
        for key in engine.allowed_steps(self.case, self.user, self.now):
            transition = self.procedure.transitions[key]
            form = self.bound.get(f"step-{key}")
            if not isinstance(form, StepForm):
                form = StepForm(key, transition, procedure=self.procedure)
            form.set_outcome_labels(self.procedure)
            offers.append(
                StepOffer(
                    key,
                    transition.label,
                    form,
                    [self.procedure.letters.get(n, n) for n in transition.letters],
                    ends_unresolved(self.procedure, transition),
                    closing_words(self.procedure, transition),
                )
            )
        return offers

    def _clocks(self) -> list[ClockOffer]:
        from accord.letters.owed import awaiting, owed_words

        shown = []
        waits = awaiting(self.case)  # the owed letters a clock waits for, to be met
        # The clocks still running first (nearest due first), then those stopped.
        ordered = sorted(
            clocks_of(self.case),
            key=lambda c: (c.status != "running", c.due_at is None, c.due_at or self.now),
        )
        for clock in ordered:
            view = clock_view(clock, self.now)
            view["badge_class"] = CLOCK_BADGES.get(view["state"], "badge-stopped")
            view["state_label"] = str(view["state"]).replace("_", " ").capitalize()
            view["letters_owed"] = owed_words(self.case, waits.get(clock.key, []))
            definition = self.procedure.clocks.get(clock.key)
            offered: list[tuple[str, ClockForm]] = []
            if definition is not None and self.case.is_open and not clock.is_window:
                actions = []
                if definition.pausable and clock.status == "running":
                    actions.append("pause")
                if definition.pausable and clock.status == "paused":
                    actions.append("resume")
                if definition.extendable and clock.status == "running":
                    actions.append("extend")
                for action in actions:
                    name = f"clock-{clock.key}-{action}"
                    form = self.bound.get(name)
                    if not isinstance(form, ClockForm):
                        initial = {}
                        if action == "extend" and definition.extension_cap is not None:
                            initial["unit"] = definition.extension_cap.unit.value
                        form = ClockForm(clock.key, action, initial=initial)
                    offered.append((action, form))
            shown.append(ClockOffer(view, offered))
        return shown

    def _threads(self) -> list[ThreadShown]:
        """Both threads side by side in a mediation; the complainant's alone where the
        organisation is itself the respondent."""
        documents = self.mediation.documents()
        by_party: dict[str, list[Any]] = {p.value: [] for p in Party}
        for message in messages_read_by(self.user, self.case):
            by_party[message.thread.party].append(message)
        shown = []
        mediates = party_wording(self.procedure).mediates
        for party in Party:
            if (
                party == Party.RESPONDENT
                and not (mediates and has_respondent_party(self.case))
                and not by_party[party.value]
            ):
                continue  # an in-house complaint: no thread with the organisation itself
            messages, earlier = self._latest_messages(by_party[party.value])
            form = self.bound.get(f"message-{party.value}")
            if not isinstance(form, MessageForm):
                form = MessageForm(party.value)
            label = (
                f"{party.label}: {self.case.complainant}"
                if party == Party.COMPLAINANT
                else f"{party.label}: {self.case.respondent.name}"
            )
            shown.append(
                ThreadShown(
                    party.value,
                    label,
                    messages,
                    form,
                    documents[party.value],
                    self.mediation.upload_form(party),
                    earlier,
                )
            )
        return shown

    def _latest_messages(self, messages: list[Any]) -> tuple[list[dict[str, Any]], int]:
        """A thread's latest messages, each with its relay form; the whole thread when
        asked, or when a relay of an older one came back with errors to show."""
        whole = self.whole_history or any(f"relay-{m.pk}" in self.bound for m in messages)
        shown, earlier = latest(messages, MESSAGES_SHOWN, whole)
        return [
            {
                "message": message,
                "relay_form": self.bound.get(f"relay-{message.pk}")
                or RelayForm(message.pk, initial={"body": message.body}),
            }
            for message in shown
        ], earlier

    def _letters_needed(self, events: list[Event], letters: list[Letter]) -> list[dict[str, Any]]:
        """Each copy a step required (one per party), sent or owed."""
        from accord.letters.owed import outstanding

        owed = {(o.name, o.recipient, o.step_seq) for o in outstanding(self.case)}
        sent = {(letter.name, letter.recipient, letter.step_seq) for letter in letters}
        needed = []
        for event in events:
            data = event.data or {}
            copies = [(o["name"], o["recipient"]) for o in data.get("letters_owed", ())]
            copies += [
                (letter.name, letter.recipient)
                for letter in letters
                if letter.step_seq == event.seq
            ]
            for name, recipient in dict.fromkeys(copies):
                if kind_of(self.procedure, name) is None:
                    continue
                needed.append(
                    {
                        "name": name,
                        "label": self.procedure.letters.get(name, name),
                        "recipient": recipient,
                        "recipient_label": Recipient(recipient).label,
                        "step_seq": event.seq,
                        "sent": (name, recipient, event.seq) in sent,
                        "owed": (name, recipient, event.seq) in owed,
                    }
                )
        return needed
