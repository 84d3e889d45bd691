"""Who may open the parties' pages: a signed-in complainant or business representative,
and on a case only the side they are (every other case is a 404, as in the API)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accord.accounts.models import User
from accord.cases.complainant_links import SESSION_REVOKED, session_link_revoked
from accord.cases.lookup import visible_case
from accord.cases.models import Case
from accord.mediation.choices import Party
from accord.policy.roles import roles_on_case, staff_role
from accord.procedures.definition import Role

View = TypeVar("View", bound=Callable[..., HttpResponse])


def party_required(view: View) -> View:
    """Signed in, and a party (not staff: they have their own pages)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or not user.is_active:
            return redirect_to_login(request.get_full_path(), reverse("party-login"))
        if staff_role(user) is not None or user.is_superuser:
            raise PermissionDenied("These pages are for the parties to a complaint.")
        if session_link_revoked(request.session):
            logout(request)
            return render(
                request,
                "web/parties/link_invalid.html",
                {"message": SESSION_REVOKED, "gone": True},
                status=410,
            )
        return view(request, *args, **kwargs)

    return cast(View, wrapper)


def party_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def party_case(request: HttpRequest, reference: str) -> tuple[Case, Party]:
    """The case, if the user is one of its parties, and which side they are."""
    user = party_user(request)
    case = visible_case(user, reference)
    roles = roles_on_case(user, case)
    if Role.COMPLAINANT in roles:
        return case, Party.COMPLAINANT
    if Role.RESPONDENT in roles:
        return case, Party.RESPONDENT
    raise Http404("no such case")
