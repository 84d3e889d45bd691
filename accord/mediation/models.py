"""Threads, messages, documents, consent, records requests, proposals, agreements,
obligations and feedback."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from accord.mediation.choices import (
    AgreementStatus,
    Answer,
    ObligationStatus,
    Party,
    ProposalKind,
    ProposalSource,
    ProposalStatus,
    SubmissionStatus,
)


class Thread(models.Model):
    """One party's sealed conversation with the handler on one case. The other party
    never reads it; what crosses over is a relayed copy (see `Message.relayed_from`)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="threads")
    party = models.CharField(max_length=12, choices=Party.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "party"], name="one_thread_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.party}"


class Message(models.Model):
    """A message in a thread, from the party or from staff. Read it only through
    `accord.mediation.visibility`."""

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    author_role = models.CharField(max_length=20)
    body = models.TextField()
    sent_at = models.DateTimeField()
    # Everything said in mediation is without prejudice: it stays inside the mediation.
    without_prejudice = models.BooleanField(default=True)
    # A copy shared by the handler from the other thread (as written or edited).
    relayed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="relays"
    )
    relay_edited = models.BooleanField(default=False)

    class Meta:
        ordering = ["thread", "sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.thread} #{self.pk}"


class Document(models.Model):
    """A file a party or staff put in a thread; stored outside the web root under a
    random name and served only to those who may read the thread."""

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="documents")
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    name = models.CharField(max_length=200, help_text="The sanitised original file name.")
    stored_as = models.CharField(max_length=100, unique=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.name


class ConsentForm(models.Model):
    """A version of an organisation's consent form text."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="consent_forms"
    )
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64)
    effective_from = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "version"], name="one_form_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Consent(models.Model):
    """The complainant's signature on a consent form: typed name, explicit tick, time,
    address and the hash of the exact text signed. Withdrawn, it no longer counts."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="consents")
    form = models.ForeignKey(ConsentForm, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    typed_name = models.CharField(max_length=200)
    ticked = models.BooleanField()
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True)
    text_sha256 = models.CharField(max_length=64)
    # The complainant's details (beyond their name) they chose to share with the
    # business for the records request: any of "address", "email", "phone".
    shared_details = models.JSONField(default=list, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"consent {self.case_id} ({self.signed_at:%Y-%m-%d})"


class RecordsRequest(models.Model):
    """A request to the respondent for its records, with a date and a reminder."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="records_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    what = models.TextField()
    due_on = models.DateField()
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    # Consent withdrawn while the request was open: the business is told, sends nothing.
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"records {self.case_id} due {self.due_on}"


class Proposal(models.Model):
    """A structured proposal, made by a party through the handler or put forward by
    the handler as an option; each party answers it."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="proposals")
    source = models.CharField(max_length=12, choices=ProposalSource.choices)
    kind = models.CharField(max_length=12, choices=ProposalKind.choices)
    description = models.TextField()
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    answer_by = models.DateField()
    status = models.CharField(
        max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    counter_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="counters"
    )
    put_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    put_at = models.DateTimeField()
    # Put from a party's own proposal: the party's words stay on the submission; the
    # mediator's (as written or edited) are this proposal's.
    submission = models.OneToOneField(
        "ProposalSubmission",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="proposal",
    )
    edited = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status})"


class ProposalSubmission(models.Model):
    """A party's own proposal, or its counter to a proposal, as the party wrote it. It
    goes to the mediator only: held until the mediator puts it to the other side (as
    written or edited: a `Proposal` linked to this) or declines it with a reason to its
    author."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="proposal_submissions"
    )
    party = models.CharField(max_length=12, choices=Party.choices)
    kind = models.CharField(max_length=12, choices=ProposalKind.choices)
    description = models.TextField()
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    answer_by = models.DateField()
    counter_to = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.HELD
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.party}: {self.get_kind_display()} ({self.status})"


class ProposalAnswer(models.Model):
    """One party's answer to a proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="answers")
    party = models.CharField(max_length=12, choices=Party.choices)
    answer = models.CharField(max_length=8, choices=Answer.choices)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "party"], name="one_answer_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.party} {self.answer}"


class Agreement(models.Model):
    """The agreed resolution. Once both parties confirm the exact document, it is
    legally binding and its PDF is kept."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="agreements")
    proposal = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="+")
    terms = models.TextField()
    # The exact document both parties confirm (its SHA-256 below) and the PDF is made
    # from: stored, so a later change of template cannot change what was agreed.
    document_html = models.TextField(blank=True)
    document_sha256 = models.CharField(max_length=64)
    pdf_stored_as = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=24,
        choices=AgreementStatus.choices,
        default=AgreementStatus.AWAITING_CONFIRMATION,
    )
    drawn_up_at = models.DateTimeField()
    binding_from = models.DateTimeField(null=True, blank=True)
    # Drawn up again before both confirmed: the new draft replaces this one.
    superseded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"agreement {self.case_id} ({self.status})"


class AgreementConfirmation(models.Model):
    """A party's confirmation of the agreement document, by its hash."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="confirmations")
    party = models.CharField(max_length=12, choices=Party.choices)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True)
    document_sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "party"], name="one_confirmation_per_party"
            )
        ]

    def __str__(self) -> str:
        return f"{self.party} confirmed"


class Obligation(models.Model):
    """A term of an agreement: who does what by when. Tracked after the case closes."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="obligations")
    party = models.CharField(max_length=12, choices=Party.choices, help_text="Who must do it")
    what = models.TextField()
    due_on = models.DateField()
    status = models.CharField(
        max_length=8, choices=ObligationStatus.choices, default=ObligationStatus.PENDING
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    complainant_confirmed_at = models.DateTimeField(null=True, blank=True)
    respondent_confirmed_at = models.DateTimeField(null=True, blank=True)
    missed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["due_on"], condition=models.Q(status="pending"), name="obligation_pending"
            ),
            # The sweep's reminder question, answered from the obligations still to remind.
            models.Index(
                fields=["due_on"],
                condition=models.Q(status="pending", reminder_sent_at__isnull=True),
                name="obligation_reminder_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party}: {self.what[:40]} by {self.due_on}"


class Feedback(models.Model):
    """A party's rating (1-5) and comment after the case closed; one per party."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="feedback")
    party = models.CharField(max_length=12, choices=Party.choices)
    invited_at = models.DateTimeField()
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "party"], name="one_feedback_per_party"),
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party}: {self.rating}"


__all__ = [
    "Agreement",
    "AgreementConfirmation",
    "AgreementStatus",
    "Answer",
    "Consent",
    "ConsentForm",
    "Document",
    "Feedback",
    "Message",
    "Obligation",
    "Party",
    "Proposal",
    "ProposalAnswer",
    "ProposalKind",
    "ProposalSubmission",
    "RecordsRequest",
    "Thread",
]
