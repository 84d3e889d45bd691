"""Deferred work for cases, run by `manage.py db_worker`."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accord.cases.clocks import clocks_of
from accord.cases.models import Case
from accord.notifications import mail
from accord.organisations.calendar import calendar_for
from accord.outbox.threads import STAFF
from accord.reads import Read
from accord.workdays.wording import due_words

# Read for every complaint received: compiled once.
_CASE = Read(
    lambda case_id: Case.objects.filter(pk=case_id).select_related("organisation", "complainant")
)


@task()
def send_receipt_notice(case_id: int) -> str:
    """Tell the complainant their complaint has arrived: one e-mail with the reference,
    what happens next and by when (in the procedure's party wording), and their link.
    (The procedure's own acknowledgement letter is a step a handler takes.)"""
    from accord.cases.presentation import next_steps
    from accord.mediation.choices import Party
    from accord.notifications import mail

    found = _CASE(case_id)
    if not found:
        raise Case.DoesNotExist(f"no case {case_id}")
    case: Case = found[0]
    clocks_of(case)  # read once, for what happens next
    if not case.complainant.email:
        return "no e-mail address"
    with transaction.atomic():
        # Queued in the outbox (delivered by `manage.py deliver_email`); the key makes a
        # second run of this task queue nothing more.
        mail.send(
            case,
            Party.COMPLAINANT.value,
            template="notifications/receipt.html",
            subject="{organisation}: we have received your complaint ({reference})",
            context={"next_steps": next_steps(case, Party.COMPLAINANT)},
            key=f"receipt:{case.pk}",
            purpose="receipt_notice",
        )
    return "queued"


def clock_recipients(case: Case, kind: str) -> list[str]:
    """Who hears about a clock: the handler; for a breach also the senior handlers (of
    the case's team if it has any, else of the organisation); the managers when nobody
    holds the case."""
    from accord.accounts.models import User

    staff = User.objects.filter(organisation_id=case.organisation_id, is_active=True)
    people: list[User] = []
    if case.handler is not None:
        people.append(case.handler)
    else:
        people += list(staff.filter(staff_role="manager"))
    if kind == "breached":
        seniors = staff.filter(staff_role="senior_handler")
        team_seniors = seniors.filter(teams=case.team_id) if case.team_id else seniors.none()
        people += list(team_seniors if team_seniors.exists() else seniors)
    return sorted({person.email for person in people if person.email})


@task()
def notify_clocks(notices: list[list[Any]]) -> str:
    """E-mail staff about each [case id, clock key, "at_risk" | "breached"] of a sweep batch."""
    sent = [send_clock_notice(int(case_id), str(key), str(kind)) for case_id, key, kind in notices]
    return f"{sum(sent)} of {len(sent)} sent"


def send_clock_notice(case_id: int, clock_key: str, kind: str) -> bool:
    """Queue an e-mail to staff that a clock on a case is at risk or breached (and which
    owed letters it waits for, if any), with the link to the case; False if nobody to
    tell."""
    case = Case.objects.select_related("organisation", "handler").get(pk=case_id)
    clock = case.clocks.get(key=clock_key)
    recipients = clock_recipients(case, kind)
    if not recipients:
        return False
    state = "is at risk" if kind == "at_risk" else "has been breached"
    # A clock a step would have met runs on while a letter of the step is owed: say so.
    from accord.letters.owed import awaiting, owed_words

    letters_owed = owed_words(case, awaiting(case).get(clock_key, []))
    due = (
        str(due_words(clock.due_at, now=timezone.now(), calendar=calendar_for(case.organisation)))
        if clock.due_at
        else ""
    )
    # One notice per clock, kind and due instant (the sweeper marks each once): the key
    # makes a task run again after its worker died queue nothing more.
    due_at = int(clock.due_at.timestamp()) if clock.due_at else 0
    with transaction.atomic():
        mail.send(
            case,
            STAFF,
            template="notifications/clock.html",
            subject=f"{{reference}}: '{clock.label}' {state}"
            + (": letter owed" if letters_owed else ""),
            context={"clock": clock, "state": state, "due": due, "letters_owed": letters_owed},
            to=recipients,
            key=f"clock:{case.pk}:{clock_key}:{kind}:{due_at}",
            purpose=f"clock_{kind}",
        )
    return True
