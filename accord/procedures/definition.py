"""The shape of a procedure definition file.

A procedure is data: stages, the transitions between them (who may take each, under
which guards, with which effects and letters), the clocks that run while it is worked,
and its outcomes. This module declares the vocabulary; `loader` parses a file into
these models and checks that the whole is coherent. Nothing here imports Django.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.workdays.deadlines import DueTime, Unit

ANY_OPEN_STAGE = "*"
RECEIVE = "receive"  # the intake action every case starts with; clocks may start on it
RECEIPT = "receipt"  # the milestone every case has: its (deemed) receipt
CLOCK_END_PREFIX = "clock_end:"


class Role(StrEnum):
    """Who may take a transition. Staff roles come from the user; party roles from the case."""

    COMPLAINANT = "complainant"
    RESPONDENT = "respondent"
    HANDLER = "handler"
    SENIOR_HANDLER = "senior_handler"
    MANAGER = "manager"
    ADMINISTRATOR = "administrator"


STAFF_ROLES = frozenset({Role.HANDLER, Role.SENIOR_HANDLER, Role.MANAGER, Role.ADMINISTRATOR})
PARTY_ROLES = frozenset({Role.COMPLAINANT, Role.RESPONDENT})


class Guard(StrEnum):
    """Conditions a transition may require; each is checked by code in `cases.guards`."""

    CONSENT_ON_FILE = "consent_on_file"
    VERBAL_SUMMARY_CONFIRMED = "verbal_summary_confirmed"
    HANDLER_ASSIGNED = "handler_assigned"
    MICROBUSINESS = "microbusiness"
    LATE_COMPLAINT_DECIDED = "late_complaint_decided"
    MAY_BE_OUT_OF_TIME = "may_be_out_of_time"
    # Added with the third versions of the seed packs (issue 16).
    VERBAL_SUMMARY_PENDING = "verbal_summary_pending"
    RAISED_OUT_OF_TIME = "raised_out_of_time"
    CONSENT_FORM_SIGNED = "consent_form_signed"
    AGREEMENT_BINDING = "agreement_binding"
    NO_BINDING_AGREEMENT = "no_binding_agreement"
    AGREEMENT_TERMS_DONE = "agreement_terms_done"


class Effect(StrEnum):
    """Changes to the case a transition may make besides its stage; applied by `cases.effects`."""

    RECORD_CONSENT = "record_consent"
    WITHDRAW_CONSENT = "withdraw_consent"
    CONFIRM_VERBAL_SUMMARY = "confirm_verbal_summary"
    RECORD_REGULATOR_REFERRAL = "record_regulator_referral"
    ACCEPT_LATE_COMPLAINT = "accept_late_complaint"
    OPEN_TO_RESPONDENT = "open_to_respondent"
    # The step records the mediation's agreement: the system takes it (from the stage
    # the case is at) the instant both parties have confirmed the agreement.
    RECORD_AGREEMENT = "record_agreement"


class _Strict(BaseModel):
    # Unknown keys are typos until proven otherwise.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Revision(_Strict):
    """One row of the procedure's revision table."""

    version: str
    author: str
    review_date: dt.date
    approved_by: str
    summary: str


class Stage(_Strict):
    """A stage a case can be in."""

    label: str
    terminal: bool = False
    # On entering this stage the case needs a handler who has not handled it at any
    # earlier stage (separation of duties at escalation).
    separate_handler: bool = False
    cites: str = ""


class Outcome(_Strict):
    """How a case can end."""

    label: str
    resolved: bool = False
    early: bool = False  # resolved at an early stage (a published figure)
    # Whether the business complained about is told this outcome (it never is of a
    # referral to the regulator, whatever a pack says: see accord.policy.disclosure).
    disclosed_to_respondent: bool = False
    # Decided wholly or partly in the complainant's favour (the FCA's "upheld").
    upheld: bool = False
    cites: str = ""


class ExtensionCap(_Strict):
    """The most a clock may be extended in total."""

    amount: int = Field(ge=0)
    unit: Unit


class Period(_Strict):
    """A length of time, e.g. 8 weeks or 6 months."""

    amount: int = Field(ge=0)
    unit: Unit


class InputKind(StrEnum):
    """What a step's input holds."""

    DATE = "date"
    TEXT = "text"


class Input(_Strict):
    """Something the actor supplies with a step (e.g. a holding response's anticipated date)."""

    label: str
    kind: InputKind
    required: bool = True
    not_in_past: bool = False  # dates only: today or later


class BodyKind(StrEnum):
    """The kind of external body a right leads to (matched to the organisation's bodies)."""

    OMBUDSMAN = "ombudsman"
    REDRESS_SCHEME = "redress_scheme"
    REGULATOR = "regulator"


class Right(_Strict):
    """One of the complainant's own clocks: when they may take the complaint to an
    external body, and until when. Opens `opens_after` receipt or at once on any of
    `opens_on`; closes `closes_after` the first of `closes_from` (if given)."""

    label: str
    body: BodyKind
    applies_if: tuple[Guard, ...] = ()
    opens_after: Period | None = None
    opens_on: tuple[str, ...] = ()
    closes_after: Period | None = None
    closes_from: tuple[str, ...] = ()
    cites: str = ""


class Clock(_Strict):
    """A deadline: what starts, stops, pauses and resumes it, how long, counted from what."""

    label: str
    # Either a fixed length (amount and unit) or the date given in an input of the step
    # that starts the clock (e.g. the anticipated date of a holding response).
    amount: int | None = Field(default=None, ge=0)
    unit: Unit | None = None
    due_on_input: str | None = None
    basis: str = RECEIPT  # a milestone, or "clock_end:<clock>"
    due_time: DueTime = DueTime.END_OF_DAY
    starts_on: tuple[str, ...] = ()
    stops_on: tuple[str, ...] = ()  # the steps that meet it
    # The steps that stop it without meeting it (no agreement; concluded without one):
    # shown as "ended", never as met. A closing step not named here meets it.
    ends_on: tuple[str, ...] = ()
    pauses_on: tuple[str, ...] = ()
    resumes_on: tuple[str, ...] = ()
    at_risk_lead: int = Field(default=1, ge=0)  # working days before due
    pausable: bool = False  # staff may pause/resume it by hand, with a reason
    extendable: bool = False  # staff may extend it, with a reason
    extension_cap: ExtensionCap | None = None
    # A step the system takes when the clock is breached (automatic escalation).
    on_breach: str | None = None
    letters_on_extension: tuple[str, ...] = ()
    # A window, not a duty: the time within which some step may be taken (e.g. a summary
    # resolution communication). Never at risk or breached, never the next deadline.
    window: bool = False
    # While it runs, the due dates of an agreement's obligations may not fall after its
    # end (e.g. agreement and timeframe within 45 days of acceptance).
    limits_obligations: bool = False
    cites: str = ""


class RaiseWithin(_Strict):
    """How soon after the issue arose the complainant should raise it. A complaint
    raised later is flagged for a person to decide; it is never refused automatically."""

    amount: int = Field(ge=1)
    unit: Unit
    cites: str = ""


class Transition(_Strict):
    """An action a user may take on a case at some stages."""

    label: str
    from_: tuple[str, ...] = Field(alias="from")
    to: str | None = None  # None: the case stays where it is
    roles: tuple[Role, ...]
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    marks: tuple[str, ...] = ()  # milestones this transition sets to its instant
    # The outcomes a closing transition may record; with several, the actor picks one.
    outcomes: tuple[str, ...] = ()
    reason_required: bool = False
    inputs: dict[str, Input] = Field(default_factory=dict)
    # Clocks whose due instant must not have passed for this step to be taken (e.g. a
    # summary resolution communication only by close of business on the third day).
    within: tuple[str, ...] = ()
    letters: tuple[str, ...] = ()
    # Letters required when a clock of this procedure is extended (e.g. the
    # ombudsman's details on any extension) are declared on the clock instead.
    cites: str = ""


class EmailMeaning(_Strict):
    """What an e-mail from a party of an open case means: one whose subject contains
    `subject_contains` (compared without "Re:"/"Fwd:" prefixes, case, spacing or the
    kind of dash; see `accord.inbound.meanings`) takes step `takes` as of its arrival,
    on that party's behalf, and is filed in their thread."""

    label: str
    subject_contains: str = Field(min_length=3)
    takes: str
    party: Literal[Role.COMPLAINANT] = Role.COMPLAINANT
    cites: str = ""


class PartyText(_Strict):
    """Party wording that differs by reader: the complainant's, and the business's in a
    procedure that mediates (empty: the business is not told this)."""

    complainant: str
    respondent: str = ""


# Party wording: one text for whichever party reads it, or a text per party.
Text = str | PartyText


class StepWording(_Strict):
    """How a step reads to the parties: `done` in their timeline once it is taken ("We
    acknowledged your complaint"); `action` on a party's own button where a party may
    take it ("Withdraw my complaint")."""

    done: Text
    action: Text = ""


class LetterWording(_Strict):
    """What a pack says of one of its letters beyond its description: the kind it is
    (when its name is not itself a kind); the parties it goes to (one letter each);
    whether the step may be taken before it is sent (it is then recorded as owed, and a
    clock the step stops runs until the letter is sent); the kind of body it signposts
    when no right of the procedure is open (e.g. the regulator, for a complaint out of
    remit); and this procedure's default wording for it (subject and body, a template
    like the defaults in `accord.letters.defaults`)."""

    kind: str | None = None
    to: tuple[Role, ...] = (Role.COMPLAINANT,)
    may_follow: bool = False
    # The clocks this letter discharges (None: every clock the step requiring it meets;
    # [] : none — e.g. an agreement letter, where the agreement itself meets the clock).
    discharges: tuple[str, ...] | None = None
    signposts: BodyKind | None = None
    subject: str = Field(default="", max_length=300)  # as a letter template's subject
    body: str = ""


class Wording(_Strict):
    """Everything a party reads of a procedure, in the reader's words: each stage (where
    the complaint stands), step (what was done), clock (the promise, with ``{by}`` for
    its due date: "We will acknowledge your complaint {by}.") and outcome, and the
    letters' declarations. A pack may carry it as its `wording:` section; the shipped
    packs have it beside them in `packs/<key>/wording.yaml`, for every version without
    its own (published files are locked). `mediates`: whether the procedure mediates
    between the complainant and a business (None: whether any step is the business's
    or opens the case to it)."""

    mediates: bool | None = None
    stages: dict[str, Text] = Field(default_factory=dict)
    steps: dict[str, StepWording] = Field(default_factory=dict)
    clocks: dict[str, Text] = Field(default_factory=dict)
    outcomes: dict[str, Text] = Field(default_factory=dict)
    letters: dict[str, LetterWording] = Field(default_factory=dict)


class Procedure(_Strict):
    """A complete, versioned procedure definition."""

    # A shipped pack's key (`housing-ombudsman`), or an organisation's own procedure's,
    # in that organisation's namespace (`acme:housing-ombudsman`; see registry).
    key: str = Field(pattern=r"^([a-z][a-z0-9-]*:)?[a-z][a-z0-9-]*$", max_length=60)
    name: str
    version: int = Field(ge=1)
    effective_from: dt.date
    summary: str = ""
    cites: tuple[str, ...] = ()
    review_every_months: int = Field(default=12, ge=1)
    revisions: tuple[Revision, ...] = Field(min_length=1)
    raise_within: RaiseWithin | None = None
    milestones: dict[str, str] = Field(default_factory=dict)
    letters: dict[str, str] = Field(default_factory=dict)
    outcomes: dict[str, Outcome]
    initial_stage: str
    stages: dict[str, Stage]
    # Where a closed case goes back to when it is reopened (e.g. an obligation of its
    # agreement was missed); None: cases of this version are never reopened.
    reopens_to: str | None = None
    clocks: dict[str, Clock] = Field(default_factory=dict)
    transitions: dict[str, Transition]
    rights: dict[str, Right] = Field(default_factory=dict)
    # What an inbound e-mail means (e.g. a stage 2 request by its subject).
    inbound_email: tuple[EmailMeaning, ...] = ()
    # The parties' wording (see `Wording`); the registry adds the pack's wording file to
    # a version without its own.
    wording: Wording | None = None

    @property
    def ref(self) -> str:
        """The stable name of this version, e.g. ``occs-mediation@1``."""
        return f"{self.key}@{self.version}"

    def stage_is_open(self, stage: str) -> bool:
        return not self.stages[stage].terminal

    def available_from(self, transition: Transition, stage: str) -> bool:
        """Whether `transition` can be taken from `stage` (before role and guard checks)."""
        if transition.from_ == (ANY_OPEN_STAGE,):
            return self.stage_is_open(stage)
        return stage in transition.from_
