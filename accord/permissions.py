"""Kept for imports written before the case policy: everything here lives in
`accord.policy.roles` and `accord.policy.disclosure`."""

from accord.policy.disclosure import cases_visible_to
from accord.policy.roles import (
    QUALITY_KEEPERS,
    can_administer,
    can_assign,
    can_manage_quality,
    can_record_case_quality,
    can_see_reports,
    can_work_cases,
    is_staff_of,
    roles_on_case,
    staff_role,
)

__all__ = [
    "QUALITY_KEEPERS",
    "can_administer",
    "can_assign",
    "can_manage_quality",
    "can_record_case_quality",
    "can_see_reports",
    "can_work_cases",
    "cases_visible_to",
    "is_staff_of",
    "roles_on_case",
    "staff_role",
]
