"""What a case's parties find in their inboxes (the outbox rows), and the checks that
what they read is in their own words: shared by tests/test_inboxes.py (Django's test
client) and tests/browser/test_inbox_journeys.py (Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from accord.cases.engine import procedure_of
from accord.cases.models import Case
from accord.outbox.models import OutboundMessage
from accord.outbox.threads import thread_root

CONSUMER = "alex@example.com"  # tests.conftest.complaint_body's complainant
STAFF_WORDS = ("Acknowledge the", "Rule:", "(receipt)", "Skipped", "Consumer withdraws", "stage1_")
# How a clock's date is worked out: on a party's page one click away ("How this date is
# worked out"), never in what they are sent.
ARITHMETIC = re.compile(
    r"\bRule: |\bStarted \w+day \d|\bSkipped \w+day \d|\((receipt|acceptance)\)"
)
LINK = re.compile(r"https?://\S+?/my/(?:link/[^\s/]+|cases/[^\s/]+)/")


class Outbox:
    """The e-mails queued for a case, each seen once: `arrived(address)` is what came
    for that address since the last look."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.seen: set[int] = set()

    def arrived(self, *addresses: str) -> list[OutboundMessage]:
        new = [
            m
            for m in OutboundMessage.objects.filter(case=self.case).order_by("pk")
            if any(address in m.to for address in addresses) and m.pk not in self.seen
        ]
        self.seen |= {m.pk for m in new}
        return new


def show(mails: list[OutboundMessage]) -> None:
    for m in mails:
        print("=" * 70, "\n", m.purpose, m.to, "\nSubject:", m.subject, "\n", m.text)


def in_words(mail: OutboundMessage) -> None:
    for words in STAFF_WORDS:
        assert words not in mail.text, (words, mail.subject)


def everything(mails: Iterable[OutboundMessage]) -> str:
    return "\n".join(m.subject + "\n" + m.text + "\n" + m.html for m in mails)


def check_thread(case: Case, mails: list[OutboundMessage], audience: str) -> None:
    """Each e-mail is in its reader's thread of the case, multipart, in their words."""
    for mail in mails:
        assert mail.headers["References"] == thread_root(case.pk, audience), mail.purpose
        assert mail.html, mail.purpose  # multipart
        in_words(mail)
        assert_for_a_party(case, f"{mail.subject}\n{mail.text}", mail.purpose)


def procedure_keys(case: Case) -> set[str]:
    """The keys of the case's procedure a reader could never mistake for words: those of
    its stages, outcomes, clocks, steps and letters written as identifiers
    (`stage1_received`, `scope_check`), not plain words (`closed`, `analysis`)."""
    procedure = procedure_of(case)
    keys = {
        *procedure.stages,
        *procedure.outcomes,
        *procedure.clocks,
        *procedure.transitions,
        *procedure.letters,
    }
    return {key for key in keys if re.search(r"[_\d]", key)}


def assert_for_a_party(case: Case, text: str, where: str) -> None:
    """`text` (an e-mail, a letter, a party's page) shows no key of the procedure, no
    staff wording and no working-out of a date."""
    for key in procedure_keys(case):
        assert not re.search(rf"\b{re.escape(key)}\b", text), f"{key!r} in {where}:\n{text}"
    for words in STAFF_WORDS:
        assert words not in text, f"{words!r} in {where}:\n{text}"
    found = ARITHMETIC.search(text)
    assert found is None, f"{found.group(0) if found else ''!r} in {where}:\n{text}"


def link_in(mail: OutboundMessage) -> str:
    """The path of the party's page (or sign-in link) the e-mail carries."""
    found = LINK.search(mail.text)
    assert found is not None, f"no link to the party's page in {mail.subject}:\n{mail.text}"
    return "/" + found.group(0).split("/", 3)[3]
