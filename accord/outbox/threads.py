"""The thread an e-mail belongs to. Every e-mail Accord sends about a case to one party
(or to the case's staff) carries `In-Reply-To` and `References` naming one stable root
id per case and party, so mail clients show a party's correspondence on a case as one
conversation, and no e-mail of one party's thread names the other's. The root is never
sent as a message of its own (as GitHub's notifications do); each e-mail still has its
own unique Message-ID."""

from __future__ import annotations

STAFF = "staff"


def thread_root(case_id: int, audience: str) -> str:
    """The root Message-ID of the thread of `audience` ("complainant", "respondent" or
    "staff") on a case: the party's signed thread token, so it says nothing guessable."""
    from accord.inbound.routing import reply_token
    from accord.mediation.choices import Party
    from accord.outbox.queue import mail_domain

    if audience == STAFF:
        from accord.cases.models import Case

        reference = Case.objects.values_list("reference", flat=True).get(pk=case_id)
        return f"<case.{reference.lower()}.staff@{mail_domain()}>"
    return f"<thread.{reply_token(case_id, Party(audience))}@{mail_domain()}>"


def thread_headers(root: str) -> dict[str, str]:
    return {"In-Reply-To": root, "References": root}
