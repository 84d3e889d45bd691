"""What the staff navigation offers: only the pages this person may open."""

from __future__ import annotations

from typing import Any

from django import template

from accord.policy.roles import can_administer, can_see_reports

register = template.Library()


@register.filter
def sees_reports(user: Any) -> bool:
    organisation_id = getattr(user, "organisation_id", None)
    return organisation_id is not None and can_see_reports(user, organisation_id)


@register.filter
def administers(user: Any) -> bool:
    organisation_id = getattr(user, "organisation_id", None)
    return organisation_id is not None and can_administer(user, organisation_id)
