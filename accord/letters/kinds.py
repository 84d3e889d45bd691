"""The letter kinds, what each must contain and what the handler types into it.

A pack names the letters a step requires (`letters: [final_response, signposting]`)
and declares each with a description. Names differ between packs; a name that is not
itself a kind is mapped to one by the pack's wording (`letters.<name>.kind`), never by
code here. A kind declares the fields the handler types (`TYPED`) and the
items a letter of that kind must carry: each item is read from the rendering context
and must be present there *and* appear in the rendered text, so an edited template that
drops the date cannot be sent either. Pure: no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from accord.letters.template_text import syntax_fault
from accord.procedures.definition import Procedure, Wording
from accord.procedures.wording import party_wording


class LetterKind(models.TextChoices):
    """Every kind of letter Accord writes."""

    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    VERBAL_SUMMARY = "verbal_summary", "Summary of a verbal complaint for confirmation"
    HOLDING_RESPONSE = "holding_response", "Holding response"
    PROPOSED_RESOLUTION = "proposed_resolution", "Proposed resolution and timeframe"
    PROGRESS_UPDATE = "progress_update", "Progress update"
    ESCALATION_ACKNOWLEDGEMENT = "escalation_acknowledgement", "Escalation acknowledgement"
    NOTICE_OF_REFERRAL = "notice_of_referral", "Notice of referral to the senior mediator"
    STAGE_RESPONSE = "stage_response", "Response, with how to escalate"
    FINAL_RESPONSE = "final_response", "Final response"
    SUMMARY_RESOLUTION = "summary_resolution", "Summary resolution communication"
    DEADLOCK = "deadlock", "Deadlock letter"
    CONCLUSION = "conclusion", "Conclusion without agreement"
    SIGNPOSTING = "signposting", "Signposting to the ombudsman or redress scheme"
    EXTENSION_NOTICE = "extension_notice", "Notice of an extended timescale"
    DELAY_NOTICE = "delay_notice", "Notice of a delay"
    CONSENT_FORM = "consent_form", "Consent form"
    AGREEMENT = "agreement", "Agreement and timeframe"
    FEEDBACK_REQUEST = "feedback_request", "Request for feedback"


def kind_of(procedure: Procedure, name: str) -> LetterKind | None:
    """The kind a procedure's letter name stands for: the kind its wording declares,
    else the name itself when it is a kind (None if neither)."""
    declared = party_wording(procedure).letter(name).kind or name
    try:
        return LetterKind(declared)
    except ValueError:
        return None


def declaration_faults(procedure: Procedure, wording: Wording) -> list[str]:
    """What keeps a letter of `procedure` (with `wording`, its parties' wording) from
    being written: a letter of no kind (its name is not one and its wording declares
    none), a declared kind that does not exist, or own wording that is not template
    text."""
    faults = []
    for name, declared in wording.letters.items():
        if declared.kind is not None and declared.kind not in LetterKind.values:
            faults.append(
                f"wording.letters.{name}.kind: '{declared.kind}' is not a kind of letter "
                f"(the kinds: {', '.join(LetterKind.values)})"
            )
        for part in ("subject", "body"):
            fault = syntax_fault(getattr(declared, part))
            if fault:
                faults.append(f"wording.letters.{name}.{part}: {fault}")
    for name in procedure.letters:
        kind = wording.letters[name].kind if name in wording.letters else None
        if name not in LetterKind.values and kind is None:
            faults.append(
                f"wording.letters.{name}.kind: the letter '{name}' needs its kind (what it "
                "must contain), as its name is not one"
            )
    return faults


@dataclass(frozen=True)
class Field:
    """Something the handler types into a letter of a kind (shown on the step's form
    only for the letters that use it). `step`: the step itself supplies it where it has
    it (its reason; a date input a clock is due on)."""

    name: str
    label: str
    help_text: str = ""
    required: bool = True


FINDINGS = Field(
    "findings", "What we found", "Our findings, in words addressed to the complainant."
)
# The fields a mediating procedure does not ask for (see Item.not_when_mediating).
ADJUDICATING = frozenset({"findings", "remedy"})
REMEDY_FIELD = Field(
    "remedy",
    "What we will do to put things right",
    "The remedy offered, or why none is offered.",
)
PROPOSED_REMEDY = Field("remedy", "The resolution we propose")
TIMEFRAME_FIELD = Field("timeframe", "By when it will be done")
DECISION = Field("outcome", "Our decision", "For example: we uphold your complaint in part.")
UPDATE_FIELD = Field("update", "The progress made so far")
SUMMARY_FIELD = Field(
    "summary",
    "Our summary of the complaint",
    "Leave empty to use what the complainant told us.",
    required=False,
)
ANTICIPATED = Field("anticipated_date", "The date we expect to conclude by (YYYY-MM-DD)")
REASON = Field("reason", "The reasons", "Goes into the letter as written.")

# What the handler types into each kind (the reason is the step's own reason field).
TYPED: dict[LetterKind, tuple[Field, ...]] = {
    LetterKind.VERBAL_SUMMARY: (SUMMARY_FIELD,),
    LetterKind.HOLDING_RESPONSE: (REASON, ANTICIPATED),
    LetterKind.PROPOSED_RESOLUTION: (PROPOSED_REMEDY, TIMEFRAME_FIELD),
    LetterKind.PROGRESS_UPDATE: (UPDATE_FIELD,),
    LetterKind.STAGE_RESPONSE: (DECISION, FINDINGS, REMEDY_FIELD),
    LetterKind.FINAL_RESPONSE: (FINDINGS, REMEDY_FIELD),
    LetterKind.DEADLOCK: (REASON,),
    LetterKind.CONCLUSION: (REASON,),
    LetterKind.SIGNPOSTING: (REASON,),
    LetterKind.EXTENSION_NOTICE: (REASON,),
    LetterKind.DELAY_NOTICE: (REASON,),
}
# Every field a letter may be given (the letters panel and the API accept these).
FIELD_NAMES = (
    "reason",
    "outcome",
    "findings",
    "remedy",
    "timeframe",
    "update",
    "summary",
    "anticipated_date",
)
# Kinds sent at most once to a party for the same stage of a case.
ONCE_PER_STAGE = frozenset({LetterKind.FINAL_RESPONSE})


Value = str | list[str] | None


@dataclass(frozen=True)
class Item:
    """Something a letter must contain. `read` takes the rendering context and returns
    the text that must appear (a list: every entry must appear), or None/"" if the case
    does not supply it. `any_of`: one entry of the list is enough (contact details).
    `if_any`: required only when the case supplies it (an acknowledgement states the
    date of the next step when the procedure sets one; Ocasa's stage 1 sets none)."""

    name: str
    label: str
    read: Callable[[dict[str, Any]], Value]
    any_of: bool = False
    if_any: bool = False
    # Not asked of a procedure that mediates: a mediator finds nothing and imposes no
    # remedy (the parties agree, or do not).
    not_when_mediating: bool = False


def _get(path: str) -> Callable[[dict[str, Any]], Value]:
    def read(context: dict[str, Any]) -> Value:
        value: Any = context
        for part in path.split("."):
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        if value is None:
            return None
        if isinstance(value, list):
            return [str(v) for v in value if str(v).strip()]
        return str(value)

    return read


def _contact(context: dict[str, Any]) -> Value:
    body = context.get("body") or {}
    return [str(body[k]) for k in ("website", "email", "phone", "address") if body.get(k)]


def _organisation_contact(context: dict[str, Any]) -> Value:
    org = context.get("organisation") or {}
    return [str(org[k]) for k in ("complaints_email", "email", "phone", "address") if org.get(k)]


REFERENCE = Item("reference", "the case reference", _get("case.reference"))
# Every letter carries the reference (in its heading) and the signatory.
REFERENCE_ANY = REFERENCE
NEXT_DATE = Item("next_date", "the date of the next step", _get("next_clock.due_date"))
# An acknowledgement's "what happens next, and by when": the date of the first running
# clock, when there is one.
NEXT_STEP_DATE = Item(
    "next_date", "the date of the next step", _get("next_clock.due_date"), if_any=True
)
REASONS = Item("reasons", "the reasons", _get("reason"))
SIGNPOSTING_REASON = Item("reasons", "the reasons", _get("signposting_reason"))
FINDINGS_ITEM = Item("findings", "what we found", _get("findings"), not_when_mediating=True)
REMEDY_ITEM = Item(
    "remedy", "what we will do to put things right", _get("remedy"), not_when_mediating=True
)
WHAT_NEXT = Item("next_steps", "what happens next", _get("next_steps"))
SIGNATORY = Item("signatory", "the name and role of the person signing", _get("signatory.name"))
OPTIONS = Item("options", "the complainant's options", _get("options"), if_any=True)
ANTICIPATED_DATE = Item("anticipated_date", "the anticipated date", _get("anticipated_date"))
OUTCOME = Item("outcome", "the outcome", _get("outcome"))
BODY_NAME = Item(
    "signposting_body", "the name of the ombudsman or redress scheme", _get("body.name")
)
BODY_CONTACT = Item(
    "signposting_contact",
    "the contact details of the ombudsman or redress scheme",
    _contact,
    any_of=True,
)
TIME_LIMIT = Item("time_limit", "the time limit for going to it", _get("body.time_limit"))
SIGNPOSTING = (BODY_NAME, BODY_CONTACT, TIME_LIMIT)
# Where a letter signposts only once the in-house procedure is exhausted (a right is
# open): required when the case has one, never invented before.
IF_SIGNPOSTED = tuple(
    Item(item.name, item.label, item.read, any_of=item.any_of, if_any=True) for item in SIGNPOSTING
)
SUMMARY = Item("summary", "the summary of the complaint", _get("summary"))
REMEDY = Item("remedy", "the proposed resolution", _get("remedy"))
TIMEFRAME = Item("timeframe", "the timeframe", _get("timeframe"))
UPDATE = Item("update", "the progress made", _get("update"))
HOW_TO_ESCALATE = Item(
    "how_to_escalate", "how to escalate (the contact details)", _organisation_contact, any_of=True
)
RESPONDENT = Item("respondent", "who releases the records", _get("respondent.name"))
AGREEMENT_TERMS = Item("agreement_terms", "the agreement's terms", _get("agreement.terms"))


REQUIRED: dict[LetterKind, tuple[Item, ...]] = {
    LetterKind.ACKNOWLEDGEMENT: (REFERENCE, NEXT_STEP_DATE),
    LetterKind.VERBAL_SUMMARY: (REFERENCE, SUMMARY),
    LetterKind.HOLDING_RESPONSE: (REFERENCE, REASONS, ANTICIPATED_DATE),
    LetterKind.PROPOSED_RESOLUTION: (REMEDY, TIMEFRAME),
    LetterKind.PROGRESS_UPDATE: (REFERENCE, UPDATE),
    LetterKind.ESCALATION_ACKNOWLEDGEMENT: (REFERENCE, NEXT_STEP_DATE),
    LetterKind.NOTICE_OF_REFERRAL: (REFERENCE, NEXT_DATE),
    LetterKind.STAGE_RESPONSE: (OUTCOME, FINDINGS_ITEM, REMEDY_ITEM, HOW_TO_ESCALATE),
    LetterKind.FINAL_RESPONSE: (OUTCOME, FINDINGS_ITEM, REMEDY_ITEM, *IF_SIGNPOSTED),
    LetterKind.SUMMARY_RESOLUTION: (REFERENCE, BODY_NAME, BODY_CONTACT),
    LetterKind.DEADLOCK: (REASONS, OPTIONS, *IF_SIGNPOSTED),
    LetterKind.CONCLUSION: (REASONS,),
    LetterKind.SIGNPOSTING: (SIGNPOSTING_REASON, *SIGNPOSTING),
    LetterKind.EXTENSION_NOTICE: (REASONS, NEXT_DATE),
    LetterKind.DELAY_NOTICE: (REASONS,),
    LetterKind.CONSENT_FORM: (REFERENCE, RESPONDENT),
    LetterKind.AGREEMENT: (AGREEMENT_TERMS,),
    LetterKind.FEEDBACK_REQUEST: (REFERENCE,),
}


@dataclass(frozen=True)
class Missing:
    """A required item the letter lacks: `name` is the item, `message` says what."""

    name: str
    message: str


_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


# A kind that exists to signpost a body: with no body to signpost for this case (no
# right of the procedure open to the complainant, none declared), it is not written.
NEEDS_BODY = frozenset({LetterKind.SIGNPOSTING})


def typed_fields(kind: LetterKind, *, mediates: bool) -> tuple[Field, ...]:
    """What the handler types into a letter of `kind` (a mediator is not asked for
    findings or a remedy: they are optional then)."""
    fields = TYPED.get(kind, ())
    if not mediates:
        return fields
    return tuple(
        Field(f.name, f.label, f.help_text, required=False) if f.name in ADJUDICATING else f
        for f in fields
    )


def missing_items(kind: LetterKind, context: dict[str, Any], text: str) -> list[Missing]:
    """The required items of `kind` (and of every letter: its reference and signatory)
    that the context does not supply or that the rendered plain `text` does not state."""
    body = _normal(text)
    missing = []
    items = {item.name: item for item in (*REQUIRED[kind], REFERENCE_ANY, SIGNATORY)}
    mediates = bool((context.get("procedure") or {}).get("mediates"))
    for item in items.values():
        if item.not_when_mediating and mediates:
            continue
        value = item.read(context)
        values = [value] if isinstance(value, str) else list(value or [])
        values = [v for v in values if v.strip()]
        if not values:
            if item.if_any:
                continue
            missing.append(Missing(item.name, f"{item.label} is missing"))
            continue
        present = [_normal(v) in body for v in values]
        if not (any(present) if item.any_of else all(present)):
            missing.append(Missing(item.name, f"the letter does not state {item.label}"))
    return missing
