"""An organisation's staff accounts, as its administrators keep them: adding a member of
staff, renaming them, changing their role and teams, deactivating and reactivating them. An
organisation never loses its last active administrator: nobody could then configure it
without an operator."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from accord.accounts.choices import StaffRole
from accord.accounts.models import User
from accord.cases import sort_keys
from accord.cases.errors import InvalidAction
from accord.cases.models import Case
from accord.organisations.models import Organisation, Team

LAST_ADMINISTRATOR = (
    "this is the organisation's last active administrator: make someone else an administrator first"
)


@dataclass(frozen=True)
class NewStaff:
    username: str
    first_name: str
    last_name: str
    email: str
    role: StaffRole
    password: str
    teams: tuple[Team, ...] = ()


def add_staff(organisation: Organisation, details: NewStaff) -> User:
    """A new member of staff with a first password; they set up their second factor the
    first time they sign in."""
    if User.objects.filter(username__iexact=details.username).exists():
        raise InvalidAction("that username is taken", field="username")
    with transaction.atomic():
        user = User.objects.create_user(
            username=details.username,
            password=details.password,
            email=details.email,
            first_name=details.first_name,
            last_name=details.last_name,
            organisation=organisation,
            staff_role=details.role,
        )
        user.teams.set(_own_teams(organisation, details.teams))
    return user


def rename(user: User, *, first_name: str, last_name: str) -> None:
    """A member of staff's name changed: the name, and with it the handler's name the
    work queue sorts by, kept on every case they hold (open or closed: a closed case may
    be reopened), in one transaction. Every edit of a name comes through here (the
    Django admin, the demo seed), not through a signal: the write is where it is seen."""
    with transaction.atomic():
        # Locked first, as an assignment locks the handler before the case: a case
        # assigned meanwhile is either assigned before (and updated here) or after (and
        # reads the new name).
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        user.first_name, user.last_name = first_name, last_name
        user.save(update_fields=["first_name", "last_name"])
        Case.objects.filter(handler=user).update(handler_sort=sort_keys.handler(user))


def change_staff(
    organisation: Organisation, user: User, *, role: StaffRole, teams: Iterable[Team]
) -> None:
    with transaction.atomic():
        _lock_administrators(organisation)
        if role != StaffRole.ADMINISTRATOR and _is_last_administrator(organisation, user):
            raise InvalidAction(LAST_ADMINISTRATOR, field="role")
        user.staff_role = role
        user.save(update_fields=["staff_role"])
        user.teams.set(_own_teams(organisation, teams))


def set_active(organisation: Organisation, user: User, *, active: bool) -> None:
    with transaction.atomic():
        _lock_administrators(organisation)
        if not active and _is_last_administrator(organisation, user):
            raise InvalidAction(LAST_ADMINISTRATOR)
        user.is_active = active
        user.save(update_fields=["is_active"])


def staff_of(organisation: Organisation) -> list[User]:
    return list(
        User.objects.filter(organisation=organisation)
        .exclude(staff_role="")
        .prefetch_related("teams")
        .order_by("-is_active", "last_name", "first_name", "username")
    )


def _own_teams(organisation: Organisation, teams: Iterable[Team]) -> list[Team]:
    teams = list(teams)
    if any(team.organisation_id != organisation.pk for team in teams):
        raise InvalidAction("no such team in this organisation", field="teams")
    return teams


def _lock_administrators(organisation: Organisation) -> None:
    # Two administrators demoting each other at once must not both succeed.
    list(
        User.objects.select_for_update()
        .filter(organisation=organisation, staff_role=StaffRole.ADMINISTRATOR)
        .values_list("pk", flat=True)
    )


def _is_last_administrator(organisation: Organisation, user: User) -> bool:
    if user.staff_role != StaffRole.ADMINISTRATOR or not user.is_active:
        return False
    others = User.objects.filter(
        organisation=organisation, staff_role=StaffRole.ADMINISTRATOR, is_active=True
    ).exclude(pk=user.pk)
    return not others.exists()
