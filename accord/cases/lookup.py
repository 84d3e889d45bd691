"""Finding a case by its reference for a user: the case if they may see it, else 404
(its existence is not revealed). Every endpoint that takes a reference uses this. Its
events and clocks are read when first needed (`accord.cases.timeline.events_of`,
`accord.cases.clocks.clocks_of`): most endpoints never read them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from accord.accounts.models import User
from accord.cases.models import Case
from accord.policy.disclosure import visibility, visible_by
from accord.reads import Read


def _case_seen(*args: Any) -> QuerySet[Case]:
    *ids, reference, ways = args
    seen = Q() if ways == ("all",) else visible_by(ways, ids)
    return (
        Case.objects.filter(seen, reference=reference)
        .select_related("organisation", "complainant", "respondent", "handler", "team")
        .order_by("pk")[:1]
    )


# Every page and endpoint about a case starts here: compiled once per way of seeing.
_CASE_SEEN = Read(_case_seen)


def visible_case(user: User, reference: str) -> Case:
    terms = visibility(user)
    found = [] if terms is None else _CASE_SEEN(*terms[1], reference, shape=(terms[0],))
    if not found:
        raise Http404("no such case")
    case: Case = found[0]
    return case
