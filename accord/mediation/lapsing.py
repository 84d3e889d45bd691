"""Proposals not answered by their date lapse: the deadline sweep marks them, one event
each on the case's timeline, so every page and export shows them as "not answered in
time" rather than open. (Answering after the date is refused anyway: see
`proposals.answer_proposal`.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accord.cases.choices import EventKind
from accord.cases.models import Case
from accord.cases.timeline import append_events
from accord.mediation.choices import ProposalStatus
from accord.mediation.models import Proposal


def lapse_unanswered(now: dt.datetime, *, batch: int = 500) -> int:
    """Mark every open proposal whose date to answer by has passed (UK local date) as
    lapsed; return how many. Batches lock their cases in id order, skipping cases
    another sweeper holds, like every other part of the sweep."""
    today = timezone.localdate(now)
    lapsed = 0
    while True:
        with transaction.atomic():
            due = Proposal.objects.filter(
                status=ProposalStatus.OPEN, answer_by__lt=today, case__is_open=True
            )
            case_ids = set(due.values_list("case_id", flat=True)[:batch])
            if not case_ids:
                return lapsed
            locking = Case.objects.select_for_update(
                skip_locked=connection.features.has_select_for_update_skip_locked
            )
            cases = {case.pk: case for case in locking.filter(pk__in=case_ids).order_by("pk")}
            # Re-read under the cases' locks: an answer may have landed meanwhile.
            found = list(due.filter(case_id__in=cases).order_by("pk")[:batch])
            if not found:
                return lapsed
            Proposal.objects.filter(pk__in=[p.pk for p in found]).update(
                status=ProposalStatus.LAPSED
            )
            entries: list[tuple[Case, dict[str, Any]]] = [
                (
                    cases[p.case_id],
                    {
                        "kind": EventKind.PROPOSAL_LAPSED,
                        "at": now,
                        "actor_role": "system",
                        "data": {"proposal": p.pk, "answer_by": p.answer_by.isoformat()},
                    },
                )
                for p in found
            ]
            append_events(entries)
            Case.objects.bulk_update(
                list({p.case_id: cases[p.case_id] for p in found}.values()), ["event_count"]
            )
            lapsed += len(found)
