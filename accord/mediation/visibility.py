"""Reading threads: every read path (the API, pages, e-mail, exports and search) goes
through these functions, never `Message.objects`. Who may read which thread is decided
by the case policy (`accord.policy.mediation.readable_parties`): staff of the case's
organisation read both threads, each party only its own. A relayed copy lives in the
receiving thread, so the original stays sealed.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accord.accounts.models import User
from accord.cases.models import Case
from accord.mediation.choices import Party
from accord.mediation.models import Document, Message, Thread
from accord.policy.mediation import readable_parties as _readable
from accord.policy.mediation import require, thread_refusal
from accord.policy.roles import standing
from accord.reads import Read


def readable_parties(user: User, case: Case) -> frozenset[Party]:
    """The threads of `case` this user may read."""
    return _readable(standing(user, case))


def _read_in(user: User, case: Case, party: Party | None) -> tuple[str, ...]:
    parties = readable_parties(user, case)
    return tuple(sorted(p.value for p in parties if party is None or p == party))


# The pages read these on every view: compiled once per set of threads read.
_MESSAGES = Read(
    lambda case_id, parties: (
        Message.objects.filter(thread__case_id=case_id, thread__party__in=parties)
        .select_related("thread", "relayed_from__thread")
        .order_by("sent_at", "id")
    )
)
_DOCUMENTS = Read(
    lambda case_id, parties: (
        Document.objects.filter(thread__case_id=case_id, thread__party__in=parties)
        .select_related("thread", "uploaded_by")
        .order_by("uploaded_at", "id")
    )
)


def messages_read_by(user: User, case: Case, party: Party | None = None) -> list[Message]:
    """The messages `user` may read on `case` (of `party`'s thread only, if given), oldest
    first, each with its thread: what `visible_messages` gives, for a page."""
    parties = _read_in(user, case, party)
    return _MESSAGES(case.pk, shape=(parties,)) if parties else []


def documents_read_by(user: User, case: Case, party: Party | None = None) -> list[Document]:
    """The documents `user` may read on `case` (of `party`'s thread only, if given),
    oldest first, each with its thread and uploader: what `visible_documents` gives."""
    parties = _read_in(user, case, party)
    return _DOCUMENTS(case.pk, shape=(parties,)) if parties else []


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


def require_thread_access(user: User, case: Case, party: Party, *, writing: bool = False) -> None:
    """Refuse anyone who may not read (or write in) `party`'s thread."""
    require(thread_refusal(standing(user, case), party, writing=writing))


def _told(case: Case, party: Party) -> frozenset[Party]:
    from accord.policy.notices import party_standing

    return _readable(party_standing(case, party))


def messages_told_to(case: Case, party: Party) -> QuerySet[Message]:
    """The messages an e-mail to `party` may quote: those of the threads it reads."""
    return Message.objects.filter(thread__case=case, thread__party__in=_told(case, party))


def documents_told_to(case: Case, party: Party) -> QuerySet[Document]:
    """The documents an e-mail to `party` may name."""
    return Document.objects.filter(thread__case=case, thread__party__in=_told(case, party))
