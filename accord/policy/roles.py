"""Who the actor is on a case, and what their staff role lets them do in their
organisation. Staff see their own organisation's cases only; a business's
representative sees the cases against their business once they are opened to it (see
`disclosure`); a complainant sees their own cases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from accord.mediation.choices import Party
from accord.procedures.definition import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accord.accounts.models import User
    from accord.cases.models import Case

# Staff who work cases: take procedure steps, relay, put proposals, request records.
HANDLING_ROLES = frozenset({Role.HANDLER, Role.SENIOR_HANDLER})
QUALITY_KEEPERS = frozenset({Role.MANAGER, Role.ADMINISTRATOR})
ASSIGNERS = frozenset({Role.MANAGER, Role.ADMINISTRATOR, Role.SENIOR_HANDLER})
PARTY_ROLE = {Party.COMPLAINANT: Role.COMPLAINANT, Party.RESPONDENT: Role.RESPONDENT}


def staff_role(user: User | AnonymousUser) -> Role | None:
    """The user's staff role, if they are an organisation's staff."""
    role = getattr(user, "staff_role", "")
    if not user.is_authenticated or not role:
        return None
    return Role(role)


def is_staff_of(user: User | AnonymousUser, organisation_id: int) -> bool:
    return (
        staff_role(user) is not None and getattr(user, "organisation_id", None) == organisation_id
    )


def is_handler_of(user: User | AnonymousUser, organisation_id: int) -> bool:
    """A handler or senior handler of the organisation (they work its cases)."""
    return staff_role(user) in HANDLING_ROLES and is_staff_of(user, organisation_id)


def roles_on_case(user: User | AnonymousUser, case: Case) -> set[Role]:
    """Every role the user holds on this case. The business's role needs the case to be
    open to it (`disclosure.open_to_respondent`): until then it has none."""
    from accord.policy.disclosure import open_to_respondent

    roles: set[Role] = set()
    if not user.is_authenticated:
        return roles
    role = staff_role(user)
    if role is not None and user.organisation_id == case.organisation_id:
        roles.add(role)
    if (
        getattr(user, "business_id", None) is not None
        and user.business_id == case.respondent_id
        and open_to_respondent(case)
    ):
        roles.add(Role.RESPONDENT)
    if case.complainant.user_id is not None and case.complainant.user_id == user.pk:
        roles.add(Role.COMPLAINANT)
    return roles


@dataclass(frozen=True)
class Standing:
    """Who `user` is on `case`: their staff role there (if they are its organisation's
    staff) and the sides they are a party for."""

    user: User
    case: Case
    role: Role | None
    parties: frozenset[Party]

    @property
    def is_staff(self) -> bool:
        return self.role is not None

    @property
    def handles(self) -> bool:
        return self.role in HANDLING_ROLES

    @property
    def party(self) -> Party | None:
        """The one side this user is, if they are a party (complainant first)."""
        for party in Party:
            if party in self.parties:
                return party
        return None


def standing(user: User, case: Case) -> Standing:
    roles = roles_on_case(user, case)
    staff = staff_role(user) if is_staff_of(user, case.organisation_id) else None
    parties = frozenset(party for party, role in PARTY_ROLE.items() if role in roles)
    return Standing(user=user, case=case, role=staff, parties=parties)


def can_work_cases(user: User | AnonymousUser) -> bool:
    """Staff of any role may use the work queue."""
    return staff_role(user) is not None


def can_administer(user: User | AnonymousUser, organisation_id: int | None = None) -> bool:
    """Administrators configure their organisation; superusers configure all."""
    if user.is_authenticated and user.is_superuser:
        return True
    if staff_role(user) != Role.ADMINISTRATOR:
        return False
    return organisation_id is None or user.organisation_id == organisation_id  # type: ignore[union-attr]


def can_assign(user: User | AnonymousUser, case: Case, assignee: User | None) -> bool:
    """Managers, administrators and senior handlers assign anyone; a handler may take a
    case for themselves."""
    role = staff_role(user) if user.organisation_id == case.organisation_id else None  # type: ignore[union-attr]
    if role in ASSIGNERS:
        return True
    return role == Role.HANDLER and assignee is not None and assignee.pk == user.pk


def can_assign_in_bulk(user: User | AnonymousUser, organisation_id: int) -> bool:
    """Assigning many of the organisation's cases at once, to anyone: those who assign
    anyone (`can_assign`)."""
    return staff_role(user) in ASSIGNERS and is_staff_of(user, organisation_id)


def can_manage_quality(user: User | AnonymousUser, organisation_id: int) -> bool:
    """Managers and administrators keep their organisation's quality log: corrective
    actions and their verification, and the review of its procedure. Every member of
    staff may read the log."""
    return staff_role(user) in QUALITY_KEEPERS and is_staff_of(user, organisation_id)


def can_record_case_quality(user: User | AnonymousUser, case: Case) -> bool:
    """A case's root cause and lessons learned: the quality keepers, or the handler the
    case is assigned to."""
    if can_manage_quality(user, case.organisation_id):
        return True
    return is_handler_of(user, case.organisation_id) and case.handler_id == user.pk


def can_see_reports(user: User | AnonymousUser, organisation_id: int) -> bool:
    """Managers and administrators read their own organisation's dashboards, annual
    report and exports; superusers read every organisation's."""
    if user.is_authenticated and user.is_superuser:
        return True
    return staff_role(user) in QUALITY_KEEPERS and is_staff_of(user, organisation_id)


def can_triage_email(user: User | AnonymousUser, organisation_id: int | None) -> bool:
    """Any member of an organisation's staff sees its e-mail quarantine and deals with
    each message: opens a case from it, files it in a thread, or discards it."""
    return organisation_id is not None and is_staff_of(user, organisation_id)
