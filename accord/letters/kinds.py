"""The letter kinds, what each must contain, and how the packs' letter names map to them.

A pack names the letters a step requires (`letters: [final_response, signposting]`)
and declares each with a description. Names differ between packs (`stage2_response`,
`notice_of_referral`, `delay_notice` …); each maps to one kind here. A kind declares the
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


# Pack letter names that are not themselves a kind.
ALIASES: dict[str, LetterKind] = {
    "stage1_acknowledgement": LetterKind.ACKNOWLEDGEMENT,
    "stage2_acknowledgement": LetterKind.ESCALATION_ACKNOWLEDGEMENT,
    "stage1_response": LetterKind.STAGE_RESPONSE,
    "stage2_response": LetterKind.FINAL_RESPONSE,
}


def kind_of(name: str) -> LetterKind | None:
    """The kind a pack's letter name stands for (None if unknown)."""
    if name in ALIASES:
        return ALIASES[name]
    try:
        return LetterKind(name)
    except ValueError:
        return None


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
NEXT_DATE = Item("next_date", "the date of the next step", _get("next_clock.due_date"))
# An acknowledgement's "what happens next, and by when": the date of the first running
# clock, when there is one.
NEXT_STEP_DATE = Item(
    "next_date", "the date of the next step", _get("next_clock.due_date"), if_any=True
)
NEXT_STEP_EXPLANATION = Item(
    "next_date_explanation",
    "the explanation of that date",
    _get("next_clock.lines"),
    if_any=True,
)
REASONS = Item("reasons", "the reasons", _get("reason"))
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
    LetterKind.ACKNOWLEDGEMENT: (REFERENCE, NEXT_STEP_DATE, NEXT_STEP_EXPLANATION),
    LetterKind.VERBAL_SUMMARY: (REFERENCE, SUMMARY),
    LetterKind.HOLDING_RESPONSE: (REASONS, ANTICIPATED_DATE),
    LetterKind.PROPOSED_RESOLUTION: (REMEDY, TIMEFRAME),
    LetterKind.PROGRESS_UPDATE: (REFERENCE, UPDATE),
    LetterKind.ESCALATION_ACKNOWLEDGEMENT: (REFERENCE, NEXT_STEP_DATE, NEXT_STEP_EXPLANATION),
    LetterKind.NOTICE_OF_REFERRAL: (REFERENCE, NEXT_DATE),
    LetterKind.STAGE_RESPONSE: (OUTCOME, HOW_TO_ESCALATE),
    LetterKind.FINAL_RESPONSE: (OUTCOME, *SIGNPOSTING),
    LetterKind.SUMMARY_RESOLUTION: (REFERENCE, BODY_NAME, BODY_CONTACT),
    LetterKind.DEADLOCK: SIGNPOSTING,
    LetterKind.CONCLUSION: (REASONS,),
    LetterKind.SIGNPOSTING: SIGNPOSTING,
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


def missing_items(kind: LetterKind, context: dict[str, Any], text: str) -> list[Missing]:
    """The required items of `kind` that the context does not supply or that the
    rendered plain `text` does not state."""
    body = _normal(text)
    missing = []
    for item in REQUIRED[kind]:
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
