"""Finding what the quality log holds for a user: only their own organisation's cases
and actions; anything else is 404, exactly as if it did not exist."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accord.accounts.models import User
from accord.cases.errors import NotPermitted
from accord.cases.models import Case
from accord.organisations.models import Organisation
from accord.policy.roles import staff_role
from accord.quality.models import CorrectiveAction


def quality_organisation(user: User | AnonymousUser) -> Organisation:
    """The organisation whose log the user reads: staff only."""
    if staff_role(user) is None or getattr(user, "organisation", None) is None:
        raise NotPermitted("the quality log is for an organisation's staff")
    assert isinstance(user, User)
    assert user.organisation is not None
    return user.organisation


def quality_case(user: User | AnonymousUser, reference: str) -> Case:
    organisation = quality_organisation(user)
    case = (
        Case.objects.select_related("organisation", "handler", "quality__root_cause")
        .filter(organisation=organisation, reference=reference)
        .first()
    )
    if case is None:
        raise Http404("no such case")
    return case


def quality_action(user: User | AnonymousUser, action_id: int) -> CorrectiveAction:
    organisation = quality_organisation(user)
    action = (
        CorrectiveAction.objects.select_related("owner", "root_cause", "verified_by")
        .filter(organisation=organisation, pk=action_id)
        .first()
    )
    if action is None:
        raise Http404("no such corrective action")
    return action
