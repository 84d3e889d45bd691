"""Folding a case's window of events into one e-mail per audience."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task

from accord.cases.engine import lock_case
from accord.cases.models import Case
from accord.cases.presentation import next_steps, where_it_stands
from accord.mediation.choices import Party
from accord.notifications import mail
from accord.notifications.derive import Digest, derive
from accord.notifications.models import NoticeWindow
from accord.outbox.threads import STAFF

SUBJECTS = {
    Party.COMPLAINANT.value: "Your complaint {reference}: news from {organisation}",
    Party.RESPONDENT.value: "Complaint {reference}: news from {organisation}",
    STAFF: "{reference}: a party wrote or the case needs you",
}
MESSAGE_SUBJECTS = {
    Party.COMPLAINANT.value: "Your complaint {reference}: a new message from {organisation}",
    Party.RESPONDENT.value: "Complaint {reference}: a new message from {organisation}",
}


def subject_of(digest: Digest) -> str:
    kinds = {item["kind"] for item in digest.items}
    if kinds == {"message"} and digest.audience in MESSAGE_SUBJECTS:
        return MESSAGE_SUBJECTS[digest.audience]
    if kinds == {"assigned"}:
        return "{reference}: assigned to you"
    if "letter_owed" in kinds:
        return "{reference}: letter owed"
    if kinds == {"feedback"}:
        return "{organisation}: how did we do? ({reference})"
    return SUBJECTS[digest.audience]


def context_of(case: Case, digest: Digest) -> dict[str, Any]:
    context: dict[str, Any] = {"items": digest.items}
    if digest.audience != STAFF:
        party = Party(digest.audience)
        context["stands"] = where_it_stands(case, party)
        context["next_steps"] = next_steps(case, party)
    return context


@task()
def fold_notices(case_id: int) -> str:
    """Tell each audience of `case_id` what the events since the last fold concern it;
    one e-mail each. Running it again (or early) sends nothing twice."""
    with transaction.atomic():
        case = lock_case(case_id)  # no event is appended to the case meanwhile
        window = NoticeWindow.objects.select_for_update().filter(case_id=case_id).first()
        if window is None:
            return "nothing to tell"
        events = list(case.events.filter(seq__gt=window.folded_seq).order_by("seq"))
        window.due_at = None
        if not events:
            window.save(update_fields=["due_at"])
            return "nothing to tell"
        window.folded_seq = events[-1].seq
        window.save(update_fields=["due_at", "folded_seq"])
        sent = 0
        for digest in derive(case, events):
            queued = mail.send(
                case,
                digest.audience,
                template="notifications/digest.html",
                subject=subject_of(digest),
                context=context_of(case, digest),
                key=f"notice:{case.pk}:{digest.audience}:{window.folded_seq}",
                purpose=f"notice:{digest.audience}",
            )
            sent += queued is not None
    return f"{sent} sent"
