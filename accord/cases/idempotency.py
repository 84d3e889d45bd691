"""Retries of the case API (steps, clock changes, notes) with an `Idempotency-Key`:
the first request with a key runs and its response is kept with the key, in the same
transaction; a retry with the same key and the same request returns that response and
does nothing again; the same key with a different request is refused (422). A request
that is refused keeps no key (nothing was done, so a retry may try again). Keys are per
user: nobody can replay another user's response."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from ninja.responses import NinjaJSONEncoder

from accord.accounts.models import User
from accord.cases.errors import InvalidAction
from accord.cases.models import IdempotentRequest

MAX_KEY = 200


def clean_key(value: str | None) -> str | None:
    """The header's value checked: 1 to 200 printable characters, or None if absent."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_KEY or not value.isprintable():
        raise InvalidAction(
            "Idempotency-Key must be 1 to 200 printable characters", field="Idempotency-Key"
        )
    return value


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, cls=NinjaJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _refuse_other(kept: IdempotentRequest, print_: str) -> None:
    if kept.fingerprint != print_:
        raise InvalidAction(
            "this Idempotency-Key was already used with a different request",
            field="Idempotency-Key",
        )


def once(
    user: User,
    key: str | None,
    print_: str,
    run: Callable[[], dict[str, Any]],
    *,
    now: dt.datetime,
) -> dict[str, Any]:
    """`run()` once per (user, key); its response (as JSON) on every retry."""
    if key is None:
        return run()
    with transaction.atomic():
        kept = IdempotentRequest.objects.filter(user=user, key=key).first()
        if kept is not None:
            _refuse_other(kept, print_)
            return dict(kept.response)
        try:
            with transaction.atomic():
                # Claimed first: a concurrent retry waits on the unique key, then finds it.
                record = IdempotentRequest.objects.create(
                    user=user, key=key, fingerprint=print_, created_at=now
                )
        except IntegrityError:
            kept = IdempotentRequest.objects.get(user=user, key=key)
            _refuse_other(kept, print_)
            return dict(kept.response)
        response = run()
        record.response = json.loads(json.dumps(response, cls=NinjaJSONEncoder))
        record.save(update_fields=["response"])
    return response


def forget_expired(now: dt.datetime, *, batch: int = 1000) -> int:
    """Delete the kept responses older than `ACCORD_IDEMPOTENCY_KEY_DAYS` (a client
    retries within minutes; nobody replays a week-old key), a batch at a time so the
    sweep never holds a long lock. Returns how many were forgotten."""
    cutoff = now - dt.timedelta(days=settings.ACCORD_IDEMPOTENCY_KEY_DAYS)
    forgotten = 0
    while True:
        expired = list(
            IdempotentRequest.objects.filter(created_at__lt=cutoff)
            .order_by()
            .values_list("id", flat=True)[:batch]
        )
        if not expired:
            return forgotten
        forgotten += IdempotentRequest.objects.filter(id__in=expired).delete()[0]
