"""Who may see and do what. The one place the API, the admin, the pages and the
engine ask; nothing else decides visibility.

Staff see their own organisation's cases only; a respondent's representative sees the
cases against their business; a complainant sees their own cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from accord.procedures.definition import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accord.accounts.models import User
    from accord.cases.models import Case


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


def roles_on_case(user: User | AnonymousUser, case: Case) -> set[Role]:
    """Every role the user holds on this case."""
    roles: set[Role] = set()
    if not user.is_authenticated:
        return roles
    role = staff_role(user)
    if role is not None and user.organisation_id == case.organisation_id:
        roles.add(role)
    if getattr(user, "business_id", None) is not None and user.business_id == case.respondent_id:
        roles.add(Role.RESPONDENT)
    if case.complainant.user_id is not None and case.complainant.user_id == user.pk:
        roles.add(Role.COMPLAINANT)
    return roles


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
    """The cases this user may see at all (each thread has its own rule on top)."""
    from accord.cases.models import Case

    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.is_superuser:
        return Case.objects.all()
    condition = Q(complainant__user=user)
    if staff_role(user) is not None:
        condition |= Q(organisation_id=user.organisation_id)
    if getattr(user, "business_id", None) is not None:
        condition |= Q(respondent_id=user.business_id)
    return Case.objects.filter(condition)


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
    if role in {Role.MANAGER, Role.ADMINISTRATOR, Role.SENIOR_HANDLER}:
        return True
    return role == Role.HANDLER and assignee is not None and assignee.pk == user.pk


QUALITY_KEEPERS = frozenset({Role.MANAGER, Role.ADMINISTRATOR})


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
    return (
        staff_role(user) in {Role.HANDLER, Role.SENIOR_HANDLER}
        and is_staff_of(user, case.organisation_id)
        and case.handler_id == user.pk
    )


def can_see_reports(user: User | AnonymousUser, organisation_id: int) -> bool:
    """Managers and administrators read their own organisation's dashboards, annual
    report and exports; superusers read every organisation's."""
    if user.is_authenticated and user.is_superuser:
        return True
    return staff_role(user) in {Role.MANAGER, Role.ADMINISTRATOR} and is_staff_of(
        user, organisation_id
    )
