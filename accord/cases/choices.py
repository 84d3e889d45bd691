"""Case-level choices, declared once."""

from django.db import models


class Channel(models.TextChoices):
    """How the complaint reached the organisation."""

    WEB_FORM = "web_form", "Web form"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Telephone"
    LETTER = "letter", "Letter"
    IN_PERSON = "in_person", "In person"
    SOCIAL_MEDIA = "social_media", "Social media"


VERBAL_CHANNELS = frozenset({Channel.PHONE, Channel.IN_PERSON})


class Source(models.TextChoices):
    """Who brought the complaint."""

    DIRECT = "direct", "Direct from the complainant"
    REGULATOR = "regulator", "Referred by the regulator"
    BUSINESS = "business", "Referred by the business"


class EventKind(models.TextChoices):
    """What an event on the timeline records."""

    RECEIVED = "received", "Complaint received"
    TRANSITION = "transition", "Procedure step"
    ASSIGNED = "assigned", "Assigned"
    FLAGS_CHANGED = "flags_changed", "Flags changed"
    CLOCK_PAUSED = "clock_paused", "Clock paused"
    CLOCK_RESUMED = "clock_resumed", "Clock resumed"
    CLOCK_EXTENDED = "clock_extended", "Clock extended"
    CLOCK_AT_RISK = "clock_at_risk", "Clock at risk"
    CLOCK_BREACHED = "clock_breached", "Clock breached"
    # Mediation. Their events say that something happened, never what was said.
    MESSAGE = "message", "Message in a party's thread"
    RELAY = "relay", "Message relayed to the other party"
    DOCUMENT = "document", "Document uploaded"
    CONSENT_SIGNED = "consent_signed", "Consent signed"
    CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
    RECORDS_REQUESTED = "records_requested", "Records requested"
    OPENED_TO_RESPONDENT = "opened_to_respondent", "Case opened to the business"
    PROPOSAL = "proposal", "Proposal put"
    PROPOSAL_SUBMITTED = "proposal_submitted", "A party's proposal sent to the mediator"
    PROPOSAL_ANSWERED = "proposal_answered", "Proposal answered"
    PROPOSAL_LAPSED = "proposal_lapsed", "Proposal not answered in time"
    AGREEMENT = "agreement", "Agreement drawn up"
    AGREEMENT_CONFIRMED = "agreement_confirmed", "Agreement confirmed"
    OBLIGATION = "obligation", "Obligation updated"
    REOPENED = "reopened", "Case reopened"
    FEEDBACK = "feedback", "Feedback"
    NOTE = "note", "Internal note"
    LETTER_SENT = "letter_sent", "Letter sent"
    # Outbound e-mail (the outbox): which message, never its addresses or content.
    EMAIL_SENT = "email_sent", "E-mail sent"
    EMAIL_FAILED = "email_failed", "E-mail failed"
    # The quality action log: root cause, lessons learned, corrective actions.
    QUALITY = "quality", "Quality log updated"


class ClockStatus(models.TextChoices):
    """A clock's stored state; at-risk and breached are derived from its instants."""

    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    STOPPED = "stopped", "Stopped"  # met: stopped by a step that meets it
    ENDED = "ended", "Ended"  # stopped by a step that ends it without meeting it


class ClockBadge(models.TextChoices):
    """How a case's next deadline stands right now (for the work queue)."""

    ON_TIME = "on_time", "On time"
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    NONE = "none", "No running clock"
