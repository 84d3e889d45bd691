"""Who may open a staff page: a member of an organisation's staff, signed in with a
password and a verified TOTP code (django-otp), in an active account."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accord.policy.roles import staff_role

View = TypeVar("View", bound=Callable[..., HttpResponse])


def staff_required(view: View) -> View:
    """Staff only, and only once their second factor is verified this session.

    Not signed in, or signed in without the second factor: to the sign-in page (which
    resumes at the TOTP step). Signed in but not staff (a party): 403.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return redirect_to_login(request.get_full_path())
        if staff_role(user) is None:
            if getattr(user, "is_superuser", False):
                # The administrator runs the service and belongs to no organisation:
                # the admin is where their work is, not a 403 with no way out.
                return HttpResponseRedirect(reverse("admin:index"))
            raise PermissionDenied("Staff only.")
        if not user.is_verified():  # type: ignore[attr-defined]  # set by OTPMiddleware
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return cast(View, wrapper)
