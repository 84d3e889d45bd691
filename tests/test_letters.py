"""Letters: every kind renders as HTML, plain text and PDF for each seed organisation
with its letterhead; sending stores the letter exactly as sent, writes one timeline
event, and queues the e-mail to its party only; template edits make new versions; what
was said without prejudice in mediation never leaves in a letter."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from accord.accounts.models import User
from accord.cases.models import Case, Event
from accord.letters.kinds import LetterKind, kind_of
from accord.letters.models import ImmutableError, Letter, LetterStatus, LetterTemplate
from accord.letters.rendering import LetterRequest, render_letter
from accord.outbox import queue
from accord.procedures.registry import registry
from tests.conftest import ApiClient, complaint_body, london, open_to_business, verified_client

pytestmark = pytest.mark.django_db
AT = london(2026, 12, 1, 10)
SAID = "Off the record we accept the frames were faulty and would pay £80 to settle."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def outbox(monkeypatch) -> list[dict[str, Any]]:
    """Every queue_email call; the real outbox runs too once it is implemented."""
    sent: list[dict[str, Any]] = []
    real = queue.queue_email

    def record(**kwargs: Any) -> Any:
        sent.append(kwargs)
        try:
            return real(**kwargs)
        except NotImplementedError:
            return None

    monkeypatch.setattr(queue, "queue_email", record)
    return sent


def submit(slug: str, **overrides: Any) -> Case:
    organisation_cases = {"occs": "occs"}
    body = complaint_body(**overrides)
    if slug in organisation_cases and "respondent_id" not in body:
        from accord.organisations.models import Business

        practice = Business.objects.filter(organisation__slug=slug).order_by("pk").first()
        assert practice is not None
        body["respondent_id"] = practice.pk
    with time_machine.travel(AT, tick=False):
        response = ApiClient().post(f"/organisations/{slug}/complaints", body)
    assert response.status_code == 201, response.content
    return Case.objects.get(reference=response.json()["reference"])


def step(user: User, case: Case, action: str, **body: Any) -> None:
    with time_machine.travel(AT + dt.timedelta(hours=1), tick=False):
        response = ApiClient(user).step(case.reference, action, **body)
    assert response.status_code == 200, response.content


def send(user: User, case: Case, **body: Any) -> Any:
    with time_machine.travel(AT + dt.timedelta(hours=2), tick=False):
        return ApiClient(user).post(f"/letters/cases/{case.reference}/send", body)


def test_every_pack_letter_name_maps_to_a_kind_with_a_default_template() -> None:
    for loaded in registry().all():
        for name in loaded.procedure.letters:
            assert kind_of(loaded.procedure, name) is not None, (loaded.procedure.ref, name)
    defaults = set(
        LetterTemplate.objects.filter(organisation__isnull=True, procedure_key="").values_list(
            "kind", flat=True
        )
    )
    assert defaults == set(LetterKind.values)


@pytest.mark.parametrize("slug", ["occs", "optimised", "ocasa"])
def test_every_kind_renders_in_three_forms_with_the_letterhead(slug, organisations) -> None:
    organisation = organisations[slug]
    case = submit(slug, complainant={"name": "Alex <b>Morgan</b>", "email": "alex@example.com"})
    for kind in LetterKind:
        rendered = render_letter(case, LetterRequest(name=kind.value), AT)
        assert organisation.name in rendered.html, kind
        assert organisation.name in rendered.text, kind
        assert case.reference in rendered.text, kind
        assert rendered.subject, kind
        assert "{{" not in rendered.subject, kind
        # Autoescaped in HTML, verbatim in text.
        assert "Alex &lt;b&gt;Morgan&lt;/b&gt;" in rendered.html, kind
        assert "<b>Morgan</b>" not in rendered.html, kind
        assert "Alex <b>Morgan</b>" in rendered.text, kind
        if organisation.phone:
            assert organisation.phone in rendered.text
        assert rendered.pdf().startswith(b"%PDF"), kind


def test_the_preview_returns_all_three_forms_and_sends_nothing(optimised, staff, outbox) -> None:
    case = submit("optimised")
    handler = staff("optimised", "handler")
    with time_machine.travel(AT + dt.timedelta(hours=2), tick=False):
        response = ApiClient(handler).post(
            f"/letters/cases/{case.reference}/preview", {"name": "acknowledgement"}
        )
    assert response.status_code == 200, response.content
    shown = response.json()
    assert shown["complete"] is True, shown["missing"]
    assert shown["html"].startswith("<!DOCTYPE html>")
    assert "Optimised Group (demo)" in shown["text"]
    assert base64.b64decode(shown["pdf_base64"]).startswith(b"%PDF")
    assert not Letter.objects.exists()
    assert outbox == []


def test_a_sent_letter_is_stored_on_the_timeline_and_goes_to_its_party_only(
    optimised, staff, outbox
) -> None:
    case = submit("optimised")
    handler = staff("optimised", "handler")
    response = send(handler, case, name="feedback_request")
    assert response.status_code == 201, response.content
    letter = Letter.objects.get(pk=response.json()["id"])
    assert letter.status == LetterStatus.SENT
    assert letter.recipient_email == "alex@example.com"
    assert (Path(_media_root()) / letter.pdf_stored_as).is_file()
    assert len(outbox) == 1
    assert outbox[0]["to"] == ["alex@example.com"]
    assert outbox[0]["attachments"][0][2] == "application/pdf"
    # The e-mail carries the letter, and the link to the complainant's page where their
    # letters are (their signed link, as every notice to them).
    carried = outbox[0]
    for line in letter.text.splitlines():
        assert line.strip() in carried["text"], line
    assert "Read this letter and our other letters on your page" in carried["text"]
    link = carried["text"].split("answer us there: ")[1].split()[0]
    assert "/my/link/" in link
    assert f'href="{link}"' in carried["html"]
    assert carried["subject"] == letter.subject
    assert carried["automatic"] is False  # a letter is a person's, not an automatic notice
    event = Event.objects.get(case=case, kind="letter_sent")
    assert event.data["letter"] == letter.pk
    assert letter.text not in str(event.data)
    assert "reason" not in event.data
    # An in-house complaint has no business to write to: the organisation is not a party.
    response = send(handler, case, name="feedback_request", recipient="respondent")
    assert response.status_code == 422, response.content
    from accord.outbox.models import OutboundMessage

    queued = OutboundMessage.objects.filter(case=case, purpose="letter:feedback_request")
    assert [m.to for m in queued.order_by("pk")] == [["alex@example.com"]]
    detail = ApiClient(handler).get(f"/letters/cases/{case.reference}/{letter.pk}")
    assert detail.json()["text"] == letter.text
    pdf = ApiClient(handler).get(f"/letters/cases/{case.reference}/{letter.pk}/pdf")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def _media_root() -> str:
    from django.conf import settings

    return str(settings.MEDIA_ROOT)


def test_only_handlers_seniors_and_managers_send_letters(optimised, staff, outbox) -> None:
    case = submit("optimised")
    administrator = staff("optimised", "administrator")
    assert send(administrator, case, name="acknowledgement").status_code == 403
    other = staff("ocasa", "handler")
    assert send(other, case, name="acknowledgement").status_code == 404
    assert outbox == []


def test_a_sent_letter_cannot_be_changed(optimised, staff, outbox) -> None:
    case = submit("optimised")
    handler = staff("optimised", "handler")
    letter = Letter.objects.get(pk=send(handler, case, name="feedback_request").json()["id"])
    original = letter.text
    letter.text = "Something else"
    with pytest.raises(ImmutableError):
        letter.save()
    with pytest.raises(ImmutableError):
        Letter.objects.filter(pk=letter.pk).update(text="Something else")
    with pytest.raises(ImmutableError):
        letter.delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE letters_letter SET text = 'raw' WHERE id = %s", [letter.pk])
    assert Letter.objects.get(pk=letter.pk).text == original


def test_a_template_edit_makes_a_new_version_and_old_letters_keep_theirs(
    optimised, staff, outbox
) -> None:
    case = submit("optimised")
    handler = staff("optimised", "handler")
    first = Letter.objects.get(pk=send(handler, case, name="feedback_request").json()["id"])
    old = first.template
    superuser = User.objects.create_superuser("root", "root@example.com", "pw")
    browser = verified_client(superuser)
    response = browser.post(
        f"/admin/letters/lettertemplate/{old.pk}/change/",
        {
            "organisation": str(optimised.pk),
            "procedure_key": "",
            "kind": "feedback_request",
            "subject": "Received: {{ case.reference }}",
            "body": old.body + "\n\nWith our new wording.",
        },
    )
    assert response.status_code == 302, response.content
    old.refresh_from_db()
    assert "With our new wording." not in old.body
    newest = LetterTemplate.objects.filter(organisation=optimised, kind="feedback_request").get()
    assert newest.pk != old.pk
    assert newest.version == 1
    second = Letter.objects.get(pk=send(handler, case, name="feedback_request").json()["id"])
    assert second.template_id == newest.pk
    assert "With our new wording." in second.text
    first.refresh_from_db()
    assert (first.template_id, first.template_version) == (old.pk, old.version)
    assert "With our new wording." not in first.text
    # Editing again: version 2 of the organisation's template; version 1 stays.
    browser.post(
        f"/admin/letters/lettertemplate/{newest.pk}/change/",
        {
            "organisation": str(optimised.pk),
            "procedure_key": "",
            "kind": "feedback_request",
            "subject": "Received again: {{ case.reference }}",
            "body": newest.body,
        },
    )
    versions = list(
        LetterTemplate.objects.filter(organisation=optimised, kind="feedback_request")
        .order_by("version")
        .values_list("version", "subject")
    )
    assert versions == [
        (1, "Received: {{ case.reference }}"),
        (2, "Received again: {{ case.reference }}"),
    ]
    with pytest.raises(ImmutableError):
        newest.save()


def test_a_letter_quoting_without_prejudice_text_is_refused(occs, staff, outbox) -> None:
    case = submit("occs")
    rep = ApiClient(User.objects.create_user("rep", business=case.respondent))
    open_to_business(case.reference, staff("occs", "handler"), AT)
    with time_machine.travel(AT, tick=False):
        posted = rep.post(f"/cases/{case.reference}/threads/respondent/messages", {"body": SAID})
    assert posted.status_code == 201, posted.content
    handler = staff("occs", "handler")
    refused = send(
        handler, case, name="delay_notice", fields={"reason": f"The practice told us: {SAID}"}
    )
    assert refused.status_code == 409, refused.content
    assert "without prejudice" in refused.json()["message"]
    assert not Letter.objects.exists()
    assert not Event.objects.filter(case=case, kind="letter_sent").exists()
    assert outbox == []
    assert not list((Path(_media_root()) / "letters").glob("*.pdf"))
    fine = send(
        handler, case, name="delay_notice", fields={"reason": "We are waiting for the records."}
    )
    assert fine.status_code == 201, fine.content


def test_a_letter_name_the_procedure_does_not_know_is_refused(optimised, staff, outbox) -> None:
    case = submit("optimised")
    refused = send(staff("optimised", "handler"), case, name="love_letter")
    assert refused.status_code == 422
    assert refused.json()["field"] == "name"


def test_the_admin_refuses_template_text_that_does_not_compile(optimised) -> None:
    superuser = User.objects.create_superuser("root", "root@example.com", "pw")
    browser = verified_client(superuser)
    before = LetterTemplate.objects.count()
    response = browser.post(
        "/admin/letters/lettertemplate/add/",
        {
            "organisation": "",
            "procedure_key": "",
            "kind": "deadlock",
            "subject": "Deadlock",
            "body": "{% if body %}unclosed",
        },
    )
    assert response.status_code == 200
    assert "not valid template text" in response.content.decode()
    assert LetterTemplate.objects.count() == before


def test_an_organisation_administrator_edits_only_its_own_version(optimised, ocasa, staff) -> None:
    administrator = staff("optimised", "administrator")
    administrator.is_staff = True
    administrator.save()
    from django.contrib.auth.models import Permission

    administrator.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="letters")
    )
    default = LetterTemplate.objects.get(organisation=None, procedure_key="", kind="deadlock")
    browser = verified_client(administrator)
    response = browser.post(
        f"/admin/letters/lettertemplate/{default.pk}/change/",
        {
            "organisation": str(optimised.pk),
            "procedure_key": "",
            "kind": "deadlock",
            "subject": "Our deadlock letter",
            "body": default.body,
        },
    )
    assert response.status_code == 302, response.content
    own = LetterTemplate.objects.get(organisation=optimised, kind="deadlock")
    assert own.subject == "Our deadlock letter"
    default.refresh_from_db()
    assert default.subject != "Our deadlock letter"
    ocasa_template = LetterTemplate.objects.create(
        organisation=ocasa, kind="deadlock", subject="Ocasa", body="x"
    )
    assert (
        browser.get(f"/admin/letters/lettertemplate/{ocasa_template.pk}/change/").status_code == 302
    )
