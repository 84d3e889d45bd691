"""E-mail that cannot be forged into a thread: every message of tests/inbound_corpus/forged
goes to the quarantine with its own reason, delivered as a mail server delivers it
(`manage.py receive_email`); a genuine reply to the thread's signed reply address, and a
genuine reply the receiving server authenticated, reach the party's thread."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine

from accord.cases.choices import Channel
from accord.cases.intake import ComplainantDetails, Complaint, receive_complaint
from accord.cases.models import Case
from accord.inbound.choices import InboundStatus
from accord.inbound.routing import Refused, read_token, reply_address, reply_token
from accord.mediation.choices import Party
from accord.mediation.models import Message
from accord.organisations.models import Organisation
from tests.conftest import ApiClient, london
from tests.test_inbound import deliver, last

CORPUS = Path(__file__).parent / "inbound_corpus"
FORGED = CORPUS / "forged"
AT = london(2026, 11, 24, 10)
SAM = "sam.patel@example.org"


@pytest.fixture(autouse=True)
def _clock_media_and_trust(settings, tmp_path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ACCORD_TRUSTED_AUTHSERV_IDS = ["mx.optimised.net"]
    with time_machine.travel(AT, tick=True):
        yield


@dataclass
class World:
    sams: Case  # OPT-2026-000001, Sam Patel's, opened by e-mail
    zoes: Case  # Zoe Bronte's, opened by e-mail
    closed: Case  # another of Sam's, withdrawn
    elsewhere: Case  # a case at another organisation (OCCS)

    def addresses(self) -> dict[str, str]:
        """What the corpus's placeholders stand for (ids and tokens differ per run)."""
        token = reply_token(self.sams.pk, Party.COMPLAINANT)
        flipped = "a" if token[-1] != "a" else "b"
        zoes = reply_token(self.zoes.pk, Party.COMPLAINANT)
        sams_id = token.split("-")[1]
        return {
            "%%REPLY_COMPLAINANT%%": reply_address(self.sams, Party.COMPLAINANT),
            "%%TAMPERED%%": f"hello+{token[:-1]}{flipped}@optimised.net",
            "%%TRUNCATED%%": f"hello+{token[:-6]}@optimised.net",
            # Zoe's own token, made to name Sam's case and the other party's thread.
            "%%SWAPPED%%": f"hello+r-{sams_id}-r{zoes.split('-')[2][1:]}@optimised.net",
            "%%OTHER_ORGANISATION%%": (
                f"hello+{reply_token(self.elsewhere.pk, Party.COMPLAINANT)}@optimised.net"
            ),
            "%%CLOSED_CASE%%": reply_address(self.closed, Party.COMPLAINANT),
        }

    def message(self, name: str) -> bytes:
        raw = (FORGED / name).read_bytes()
        for placeholder, address in self.addresses().items():
            raw = raw.replace(placeholder.encode(), address.encode())
        assert b"%%" not in raw
        return raw


def sams_complaint(organisation: Organisation, text: str, respondent_id: int | None = None) -> Case:
    case, _ = receive_complaint(
        organisation,
        Complaint(
            complainant=ComplainantDetails(name="Sam Patel", email=SAM),
            description=text,
            channel=Channel.WEB_FORM,
            respondent_id=respondent_id,
        ),
        now=AT,
    )
    return case


@pytest.fixture
def world(optimised, occs, staff) -> World:
    assert "case_opened" in deliver((CORPUS / "new_plain.eml").read_bytes())
    assert "case_opened" in deliver((CORPUS / "multipart_alternative.eml").read_bytes())
    sams = Case.objects.get(reference="OPT-2026-000001")
    zoes = Case.objects.get(complainant__email="zoe.bronte@example.net")
    closed = sams_complaint(optimised, "The router was never delivered.")
    handler = ApiClient(staff("optimised", "handler"))
    withdrawn = handler.step(closed.reference, "withdraw", reason="Sam withdrew it by phone.")
    assert withdrawn.status_code == 200, withdrawn.content
    closed.refresh_from_db()
    assert not closed.is_open
    practice = occs.businesses.get(email="practice@brightview.example")
    elsewhere = sams_complaint(occs, "Wrong prescription.", respondent_id=practice.pk)
    return World(sams, zoes, closed, elsewhere)


FORGERIES = [
    ("display_name_address.eml", "the From: display name shows the address sam.patel@example.org"),
    ("encoded_word_from.eml", "the From: display name shows the address sam.patel@example.org"),
    ("lookalike_domain.eml", "the sender sam.patel@example.org.evil.test is not a party"),
    ("two_from_headers.eml", "the message has 2 From: headers"),
    ("several_from_addresses.eml", "the From: header names 2 addresses"),
    ("old_guessable_tag.eml", "the reply address +opt-2026-000001-complainant is of the old"),
    ("tampered_token.eml", "does not verify (tampered with, truncated or made up)"),
    ("truncated_token.eml", "does not verify (tampered with, truncated or made up)"),
    ("swapped_party_token.eml", "does not verify (tampered with, truncated or made up)"),
    ("other_organisation_token.eml", "belongs to a case of another organisation"),
    ("closed_case_token.eml", "is closed; a reply to a closed case goes to staff"),
    (
        "dmarc_fail.eml",
        "sender not authenticated: mx.optimised.net says dmarc=fail (example.org)",
    ),
    (
        "spf_dkim_unaligned.eml",
        "spf=pass (evil.test); dkim=pass (evil.test): no dmarc=pass, and spf=pass and "
        "dkim=pass are not both aligned with example.org",
    ),
    (
        "untrusted_authserv_id.eml",
        "sender not authenticated: Authentication-Results only from servers that are not "
        "trusted (mx.evil.test)",
    ),
    (
        "no_authentication_results.eml",
        "sender not authenticated: no Authentication-Results from a trusted receiving server",
    ),
    ("forged_results_below_trusted.eml", "mx.optimised.net says dmarc=fail (example.org)"),
    ("reused_message_id.eml", "a different message reuses the Message-ID"),
]


def test_every_forged_message_of_the_corpus_is_in_the_table():
    names = {path.name for path in FORGED.glob("*.eml") if not path.name.startswith("genuine")}
    assert names == {name for name, _ in FORGERIES}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "reason"), FORGERIES)
def test_a_forged_message_is_quarantined_with_its_reason(world, name, reason):
    cases, messages = Case.objects.count(), Message.objects.count()
    raw = world.message(name)
    line = deliver(raw)
    assert "quarantined" in line, line
    record = last()
    assert record.status == InboundStatus.QUARANTINED
    assert reason in record.reason, record.reason
    assert bytes(record.raw) == raw  # kept as it arrived, for staff
    assert record.organisation is not None
    assert record.organisation.slug == "optimised"
    assert record.case is None
    assert Case.objects.count() == cases
    assert Message.objects.count() == messages


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("genuine_signed_reply.eml", "Thank you, Tuesday morning suits me."),
        ("genuine_dmarc_reply.eml", "Thank you, Wednesday morning suits me."),
        ("genuine_aligned_reply.eml", "Thank you, Thursday morning suits me."),
    ],
)
def test_a_genuine_reply_reaches_the_complainants_thread(world, name, text):
    line = deliver(world.message(name))
    assert "threaded" in line, line
    message = Message.objects.get()
    assert message.thread.case == world.sams
    assert message.thread.party == Party.COMPLAINANT
    assert message.body == text
    assert last().thread_message == message


@pytest.mark.django_db
def test_the_subject_route_is_closed_while_no_receiving_server_is_trusted(world, settings):
    settings.ACCORD_TRUSTED_AUTHSERV_IDS = []
    assert "quarantined" in deliver(world.message("genuine_dmarc_reply.eml"))
    assert "ACCORD_TRUSTED_AUTHSERV_IDS is empty" in last().reason


@pytest.mark.django_db
def test_the_respondents_signed_address_reaches_only_the_respondents_thread(world, occs):
    practice_case = world.elsewhere
    raw = (CORPUS / "original_message_reply.eml").read_bytes()
    signed = reply_address(practice_case, Party.RESPONDENT)
    assert signed.startswith("enquiries+r-")
    assert len(signed.split("@")[0]) <= 64
    assert "OCC-2026" not in signed
    line = deliver(
        raw.replace(
            b"enquiries+OCC-2026-000001-respondent@opticalcomplaints.co.uk", signed.encode()
        )
    )
    assert "threaded" in line, line
    message = Message.objects.get()
    assert message.thread.case == practice_case
    assert message.thread.party == Party.RESPONDENT


@pytest.mark.django_db
def test_reply_addresses_differ_by_case_and_party(world):
    addresses = {
        reply_address(case, party)
        for case in (world.sams, world.zoes, world.closed)
        for party in (Party.COMPLAINANT, Party.RESPONDENT)
    }
    assert len(addresses) == 6
    assert all(address == address.lower() for address in addresses)


# --- one Message-ID, several organisations ---------------------------------------------


@pytest.mark.django_db
def test_the_same_message_to_two_organisations_is_processed_for_each(optimised, occs):
    raw = (CORPUS / "new_plain.eml").read_bytes()
    assert "case_opened" in deliver(raw, "--recipient", "hello@optimised.net")
    line = deliver(raw, "--recipient", "enquiries@opticalcomplaints.co.uk")
    # OCCS is reached (it is a mediation service, so staff say which business).
    assert "duplicate" not in line
    assert last().organisation == occs
    assert "say which business" in last().reason
    # Delivered again to Optimised, with another trace header: a duplicate, ignored.
    again = b"Received: from relay.example.net by mx.optimised.net; Tue, 3 Nov 2026\n" + raw
    assert "duplicate" in deliver(again, "--recipient", "hello@optimised.net")
    assert last().status == InboundStatus.DUPLICATE
    assert Case.objects.filter(organisation=optimised).count() == 1


@pytest.mark.django_db
def test_a_message_reusing_an_id_can_be_released_as_its_own_complaint(world, staff):
    deliver(world.message("reused_message_id.eml"))
    record = last()
    handler = ApiClient(staff("optimised", "handler"))
    released = handler.post(f"/inbound/quarantine/{record.pk}/release", {})
    assert released.status_code == 200, released.json()
    case = Case.objects.get(reference=released.json()["case_reference"])
    assert case != world.sams
    assert "Please close my complaint" in case.description


@pytest.mark.django_db
def test_a_reply_address_is_read_in_any_letter_case_but_in_one_spelling_only(world):
    address = reply_address(world.sams, Party.COMPLAINANT)
    raw = world.message("genuine_signed_reply.eml").replace(
        address.encode(), address.upper().encode()
    )
    assert "threaded" in deliver(raw)  # a mail server may fold the local part's case
    _, number, rest = reply_token(world.sams.pk, Party.COMPLAINANT).split("-")
    assert read_token(f"r-{number}-{rest}") == (world.sams.pk, Party.COMPLAINANT)
    with pytest.raises(Refused, match="does not verify"):
        read_token(f"r-0{number}-{rest}")
