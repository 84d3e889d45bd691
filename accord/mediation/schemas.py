"""What the mediation API accepts and returns."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import Field, StringConstraints

from accord.cases.schemas import StrictIn


class MessageIn(StrictIn):
    body: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class RelayIn(StrictIn):
    message_id: int = Field(ge=1)
    body: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] | None = Field(
        default=None, description="The edited text to share; omit to share as written"
    )


class MessageOut(Schema):
    id: int
    party: str
    author_role: str
    body: str
    sent_at: dt.datetime
    without_prejudice: bool
    relayed: bool
    relay_edited: bool


class ThreadOut(Schema):
    party: str
    messages: list[MessageOut]


class ConsentFormOut(Schema):
    version: int
    title: str
    text: str
    text_sha256: str


class ConsentIn(StrictIn):
    form_version: int = Field(ge=1)
    typed_name: Annotated[str, StringConstraints(max_length=200)]
    ticked: bool
    share: list[Annotated[str, StringConstraints(max_length=20)]] = Field(
        default_factory=list,
        max_length=5,
        description="Details the business may see for the records request besides your "
        "name: any of address, email, phone",
    )


class ConsentOut(Schema):
    id: int
    form_version: int
    typed_name: str
    signed_at: dt.datetime
    text_sha256: str
    withdrawn_at: dt.datetime | None


class WithdrawIn(StrictIn):
    reason: Annotated[str, StringConstraints(max_length=2000)] = ""


class RecordsRequestIn(StrictIn):
    what: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    due_on: dt.date


class RecordsRequestOut(Schema):
    id: int
    what: str
    due_on: dt.date
    requested_at: dt.datetime
    fulfilled_at: dt.datetime | None
    withdrawn_at: dt.datetime | None = None
