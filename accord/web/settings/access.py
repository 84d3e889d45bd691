"""Who may open the Settings pages: a member of staff (signed in with both factors) who
is an administrator of their organisation (`policy.roles.can_administer`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accord.accounts.models import User
from accord.organisations.models import Organisation
from accord.policy.roles import can_administer
from accord.web.staff.access import staff_required

View = TypeVar("View", bound=Callable[..., HttpResponse])


def administrator_required(view: View) -> View:
    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)
        if user.organisation_id is None or not can_administer(user, user.organisation_id):
            raise PermissionDenied("Only your organisation's administrators change its settings.")
        return view(request, *args, **kwargs)

    return cast(View, wrapper)


def administrator(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def organisation_of(request: HttpRequest) -> Organisation:
    organisation = administrator(request).organisation
    assert organisation is not None  # administrator_required
    return organisation
