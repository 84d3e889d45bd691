"""A case, its complainant, its append-only timeline and its clocks."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from accord.cases.choices import Channel, ClockStatus, EventKind, Source


class Complainant(models.Model):
    """The person (or microbusiness) who made the complaint."""

    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    is_microbusiness = models.BooleanField(default=False)
    business_name = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
    )
    # Which of the complainant's links work: every link of Accord's e-mails carries the
    # current generation; asking for a new link moves it on, revoking the earlier ones.
    link_generation = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.business_name or self.name


# What the queue's views filter on, carried in its sort indexes.
QUEUE_FILTER_COLUMNS = ["handler", "next_deadline_at", "next_at_risk_at", "letters_owed"]


class Case(models.Model):
    """One complaint, worked through the procedure version it was received under."""

    reference = models.CharField(max_length=30, unique=True)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="cases"
    )
    procedure_key = models.CharField(max_length=60)
    procedure_version = models.PositiveIntegerField()
    complainant = models.OneToOneField(Complainant, on_delete=models.PROTECT, related_name="case")
    respondent = models.ForeignKey(
        "organisations.Business", on_delete=models.PROTECT, related_name="cases"
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.DIRECT)
    received_at = models.DateTimeField()
    issue_arose_on = models.DateField(null=True, blank=True)
    description = models.TextField()
    desired_outcome = models.TextField(blank=True)
    category = models.CharField(max_length=100, blank=True)

    stage = models.CharField(max_length=60)
    is_open = models.BooleanField(default=True)
    outcome = models.CharField(max_length=60, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    team = models.ForeignKey(
        "organisations.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_cases",
    )

    # Flags. "raised out of time" is a question for a person: None until the window is
    # checked, True while it needs a decision or was accepted late, False when in time.
    verbal_summary_pending = models.BooleanField(default=False)
    verbal_summary_confirmed_at = models.DateTimeField(null=True, blank=True)
    raised_out_of_time = models.BooleanField(null=True, blank=True)
    late_complaint_accepted = models.BooleanField(default=False)
    safeguarding_concern = models.BooleanField(default=False)
    referred_to_regulator_at = models.DateTimeField(null=True, blank=True)
    vulnerable = models.BooleanField(default=False)
    no_information_sharing = models.BooleanField(
        default=False,
        help_text="The complainant asked that what they gave is not shared; this limits the investigation.",
    )
    consent_given_at = models.DateTimeField(null=True, blank=True)
    consent_withdrawn_at = models.DateTimeField(null=True, blank=True)
    # When the mediator opened the case to the business complained about; until then it
    # does not know of the case (see accord.policy.disclosure).
    opened_to_respondent_at = models.DateTimeField(null=True, blank=True)
    # Letters a step recorded as owed (a pack's letter that may follow the step, e.g.
    # one that needs an attachment), not yet sent; the queue's "Letters owed" view and
    # the sweep read it. Kept by accord.letters.owed in the step's transaction.
    letters_owed = models.PositiveSmallIntegerField(default=0)
    # The complainant's language (a code of settings.LANGUAGES): activated when a
    # letter, page or e-mail is written for them.
    language = models.CharField(max_length=12, default="en")

    # The earliest due instant of any running clock, kept by the engine; queues and
    # sweeps read this column, never recompute deadlines row by row.
    next_deadline_at = models.DateTimeField(null=True, blank=True)
    next_at_risk_at = models.DateTimeField(null=True, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    # The names a search finds the case by (complainant, their business, the business
    # complained about), written at intake; see accord/cases/search.py.
    search_text = models.TextField(blank=True, default="", editable=False)
    # What the work queue sorts by where the column is not the case's own
    # (cases/sort_keys.py): the complainant's and handler's names, the stage's label.
    complainant_sort = models.CharField(max_length=200, blank=True, default="", editable=False)
    handler_sort = models.CharField(  # noqa: DJ001 - None: unassigned, sorted last
        max_length=200, null=True, blank=True, editable=False
    )
    stage_sort = models.CharField(max_length=200, blank=True, default="", editable=False)
    # NULL (not "") when absent, so the unique constraint ignores cases without a key.
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    # SHA-256 of what was submitted with the key: a retry must send the same complaint.
    idempotency_fingerprint = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="one_case_per_idempotency_key",
            ),
        ]
        indexes = [
            # The queue by deadline. "At risk" latest deadline first walks it backwards
            # past every case not yet at risk: the included column lets it tell them
            # off the index, not the table (its ids at 100k cases on PostgreSQL: 68-112 ms
            # reading 45k table pages -> 4-7 ms, 295 index pages; migration 0022).
            models.Index(
                fields=["organisation", "next_deadline_at", "id"],
                include=["next_at_risk_at"],
                condition=models.Q(is_open=True),
                name="open_case_queue",
            ),
            models.Index(
                fields=["next_deadline_at", "id"],
                condition=models.Q(is_open=True),
                name="open_case_deadline",
            ),
            # The work queue's views and sorts (cases/queue.py): "mine" and "unassigned"
            # by deadline (an equality on handler, NULL included, then the keyset
            # columns); every view by received date (the included columns let the
            # time-window views filter off the index); the "at risk" count.
            models.Index(
                fields=["organisation", "handler", "next_deadline_at", "id"],
                condition=models.Q(is_open=True),
                name="case_open_by_handler",
            ),
            models.Index(
                fields=["organisation", "received_at", "id"],
                include=["handler", "next_deadline_at", "next_at_risk_at"],
                condition=models.Q(is_open=True),
                name="case_open_received",
            ),
            models.Index(
                fields=["organisation", "next_at_risk_at", "next_deadline_at"],
                condition=models.Q(is_open=True),
                name="case_open_at_risk",
            ),
            # The queue's sorts by a column of its own (cases/queue.py: reference,
            # complainant, stage, handler), each a keyset walk; the included columns let
            # the views filter off the index (an index-only scan on PostgreSQL).
            models.Index(
                fields=["organisation", "reference", "id"],
                include=QUEUE_FILTER_COLUMNS,
                condition=models.Q(is_open=True),
                name="case_open_reference",
            ),
            models.Index(
                fields=["organisation", "complainant_sort", "id"],
                include=QUEUE_FILTER_COLUMNS,
                condition=models.Q(is_open=True),
                name="case_open_complainant",
            ),
            models.Index(
                fields=["organisation", "stage_sort", "id"],
                include=QUEUE_FILTER_COLUMNS,
                condition=models.Q(is_open=True),
                name="case_open_stage",
            ),
            models.Index(
                fields=["organisation", "handler_sort", "id"],
                include=QUEUE_FILTER_COLUMNS,
                condition=models.Q(is_open=True),
                name="case_open_handler_name",
            ),
            # The reports' "received in the period", and the quality log's pages
            # (newest first, keyset on received_at and id: a seek at any depth).
            models.Index(fields=["organisation", "received_at", "id"], name="case_received"),
            # The reports' "closed in the period" and "referred out in the period".
            # On PostgreSQL the included columns make the monthly trend an index-only
            # scan (bench/report.py: the dashboard's two trend queries 430 -> 110 ms at
            # 1M cases); SQLite ignores them (models.W040 is silenced for that).
            models.Index(
                fields=["organisation", "closed_at"],
                include=["procedure_key", "procedure_version", "outcome", "is_open"],
                name="case_closed",
            ),
            # The dashboard's open-case figures (stage, age, deadlines, team, handler)
            # from the index alone: 20-40 ms -> 2-5 ms a query at 1M cases.
            models.Index(
                fields=["organisation"],
                include=[
                    "stage",
                    "received_at",
                    "next_deadline_at",
                    "next_at_risk_at",
                    "team",
                    "handler",
                ],
                condition=models.Q(is_open=True),
                name="open_case_summary",
            ),
            # An organisation's case ids from the index alone: the annual report joins
            # clocks to cases on it (its clock figures 800 -> 460 ms at 1M cases).
            models.Index(fields=["organisation", "id"], name="case_organisation_id"),
            models.Index(
                fields=["organisation", "next_deadline_at", "id"],
                condition=models.Q(letters_owed__gt=0),
                name="case_letters_owed",
            ),
            models.Index(
                fields=["organisation", "referred_to_regulator_at"],
                condition=models.Q(referred_to_regulator_at__isnull=False),
                name="case_referred_to_regulator",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class CaseClosure(models.Model):
    """One closure of a case, written by the engine when the case closes and never
    removed: reopening the case sets `reopened_at` on it and a later closure is a row of
    its own. Reporting counts closures from here, so a period's figures stay as they
    were published when a case closed in it is reopened later. The case's procedure,
    received instant and outcome are copied so the report reads this table alone."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="closures")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    procedure_key = models.CharField(max_length=60)
    procedure_version = models.PositiveIntegerField()
    outcome = models.CharField(max_length=60, blank=True)
    received_at = models.DateTimeField()
    closed_at = models.DateTimeField()
    reopened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The reports' "closed in the period", from the index alone on PostgreSQL
            # (as the case_closed index served it before closures had their own rows).
            models.Index(
                fields=["organisation", "closed_at"],
                include=["procedure_key", "procedure_version", "outcome", "received_at"],
                name="closure_closed",
            ),
            models.Index(
                fields=["organisation", "reopened_at"],
                condition=models.Q(reopened_at__isnull=False),
                name="closure_reopened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} closed {self.closed_at:%Y-%m-%d}"


class ReferenceCounter(models.Model):
    """The last case number issued by an organisation in a year."""

    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="one_counter_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}/{self.year}: {self.last}"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a timeline event."""


class EventQuerySet(models.QuerySet["Event"]):
    """Events can be added and read, never bulk-changed or removed."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("timeline events are never edited")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("timeline events are never deleted")


class Event(models.Model):
    """One change to a case. Written by the action that made the change, in the same
    transaction; never edited or deleted (the database refuses too: see migration
    0002 in this app)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_role = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    action = models.CharField(max_length=60, blank=True)
    from_stage = models.CharField(max_length=60, blank=True)
    to_stage = models.CharField(max_length=60, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="one_event_per_seq")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.kind} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("timeline events are never edited")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("timeline events are never deleted")


class Clock(models.Model):
    """A deadline on a case: a projection of the timeline, rewritten whenever the
    timeline grows, so it can always be recomputed from the events."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="clocks")
    key = models.CharField(max_length=60)
    label = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=ClockStatus.choices)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    at_risk_at = models.DateTimeField(null=True, blank=True)
    explanation = models.JSONField(default=dict)
    # Claimed by the sweeper, once per due instant: reset when the due instant moves.
    at_risk_notified_at = models.DateTimeField(null=True, blank=True)
    breach_recorded_at = models.DateTimeField(null=True, blank=True)
    # A window within which a step may be taken, not a duty: never swept.
    is_window = models.BooleanField(default=False)

    class Meta:
        ordering = ["case", "key"]
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="one_clock_per_key")]
        # The sweeper's two questions, each answered from a partial index that holds
        # only the clocks still to be dealt with, so a pass costs what is due, not
        # what exists.
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(
                    status="running", breach_recorded_at__isnull=True, is_window=False
                ),
                name="clock_breach_pending",
            ),
            models.Index(
                fields=["at_risk_at"],
                condition=models.Q(
                    status="running", at_risk_notified_at__isnull=True, is_window=False
                ),
                name="clock_at_risk_pending",
            ),
            # The dashboard's running duty clocks, from the index alone (140 -> 9 ms).
            models.Index(
                fields=["case"],
                include=["key", "label", "due_at", "at_risk_at"],
                condition=models.Q(status="running", is_window=False),
                name="running_clock",
            ),
            # The annual report's "deadlines met": the clocks that fell due in a period.
            models.Index(
                fields=["due_at"],
                include=["case", "key", "label", "stopped_at", "started_at", "status"],
                condition=models.Q(is_window=False),
                name="clock_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.key} ({self.status})"


class IdempotentRequest(models.Model):
    """A staff or party API request sent with an `Idempotency-Key`: the key is the
    user's own, and its first response is kept, so a retry after a timeout returns it
    instead of taking the step (or adding the note) again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    # SHA-256 of the method, the path and the body: the same key with another request
    # is refused rather than answered with the first request's result.
    fingerprint = models.CharField(max_length=64)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_request_per_user_key")
        ]
        # The sweep forgets expired keys by age.
        indexes = [models.Index(fields=["created_at"], name="idempotent_request_age")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"
