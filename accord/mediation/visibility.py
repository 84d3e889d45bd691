"""Who may read which thread: the one place every read path asks (the API, pages,
e-mail, exports and search all go through these functions, never `Message.objects`).

Staff of the case's organisation read both threads; the complainant reads only the
complainant's thread; the respondent's representatives only the respondent's. A
relayed copy lives in the receiving thread, so the original stays sealed.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accord.accounts.models import User
from accord.cases.errors import NotPermitted
from accord.cases.models import Case
from accord.mediation.choices import Party
from accord.mediation.models import Document, Message, Thread
from accord.permissions import is_staff_of, roles_on_case
from accord.procedures.definition import Role


def readable_parties(user: User, case: Case) -> frozenset[Party]:
    """The threads of `case` this user may read."""
    if is_staff_of(user, case.organisation_id):
        return frozenset(Party)
    roles = roles_on_case(user, case)
    parties = set()
    if Role.COMPLAINANT in roles:
        parties.add(Party.COMPLAINANT)
    if Role.RESPONDENT in roles:
        parties.add(Party.RESPONDENT)
    return frozenset(parties)


def visible_threads(user: User, case: Case) -> QuerySet[Thread]:
    return Thread.objects.filter(case=case, party__in=readable_parties(user, case))


def visible_messages(user: User, case: Case) -> QuerySet[Message]:
    return Message.objects.filter(
        thread__case=case, thread__party__in=readable_parties(user, case)
    ).select_related("thread", "relayed_from__thread")


def visible_documents(user: User, case: Case) -> QuerySet[Document]:
    return Document.objects.filter(
        thread__case=case, thread__party__in=readable_parties(user, case)
    )


def require_thread_access(user: User, case: Case, party: Party) -> None:
    """Refuse anyone who may not read (and so write in) `party`'s thread."""
    if party not in readable_parties(user, case):
        raise NotPermitted("this thread belongs to the other party")
