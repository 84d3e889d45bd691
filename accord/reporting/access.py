"""Whose figures a request may read: the organisation asked for (by slug; by default
the user's own), if the user may see its reports."""

from __future__ import annotations

import re

from django.contrib.auth.models import AnonymousUser

from accord.accounts.models import User
from accord.cases.errors import InvalidAction, NotPermitted
from accord.organisations.models import Organisation
from accord.policy.roles import can_see_reports

_SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # SlugField's characters
SLUG_MAX = 50


def report_organisation(user: User | AnonymousUser, slug: str | None) -> Organisation:
    """The organisation whose reports `user` asked for; refuses an unknown slug (422)
    and another organisation's figures (403)."""
    slug = (slug or "").strip()
    if not slug:
        own = getattr(user, "organisation", None)
        if own is None:
            raise InvalidAction(
                "say which organisation (?organisation=<slug>)", field="organisation"
            )
        organisation: Organisation = own
    else:
        # A slug no organisation could have is not looked up: PostgreSQL refuses a NUL
        # byte in any text with an error of its own.
        found = (
            Organisation.objects.filter(slug=slug).first()
            if len(slug) <= SLUG_MAX and _SLUG.fullmatch(slug)
            else None
        )
        if found is None:
            raise InvalidAction(
                f"there is no organisation '{slug[:60].replace(chr(0), '')}'", field="organisation"
            )
        organisation = found
    if not can_see_reports(user, organisation.pk):
        raise NotPermitted("only the organisation's managers and administrators read its reports")
    return organisation
