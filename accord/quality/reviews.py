"""The revision table of each organisation's procedure and its annual review: when the
review falls due, recording one, and reminding the managers once per due review.

A review falls due `review_every_months` (from the procedure version in force) after
the latest review date in the organisation's revision table — or after the version's
effective date, if the table is empty. Recording a revision moves the due date on; the
reminder for the new date is a new reminder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accord.accounts.choices import StaffRole
from accord.accounts.models import User
from accord.cases.errors import InvalidAction, NotPermitted
from accord.organisations.calendar import calendar_for
from accord.organisations.models import Organisation
from accord.outbox.queue import mail_domain, queue_email
from accord.policy.roles import can_manage_quality
from accord.procedures.definition import Procedure
from accord.procedures.registry import UnknownProcedure, registry
from accord.quality.models import ProcedureRevision, ReviewReminder
from accord.workdays.deadlines import Unit, add_amount
from accord.workdays.wording import due_day_words, format_day


def reminder_days() -> int:
    """How many days before a review is due the managers are reminded."""
    return int(getattr(settings, "ACCORD_REVIEW_REMINDER_DAYS", 30))


@dataclass(frozen=True)
class ReviewStatus:
    """Where an organisation's procedure review stands on a day."""

    procedure: Procedure
    last_reviewed_on: dt.date | None
    due_on: dt.date
    today: dt.date

    @property
    def overdue(self) -> bool:
        return self.today > self.due_on

    @property
    def due_soon(self) -> bool:
        return not self.overdue and self.today >= self.remind_from

    @property
    def remind_from(self) -> dt.date:
        return self.due_on - dt.timedelta(days=reminder_days())

    @property
    def label(self) -> str:
        if self.overdue:
            return f"Overdue: the review was due {due_day_words(self.due_on).text}"
        if self.due_soon:
            return f"Due soon: {due_day_words(self.due_on).text}"
        return f"Next review due {due_day_words(self.due_on).text}"


def current_procedure(organisation: Organisation, today: dt.date) -> Procedure:
    """The version of the organisation's procedure in force today (raises
    UnknownProcedure if there is none)."""
    return registry().in_force(organisation.procedure_key, today)


def review_status(
    organisation: Organisation,
    today: dt.date,
    *,
    last_reviewed_on: dt.date | None = None,
    known: bool = False,
) -> ReviewStatus:
    """When the organisation's current procedure is next due for review. `known`: the
    caller looked `last_reviewed_on` up already (the sweep does, for all at once)."""
    procedure = current_procedure(organisation, today)
    if not known:
        last_reviewed_on = ProcedureRevision.objects.filter(
            organisation=organisation, procedure_key=procedure.key
        ).aggregate(last=Max("review_date"))["last"]
    basis = last_reviewed_on or procedure.effective_from
    due_on = add_amount(
        basis, procedure.review_every_months, Unit.MONTHS, calendar_for(organisation)
    )
    return ReviewStatus(procedure, last_reviewed_on, due_on, today)


def revisions_of(organisation: Organisation, procedure_key: str) -> list[ProcedureRevision]:
    return list(
        ProcedureRevision.objects.filter(organisation=organisation, procedure_key=procedure_key)
    )


@dataclass(frozen=True)
class RevisionDetails:
    """A row of the revision table, as a manager records it."""

    version: str
    author: str
    review_date: dt.date
    approved_by: str
    summary: str


def record_revision(
    organisation: Organisation, actor: User, details: RevisionDetails, *, now: dt.datetime
) -> ProcedureRevision:
    """Add a row to the revision table of the organisation's current procedure (an
    annual review, or a new version)."""
    if not can_manage_quality(actor, organisation.pk):
        raise NotPermitted("only a quality manager or an administrator may record a review")
    today = timezone.localdate(now)
    procedure = current_procedure(organisation, today)
    version = details.version.strip()
    author = details.author.strip()
    summary = details.summary.strip()
    if not version:
        raise InvalidAction("give the version", field="version")
    if not author:
        raise InvalidAction("give the author", field="author")
    if not summary:
        raise InvalidAction(
            "summarise the changes (or say the review changed nothing)", field="summary"
        )
    if details.review_date > today:
        raise InvalidAction("the review date cannot be in the future", field="review_date")
    if details.review_date.year < 2000:
        raise InvalidAction("the review date is not plausible", field="review_date")
    with transaction.atomic():
        if ProcedureRevision.objects.filter(
            organisation=organisation, procedure_key=procedure.key, version=version
        ).exists():
            raise InvalidAction(f"version {version} is already in the table", field="version")
        return ProcedureRevision.objects.create(
            organisation=organisation,
            procedure_key=procedure.key,
            version=version,
            author=author,
            review_date=details.review_date,
            approved_by=details.approved_by.strip(),
            summary=summary,
            recorded_at=now,
            recorded_by=actor,
        )


def remind_due_reviews(now: dt.datetime) -> int:
    """Remind each organisation's managers of a review falling due (from
    `reminder_days()` before it), once per due review; return how many reminders.

    Organisations are few: one query for the latest review dates of all of them, one
    for their calendars. The reminder row and its e-mails commit together; two sweepers
    racing on the same review meet the row's unique constraint and one backs off."""
    today = timezone.localdate(now)
    latest = {
        (row["organisation_id"], row["procedure_key"]): row["last"]
        for row in ProcedureRevision.objects.values("organisation_id", "procedure_key")
        .order_by()
        .annotate(last=Max("review_date"))
    }
    reminded = 0
    for organisation in Organisation.objects.prefetch_related("closure_days").order_by("pk"):
        try:
            procedure = current_procedure(organisation, today)
        except UnknownProcedure:
            continue
        status = review_status(
            organisation,
            today,
            last_reviewed_on=latest.get((organisation.pk, procedure.key)),
            known=True,
        )
        if today < status.remind_from:
            continue
        if ReviewReminder.objects.filter(
            organisation=organisation, procedure_key=procedure.key, due_on=status.due_on
        ).exists():
            continue
        with transaction.atomic():
            reminder, created = ReviewReminder.objects.get_or_create(
                organisation=organisation,
                procedure_key=procedure.key,
                due_on=status.due_on,
                defaults={"sent_at": now},
            )
            if not created:
                continue
            reminder.recipients = _tell_managers(organisation, status)
            reminder.save(update_fields=["recipients"])
        reminded += 1
    return reminded


def _tell_managers(organisation: Organisation, status: ReviewStatus) -> int:
    managers = User.objects.filter(
        organisation=organisation, staff_role=StaffRole.MANAGER, is_active=True
    ).exclude(email="")
    sent = 0
    procedure = status.procedure
    for manager in managers.order_by("pk"):
        queue_email(
            to=[manager.email],
            subject=f"The annual review of {procedure.name} is due {due_day_words(status.due_on).text}",
            text=(
                f"Dear {manager},\n\n"
                f"{organisation.name}'s complaints procedure ({procedure.name}, version "
                f"{procedure.version}) is reviewed every {procedure.review_every_months} months. "
                + (
                    f"It was last reviewed on {format_day(status.last_reviewed_on)}"
                    if status.last_reviewed_on
                    else f"It has been in force since {format_day(procedure.effective_from)}"
                )
                + f", so the next review is due {due_day_words(status.due_on).text}.\n\n"
                "Record the review in Accord's procedure revisions (Quality > Procedures): "
                "version, author, review date, who approved it and a summary of the changes."
            ),
            message_id=(
                f"<procedure-review.{organisation.pk}.{procedure.key}.{status.due_on.isoformat()}"
                f".{manager.pk}@{mail_domain()}>"
            ),
            purpose="procedure_review_due",
        )
        sent += 1
    return sent
