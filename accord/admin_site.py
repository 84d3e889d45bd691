"""The Django admin, behind the same second factor as the staff workspace.

The admin is Django's default site with two changes: a person counts as signed in only
once their TOTP code is verified this session, and signing in happens at the staff
sign-in (password, then code), never on the admin's own password-only form.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse


class VerifiedAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        verified = getattr(request.user, "is_verified", lambda: False)()
        return super().has_permission(request) and bool(verified)

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        target = request.GET.get("next") or reverse("admin:index")
        return redirect_to_login(target, reverse("staff-login"))
