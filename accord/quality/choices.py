"""Quality-log choices, declared once."""

from django.db import models


class ActionStatus(models.TextChoices):
    """Where a corrective action stands. Verified is reached only by verifying a
    completed action (someone other than its owner); nothing moves a verified one."""

    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed, awaiting verification"
    VERIFIED = "verified", "Verified"
    CANCELLED = "cancelled", "Cancelled"


# Still to be done by its owner: these are the statuses that can be overdue.
OUTSTANDING = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
# What an editor may set directly (verification is its own step).
SETTABLE = (
    ActionStatus.OPEN,
    ActionStatus.IN_PROGRESS,
    ActionStatus.COMPLETED,
    ActionStatus.CANCELLED,
)
# What an action's owner may set on their own action.
OWNER_SETTABLE = (ActionStatus.IN_PROGRESS, ActionStatus.COMPLETED)


class LogFilter(models.TextChoices):
    """Which complaints the quality log shows."""

    ALL = "all", "All complaints"
    OPEN = "open", "Open complaints"
    OVERDUE = "overdue", "With an overdue corrective action"
    NO_ROOT_CAUSE = "no_root_cause", "No root cause recorded yet"


class ActionFilter(models.TextChoices):
    """Which corrective actions the action list shows."""

    OUTSTANDING = "outstanding", "Outstanding (open or in progress)"
    OVERDUE = "overdue", "Overdue"
    AWAITING_VERIFICATION = "awaiting_verification", "Awaiting verification"
    ALL = "all", "All"


class QualityChange(models.TextChoices):
    """What a `quality` event on a case's timeline records (its `action`)."""

    RECORD_UPDATED = "quality_record_updated", "Root cause or lessons learned recorded"
    ACTION_LINKED = "corrective_action_linked", "Corrective action linked"
    ACTION_UPDATED = "corrective_action_updated", "Corrective action updated"
    ACTION_UNLINKED = "corrective_action_unlinked", "Corrective action unlinked"
    ACTION_VERIFIED = "corrective_action_verified", "Corrective action verified"
