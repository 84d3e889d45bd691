"""What the case API accepts and returns. Every input is bounded and unknown fields
are refused, so a typo is an error, not silently dropped data."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, StringConstraints

from accord.cases.choices import Channel, Source


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("enter a valid e-mail address") from None
    return value


def _plausible_instant(value: dt.datetime) -> dt.datetime:
    if value.year < 2000:
        raise ValueError("a complaint cannot have been received before 2000")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("this field cannot be blank")
    return value


Text = Annotated[str, StringConstraints(max_length=20_000)]
RequiredLine = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(_not_blank)
]
Line = Annotated[str, StringConstraints(max_length=200)]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email)]


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


class ComplainantIn(StrictIn):
    name: RequiredLine
    email: Email = ""
    phone: Annotated[str, StringConstraints(max_length=40)] = ""
    address: Annotated[str, StringConstraints(max_length=1000)] = ""
    is_microbusiness: bool = False
    business_name: Line = ""


class ComplaintIn(StrictIn):
    """A complaint from the public."""

    complainant: ComplainantIn
    description: Annotated[Text, StringConstraints(min_length=1), AfterValidator(_not_blank)]
    desired_outcome: Annotated[str, StringConstraints(max_length=5000)] = ""
    issue_arose_on: dt.date | None = None
    category: Annotated[str, StringConstraints(max_length=100)] = ""
    respondent_id: int | None = Field(default=None, ge=1)
    share_information: bool = True


class LoggedComplaintIn(ComplaintIn):
    """A complaint staff log from a phone call, letter or visit."""

    channel: Channel
    source: Source = Source.DIRECT
    # With its offset (e.g. 2026-02-27T10:00:00+00:00): a bare local time is ambiguous
    # once a year, when the clocks go back.
    received_at: Annotated[AwareDatetime, AfterValidator(_plausible_instant)] | None = None
    vulnerable: bool = False


class ClockOut(Schema):
    key: str
    label: str
    status: str
    state: str
    started_at: dt.datetime
    stopped_at: dt.datetime | None
    due_at: dt.datetime | None
    due_date: dt.date | None
    due_text: str | None = None
    explanation: list[str]
    detail: dict[str, Any]


class BodyOut(Schema):
    name: str
    kind: str
    website: str
    email: str
    phone: str
    address: str
    time_limit: str


class RightOut(Schema):
    key: str
    label: str
    applies: bool
    open: bool
    opens_at: dt.datetime | None
    closes_at: dt.datetime | None
    opens_text: str | None = None
    closes_text: str | None = None
    lines: list[str]
    body: BodyOut | None


class ReceiptOut(Schema):
    reference: str
    received_at: dt.datetime
    stage: str
    clocks: list[ClockOut]


class EventOut(Schema):
    seq: int
    at: dt.datetime
    kind: str
    action: str
    actor: str | None
    actor_role: str
    from_stage: str
    to_stage: str
    reason: str
    data: dict[str, Any]


class CaseSummaryOut(Schema):
    reference: str
    organisation: str
    complainant: str
    stage: str
    stage_label: str
    is_open: bool
    handler: str | None
    team: str | None
    received_at: dt.datetime
    next_deadline_at: dt.datetime | None
    clock_state: str


class QueuePageOut(Schema):
    results: list[CaseSummaryOut]
    next_cursor: str | None


class CaseOut(CaseSummaryOut):
    procedure: str
    channel: str
    source: str
    respondent: str
    issue_arose_on: dt.date | None
    description: str
    desired_outcome: str
    category: str
    outcome: str
    flags: dict[str, Any]
    opened_to_respondent_at: dt.datetime | None = None
    clocks: list[ClockOut]
    rights: list[RightOut]
    timeline: list[EventOut]
    allowed_steps: list[str]


class PartyStepOut(Schema):
    at: dt.datetime
    action: str
    to_stage: str


class PartyCaseOut(Schema):
    reference: str
    organisation: str
    stage: str
    stage_label: str
    is_open: bool
    outcome: str | None = Field(description="How the case ended, where this side is told")
    received_at: dt.datetime
    description: str | None
    complainant: dict[str, str] | None = Field(
        description="Who the complainant is, as this side may know it (the business: only "
        "with consent on file)"
    )
    clocks: list[ClockOut]
    rights: list[RightOut]
    steps: list[PartyStepOut]
    allowed_steps: list[str]


LetterFieldValue = Annotated[str, StringConstraints(max_length=5000)]
LetterName = Annotated[str, StringConstraints(max_length=60)]


class StepIn(StrictIn):
    reason: Annotated[str, StringConstraints(max_length=10_000)] = ""
    outcome: Annotated[str, StringConstraints(max_length=60)] | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    letters: dict[LetterName, dict[LetterName, LetterFieldValue]] = Field(
        default_factory=dict,
        description=(
            "What the handler types into each letter the step requires, by the letter's "
            'name: e.g. {"final_response": {"findings": "...", "remedy": "..."}}. '
            "The step sends its letters (one per party each is for) or is refused."
        ),
    )
    letters_later: list[LetterName] = Field(
        default_factory=list,
        description="Letters the pack says may follow the step, left owed for later",
    )


class AssignIn(StrictIn):
    """Only the fields sent change: {"team_id": 3} leaves the handler as it is."""

    handler: str | None = Field(default=None, description="username; null to unassign")
    team_id: int | None = None


class ClockChangeIn(StrictIn):
    action: Literal["pause", "resume", "extend"]
    reason: RequiredLine
    amount: int = Field(default=0, ge=0, le=365)
    unit: Literal["working_days", "calendar_days", "weeks", "months"] | None = None


class FlagsIn(StrictIn):
    vulnerable: bool | None = None
    no_information_sharing: bool | None = None
    safeguarding_concern: bool | None = None
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


class VerbalSummaryIn(StrictIn):
    how: Annotated[str, StringConstraints(max_length=2000)] = Field(
        default="", description="How the complainant confirmed (staff must say)"
    )


class NoteIn(StrictIn):
    text: Annotated[Text, StringConstraints(min_length=1)]


class ErrorOut(Schema):
    error: str
    message: str
    field: str | None = None
