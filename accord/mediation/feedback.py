"""Feedback: after a mediation case closes, each party is invited once to rate the
service (1-5) and comment; each answers once. Answers are stored per party and read
by reports through `report_rows` / `summary`.

Invitations are sent by the sweep (`invite_closed_cases`, called from
`accord.cases.sweep.sweep_once`), not by the steps that close a case: a case closes
through the generic procedure engine (any closing step, by a person or by the system),
and the engine knows nothing of mediation. The sweep finds cases closed recently
(within `INVITE_WITHIN`) under a procedure that mediates (as the version the case is
pinned to declares it: `mediates` in its wording, whatever the organisation or the
procedure is called) that have no invitation yet, and invites the parties the case
policy names (`feedback_parties`) in one transaction per batch with the cases locked;
the unique constraint (one row per case and party) makes "once" hold even across a
reopening and a second closure. Each invitation is a `feedback` event, told to the
parties invited by the case's notices (`accord.notifications`), as everything else a
party is e-mailed: folded with what else the case has to tell them, in their thread.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.db import connection, transaction
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet

from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.engine import lock_case, procedure_of
from accord.cases.errors import InvalidAction
from accord.cases.models import Case
from accord.cases.timeline import append_event, append_events
from accord.mediation.choices import Party
from accord.mediation.models import Feedback
from accord.policy.disclosure import feedback_parties
from accord.policy.mediation import feedback_refusal, feedback_shown, read_refusal, require
from accord.policy.roles import PARTY_ROLE, standing
from accord.procedures.registry import UnknownProcedure, registry
from accord.procedures.wording import party_wording
from accord.reads import Read

# Closures older than this are not invited (e.g. cases closed before feedback existed,
# or while the sweep was stopped for longer than this).
INVITE_WITHIN = dt.timedelta(days=30)
MAX_COMMENT = 5000


def _to_invite(now: dt.datetime) -> QuerySet[Case]:
    closed = Case.objects.filter(
        ~Exists(Feedback.objects.filter(case=OuterRef("pk"))),
        is_open=False,
        closed_at__lte=now,
        closed_at__gt=now - INVITE_WITHIN,
    )
    versions = closed.values_list("procedure_key", "procedure_version").distinct()
    mediating = [(key, version) for key, version in versions if _mediates(key, version)]
    if not mediating:
        return closed.none()
    pinned = Q()
    for key, version in mediating:
        pinned |= Q(procedure_key=key, procedure_version=version)
    return closed.filter(pinned)


def _mediates(key: str, version: int) -> bool:
    """Whether the procedure version mediates between the complainant and a business
    (an unknown version: no, it invites nobody)."""
    try:
        procedure = registry().get(key, version)
    except UnknownProcedure:
        return False
    return party_wording(procedure).mediates


def invite_closed_cases(now: dt.datetime, *, batch: int = 500, pause: float = 0.0) -> int:
    """Invite both parties of every recently closed case not yet invited; return how
    many cases were invited."""
    invited = 0
    while True:
        claimed = claim_invitations(now, batch)
        invited += claimed
        if not claimed:
            return invited
        time.sleep(pause)


def claim_invitations(now: dt.datetime, batch: int) -> int:
    with transaction.atomic():
        candidates = list(
            _to_invite(now).order_by("closed_at", "id").values_list("pk", flat=True)[:batch]
        )
        if not candidates:
            return 0
        locking = Case.objects.select_for_update(
            skip_locked=connection.features.has_select_for_update_skip_locked
        )
        locked = list(locking.filter(pk__in=candidates).select_related("respondent").order_by("pk"))
        # Re-read under the lock: reopened meanwhile, or invited by another sweeper.
        already = set(
            Feedback.objects.filter(case_id__in=[c.pk for c in locked]).values_list(
                "case_id", flat=True
            )
        )
        cases = [c for c in locked if not c.is_open and c.pk not in already]
        if not cases:
            return 0
        invited = {case.pk: feedback_parties(case, procedure_of(case)) for case in cases}
        Feedback.objects.bulk_create(
            Feedback(case=case, party=party, invited_at=now)
            for case in cases
            for party in invited[case.pk]
        )
        append_events(
            [
                (
                    case,
                    {
                        "kind": EventKind.FEEDBACK,
                        "at": now,
                        "actor_role": "system",
                        "data": {"invited": [party.value for party in invited[case.pk]]},
                    },
                )
                for case in cases
            ]
        )
        Case.objects.bulk_update(cases, ["event_count"])
    return len(cases)


def give_feedback(
    case_id: int, actor: User, party: Party, *, rating: int, comment: str, now: dt.datetime
) -> Feedback:
    """A party answers its invitation, for its own side, once: a rating from 1 to 5
    and an optional comment."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidAction("the rating is a whole number from 1 to 5", field="rating")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise InvalidAction(f"the comment is at most {MAX_COMMENT} characters", field="comment")
    with transaction.atomic():
        case = lock_case(case_id)
        feedback = Feedback.objects.filter(case=case, party=party).first()
        require(feedback_refusal(standing(actor, case), party, feedback))
        assert feedback is not None
        feedback.rating = rating
        feedback.comment = comment
        feedback.answered_at = now
        feedback.save(update_fields=["rating", "comment", "answered_at"])
        append_event(
            case,
            kind=EventKind.FEEDBACK,
            at=now,
            actor=actor,
            actor_role=PARTY_ROLE[party].value,
            data={"answered": party.value},
        )
        case.save(update_fields=["event_count", "updated_at"])
    return feedback


# Read on every view of a case page: compiled once.
_FEEDBACK = Read(lambda case_id: Feedback.objects.filter(case_id=case_id).order_by("party"))


def feedback_for(actor: User, case: Case) -> list[Feedback]:
    """Staff of the organisation read both parties' feedback; a party reads its own."""
    st = standing(actor, case)
    require(read_refusal(st))
    return feedback_shown(st, _FEEDBACK(case.pk))


def report_rows(
    organisation_id: int,
    *,
    closed_from: dt.datetime | None = None,
    closed_to: dt.datetime | None = None,
) -> QuerySet[Feedback]:
    """The answered feedback of an organisation's cases (optionally of cases closed in
    a period), per party: what reports read."""
    rows = Feedback.objects.filter(
        case__organisation_id=organisation_id, answered_at__isnull=False
    ).select_related("case")
    if closed_from is not None:
        rows = rows.filter(case__closed_at__gte=closed_from)
    if closed_to is not None:
        rows = rows.filter(case__closed_at__lt=closed_to)
    return rows.order_by("answered_at", "id")


def summary(organisation_id: int) -> dict[str, dict[str, Any]]:
    """Per party: invitations, answers and the average rating."""
    totals = (
        Feedback.objects.filter(case__organisation_id=organisation_id)
        .values("party")
        .annotate(
            invited=Count("id"),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            average=Avg("rating"),
        )
    )
    return {
        row["party"]: {
            "invited": row["invited"],
            "answered": row["answered"],
            "average_rating": round(float(row["average"]), 2) if row["average"] else None,
        }
        for row in totals
    }
