"""What a party may be told by e-mail, and of what. A notice tells a party only what its
own page shows it: the policy's other functions decide each thing (a message is told
to the party whose thread it is in, a proposal as `mediation.proposal_view` shows it,
the stage as `disclosure.status_for` words it); this module gives them a standing for a
party that nobody is signed in as, and says who is told of a case at all."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from accord.mediation.choices import Party
from accord.policy.disclosure import open_to_respondent
from accord.policy.roles import Standing

if TYPE_CHECKING:
    from accord.accounts.models import User
    from accord.cases.models import Case


def party_standing(case: Case, party: Party) -> Standing:
    """The standing of whoever reads `party`'s e-mail: that side only, no staff role."""
    return Standing(user=cast("User", None), case=case, role=None, parties=frozenset({party}))


def told_of_case(case: Case, party: Party) -> bool:
    """Whether `party` is e-mailed about the case at all: the complainant always; the
    business once the case is open to it (never a case concealed from it)."""
    return party == Party.COMPLAINANT or open_to_respondent(case)
