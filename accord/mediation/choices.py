"""Mediation choices, declared once."""

from django.db import models


class Party(models.TextChoices):
    """The two sides of a case, each with its own sealed thread with the handler."""

    COMPLAINANT = "complainant", "Complainant"
    RESPONDENT = "respondent", "Respondent"


class ProposalKind(models.TextChoices):
    """What a proposal offers."""

    APOLOGY = "apology", "Apology"
    EXPLANATION = "explanation", "Explanation"
    REFUND = "refund", "Refund"
    REPLACEMENT = "replacement", "Replacement or remake"
    REPAIR = "repair", "Repair"
    GOODWILL = "goodwill", "Goodwill payment"
    OTHER = "other", "Other"


MONEY_KINDS = frozenset({ProposalKind.REFUND, ProposalKind.GOODWILL})


class ProposalSource(models.TextChoices):
    """Who the proposal comes from: a party (through the handler) or the handler's option."""

    COMPLAINANT = "complainant", "The complainant"
    RESPONDENT = "respondent", "The respondent"
    HANDLER = "handler", "The handler, as an option"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted by both parties"
    REJECTED = "rejected", "Rejected"
    COUNTERED = "countered", "Countered"
    LAPSED = "lapsed", "Not answered in time"


class SubmissionStatus(models.TextChoices):
    """A party's own proposal (or counter-proposal), held until the mediator deals with it."""

    HELD = "held", "With the mediator"
    PUT = "put", "Put to the other side by the mediator"
    DECLINED = "declined", "Declined by the mediator"


class Answer(models.TextChoices):
    ACCEPT = "accept", "Accept"
    REJECT = "reject", "Reject"
    COUNTER = "counter", "Counter"


class AgreementStatus(models.TextChoices):
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Awaiting both parties' confirmation"
    BINDING = "binding", "Confirmed by both parties: legally binding"


class ObligationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done (confirmed by both parties)"
    MISSED = "missed", "Missed"
