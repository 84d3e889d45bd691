"""Every letter each seed organisation's procedure sends, rendered to PDF and read
back: it carries what its kind must say, the letterhead, the person's name and
address, the date, the reference and a named signatory, and never a stage or outcome
key or a rule's arithmetic."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pytest
import time_machine
from pypdf import PdfReader

from accord.cases.models import Case
from accord.letters.kinds import LetterKind, kind_of, typed_fields
from accord.letters.rendering import LetterRequest, render_letter
from accord.procedures.registry import registry
from accord.procedures.wording import party_wording
from accord.workdays.calendar import format_day
from tests.test_letters import AT, submit

pytestmark = pytest.mark.django_db
LATER = AT + dt.timedelta(days=60)  # the complainant's rights are open by then
ARITHMETIC = re.compile(
    r"working days?\b|calendar days?\b|Rule:|Skipped|Started|receipt\)|clock_end|\{\{|\{%|·"
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def _fields(kind: LetterKind) -> dict[str, str]:
    typed = {
        f.name: f"The {f.label.lower()} for this letter."
        for f in typed_fields(kind, mediates=False)
    }
    if kind == LetterKind.FINAL_RESPONSE:
        typed["outcome"] = "We upheld part of your complaint."  # the case is not closed here
    if "anticipated_date" in typed:
        typed["anticipated_date"] = "2027-02-26"
    return typed


@pytest.mark.parametrize("slug", ["occs", "optimised", "ocasa"])
def test_every_letter_of_every_seed_organisation_reads_right_as_a_pdf(
    slug, organisations, staff
) -> None:
    organisation = organisations[slug]
    case = submit(
        slug,
        complainant={
            "name": "Alex Morgan",
            "email": "alex@example.com",
            "address": "1 High Street\nBlackpool\nFY1 1AA",
            "is_microbusiness": True,
            "business_name": "Morgan Frames Ltd",
        },
    )
    case = Case.objects.get(pk=case.pk)
    procedure = registry().get(case.procedure_key, case.procedure_version)
    handler = staff(slug, "handler")
    keys = {*procedure.stages, *procedure.outcomes, *procedure.clocks, *procedure.transitions}
    keys = {key for key in keys if "_" in key}
    checked = 0
    for name in procedure.letters:
        kind = kind_of(procedure, name)
        assert kind is not None, name
        with time_machine.travel(LATER, tick=False):
            rendered = render_letter(
                case, LetterRequest(name=name, fields=_fields(kind)), LATER, handler
            )
        if kind == LetterKind.AGREEMENT:
            # No agreement is drawn up on this case: its terms are what it lacks.
            assert [m.name for m in rendered.missing] == ["agreement_terms"]
            continue
        assert rendered.missing == [], (name, rendered.missing)
        text = pdf_text(rendered.pdf())
        assert organisation.name in text, name
        assert "Dear Alex Morgan," in text, name
        assert "Morgan Frames Ltd 1 High Street Blackpool FY1 1AA" in text, name
        assert case.reference in text, name
        assert format_day(LATER.date()) in text, name
        assert f"{organisation.signatory_name} {organisation.signatory_role}" in text, name
        for typed, value in _fields(kind).items():
            if typed != "anticipated_date":
                assert value in text, (name, typed)
        found = ARITHMETIC.search(text)
        assert found is None, (name, found.group(0) if found else "", text)
        for key in keys:
            assert key not in text, (name, key)
        if kind in {LetterKind.ACKNOWLEDGEMENT, LetterKind.ESCALATION_ACKNOWLEDGEMENT}:
            assert "What happens next:" in text, name
        checked += 1
    assert checked >= 5


def test_the_occs_deadlock_letter_gives_both_options(occs, staff) -> None:
    case = submit("occs")
    case.stage = "no_agreement"
    case.save(update_fields=["stage"])
    procedure = registry().get(case.procedure_key, case.procedure_version)
    wording = party_wording(procedure)
    rendered = render_letter(
        case,
        LetterRequest(name="deadlock", fields={"reason": "The practice would not refund."}),
        AT,
        staff("occs", "handler"),
    )
    text = pdf_text(rendered.pdf())
    assert "The practice would not refund." in text
    assert wording.action("accept_practice_response") == "Accept the practice's response"
    assert "Accept the practice's response" in text
    assert "Ask for a senior mediator" in text
    assert "General Optical Council" not in text


def test_the_letterhead_set_in_settings_heads_the_letters_sent(optimised, staff) -> None:
    """An administrator types the letterhead in Settings; the next letter a step sends
    carries it, line by line, at its head: in the PDF, the HTML and the text, and in the
    e-mail that carries it. Without one, the name and contact details head the letter."""
    from accord.letters.models import Letter
    from accord.letters.sending import pdf_path
    from accord.outbox.models import OutboundMessage
    from tests.conftest import verified_client
    from tests.test_letters import step

    lines = ["Optimised Group", "Lancaster House, Blackpool FY4 2RP", "Telephone 0333 370 2024"]
    settings_page = verified_client(staff("optimised", "administrator"))
    saved = settings_page.post(
        "/staff/settings/letterhead/",
        {
            "letterhead": "\n".join([lines[0], "", *lines[1:]]),
            "signatory_name": "Sam Patel",
            "signatory_role": "Head of Client Services",
        },
    )
    assert saved.status_code == 303, saved.content
    case = submit("optimised")
    step(staff("optimised", "handler"), case, "acknowledge")
    letter = Letter.objects.get(case=case, name="acknowledgement")
    text = pdf_text(pdf_path(letter).read_bytes())
    assert text.startswith(" ".join(lines)), text[:200]
    assert "Sam Patel Head of Client Services" in text
    assert letter.text.startswith("\n".join(lines) + "\n\n")
    head = letter.html.split('class="letterhead"')[1].split("</p>")[0]
    assert all(line in head for line in lines)
    assert optimised.address.splitlines()[0] not in head  # the letterhead replaces them
    carried = OutboundMessage.objects.get(case=case, purpose="letter:acknowledgement")
    assert carried.text.split("\n\n")[1] == "\n".join(lines)  # after the one-line cover
    found = ARITHMETIC.search(text)
    assert found is None, found
