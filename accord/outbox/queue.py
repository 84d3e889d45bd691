"""The one way anything in Accord sends e-mail: write an outbox row in the caller's
transaction. The outbox worker delivers it. (Implemented by the outbox app.)"""

from __future__ import annotations

from typing import Any


def queue_email(
    *,
    to: list[str],
    subject: str,
    text: str,
    html: str = "",
    case_id: int | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
    reply_to: list[str] | None = None,
    message_id: str | None = None,
    purpose: str = "",
) -> Any:
    """Queue one e-mail; returns the outbox row. Must be called inside the transaction
    that makes the change the e-mail reports."""
    raise NotImplementedError("the outbox app implements queue_email")
