"""Without prejudice: what is said in mediation stays inside the mediation.

Every message in a mediation thread is labelled without prejudice. Any text about to
leave the mediation — a letter's wording, a referral to the regulator, an export, a
report — is checked here first, and refused if it carries a passage of a labelled
message. Passages are compared after normalising case, punctuation and spacing, in runs
of `PASSAGE_WORDS` words, so a copied sentence is caught even when re-wrapped.
"""

from __future__ import annotations

import re

from accord.cases.errors import ActionRefused
from accord.cases.models import Case
from accord.mediation.models import Message

PASSAGE_WORDS = 6
_WORD = re.compile(r"[\w£$€%.,]+", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w.strip(".,").lower() for w in _WORD.findall(text) if w.strip(".,")]


def _passages(words: list[str]) -> set[tuple[str, ...]]:
    if len(words) < PASSAGE_WORDS:
        return set()
    return {tuple(words[i : i + PASSAGE_WORDS]) for i in range(len(words) - PASSAGE_WORDS + 1)}


def without_prejudice_passages(case: Case, text: str) -> list[str]:
    """The passages of `case`'s without-prejudice messages that `text` repeats."""
    outgoing = _passages(_words(text))
    if not outgoing:
        return []
    found = []
    labelled = Message.objects.filter(thread__case=case, without_prejudice=True)
    for body in labelled.values_list("body", flat=True):
        shared = _passages(_words(body)) & outgoing
        if shared:
            found.append(" ".join(sorted(shared)[0]))
    return found


def refuse_without_prejudice(case: Case, text: str, *, where: str) -> None:
    """Refuse `text` for `where` if it repeats anything said without prejudice."""
    passages = without_prejudice_passages(case, text)
    if passages:
        raise ActionRefused(
            f"{where} would repeat what was said without prejudice in mediation "
            f'("{passages[0]} …"); it must stay inside the mediation',
            field="reason",
        )
