"""What every API module needs from a request: the signed-in user, the client's
address, and the error responses endpoints declare."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accord.accounts.models import User
from accord.cases.schemas import ErrorOut

ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 409, 413, 422, 429)}


def request_user(request: HttpRequest) -> User:
    """The authenticated user (the router's auth has already refused anyone else)."""
    user = request.user
    assert isinstance(user, User)
    return user


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, for consents and confirmations (behind a proxy, the proxy
    must be configured to pass the real address in REMOTE_ADDR)."""
    return request.META.get("REMOTE_ADDR") or None
