"""Why an action was refused. The API maps each kind to an HTTP status."""

from __future__ import annotations


class ActionRefused(Exception):
    """The action cannot be taken; `message` says why in words a user understands."""

    status = 409
    code = "refused"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotPermitted(ActionRefused):
    """The user does not hold a role that may take this action on this case."""

    status = 403
    code = "not_permitted"


class InvalidAction(ActionRefused):
    """The request itself is incomplete or wrong (a missing reason, an unknown outcome)."""

    status = 422
    code = "invalid"


class SeparationOfDuties(ActionRefused):
    """The user handled the case at an earlier stage and may not act at this one."""

    code = "separation_of_duties"
