"""Finding a case by its reference for a user: the case if they may see it, else 404
(its existence is not revealed). Every endpoint that takes a reference uses this."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404

from accord.accounts.models import User
from accord.cases.models import Case, Clock, Event
from accord.permissions import cases_visible_to


def visible_case(user: User, reference: str) -> Case:
    case = (
        cases_visible_to(user)
        .select_related("organisation", "complainant", "respondent", "handler", "team")
        .prefetch_related(
            "organisation__external_bodies",
            Prefetch("clocks", queryset=Clock.objects.order_by("started_at", "key")),
            Prefetch("events", queryset=Event.objects.select_related("actor").order_by("seq")),
        )
        .filter(reference=reference)
        .first()
    )
    if case is None:
        raise Http404("no such case")
    return case
