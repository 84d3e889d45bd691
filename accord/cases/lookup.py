"""Finding a case by its reference for a user: the case if they may see it, else 404
(its existence is not revealed). Every endpoint that takes a reference uses this. Its
events and clocks are read when first needed (`accord.cases.timeline.events_of`,
`accord.cases.clocks.clocks_of`): most endpoints never read them."""

from __future__ import annotations

from django.http import Http404

from accord.accounts.models import User
from accord.cases.models import Case
from accord.policy.disclosure import cases_visible_to


def visible_case(user: User, reference: str) -> Case:
    case = (
        cases_visible_to(user)
        .select_related("organisation", "complainant", "respondent", "handler", "team")
        .filter(reference=reference)
        .first()
    )
    if case is None:
        raise Http404("no such case")
    return case
