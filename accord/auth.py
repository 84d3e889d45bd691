"""How API callers prove who they are: a bearer token, or a signed-in session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from accord.accounts.models import ApiToken
from accord.cases.complainant_links import session_link_revoked
from accord.operations.logs import note_user
from accord.policy.roles import staff_role


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; only the token's SHA-256 is stored."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = (
            ApiToken.objects.select_related("user")
            .filter(digest=ApiToken.digest_of(token), revoked_at__isnull=True)
            .first()
        )
        if found is None or not found.user.is_active:
            return None
        request.user = found.user
        note_user(found.user.get_username())
        return found.user


class VerifiedSessionAuth(SessionAuth):
    """The signed-in session (with its CSRF check). Staff and superusers count as signed
    in only once their second factor is verified this session: a password alone, typed
    into any sign-in form, does not open the API."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None
        if (staff_role(user) is not None or user.is_superuser) and not user.is_verified():
            return None
        if session_link_revoked(request.session):
            return None  # opened with a link since replaced
        return user


staff_or_party_auth = [TokenAuth(), VerifiedSessionAuth()]
