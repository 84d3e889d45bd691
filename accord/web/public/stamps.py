"""The complaint form's signed issue stamp: spam resistance without a third party.

Each form carries a stamp signed with the site's secret: when it was issued and the
form's idempotency key. A submission sooner than `ACCORD_FORM_MIN_SECONDS` after issue
is refused as automated; one older than `ACCORD_FORM_MAX_AGE_HOURS` as stale; a stamp
that was altered or made up is refused. In each case the person is asked to send the
form again, with what they typed kept. The key makes a retried submission one case.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils import timezone

SALT = "accord.complaint-form"


@dataclass(frozen=True)
class Stamp:
    key: str
    issued_at: float


class StampRefused(Exception):
    """Why the stamp cannot be accepted, in words for the person sending the form."""


def issue() -> str:
    """A new stamp for a form shown now."""
    return signing.dumps(
        {"k": secrets.token_urlsafe(18), "t": timezone.now().timestamp()}, salt=SALT
    )


def check(value: str) -> Stamp:
    """The stamp of a submitted form, if it may be acted on now."""
    try:
        claims = signing.loads(value, salt=SALT)
    except signing.BadSignature:
        raise StampRefused(
            "We could not check this form. Please check your answers and send it again."
        ) from None
    key, issued_at = claims.get("k"), claims.get("t")
    if not isinstance(key, str) or not isinstance(issued_at, int | float):
        raise StampRefused(
            "We could not check this form. Please check your answers and send it again."
        )
    age = timezone.now().timestamp() - issued_at
    if age < int(settings.ACCORD_FORM_MIN_SECONDS):
        raise StampRefused(
            "That was sent very quickly after the form was opened, so we could not tell it "
            "was sent by a person. Please check your answers and send the form again."
        )
    if age > int(settings.ACCORD_FORM_MAX_AGE_HOURS) * 3600:
        raise StampRefused(
            "This form was opened more than a day ago, so it has expired. Your answers are "
            "kept below: please check them and send the form again."
        )
    return Stamp(key=key, issued_at=issued_at)
