"""One rule for text from outside (`accord.cleaning`): NUL, the other C0 control
characters but tab and line ends, and lone surrogates are refused by name on the API
and on every form, and removed (and noted) from e-mail; a multipart body that cannot be
read is a 400. Through the real entry points, on SQLite and PostgreSQL alike
(PostgreSQL refuses NUL in text, so a slip there is a 500)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from accord import cleaning
from accord.cases.models import Case, Event
from accord.inbound.choices import InboundStatus
from accord.inbound.models import InboundMessage
from accord.mediation.models import Document, Message
from tests.conftest import ApiClient, complaint_body, london, verified_client

pytestmark = pytest.mark.django_db

NOW = london(2026, 11, 30, 10)
BAD = {
    "nul": "Hello\x00 there",
    "bell": "Hello\x07 there",
    "escape": "Hello\x1b[31m there",
    "surrogate": "Hello\ud800 there",
}
GOOD = "Tabs\tand\r\nline ends, DEL \x7f, C1 \x85, ümlauts and emoji 🙂 are kept."


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=False):
        yield


def named(response: Any, field: str, status: int = 422) -> None:
    assert response.status_code == status, response.content
    data = response.json()
    assert data["error"] == "invalid"
    assert [item["field"] for item in data["fields"]] == [field], data
    assert "cannot be stored" in data["fields"][0]["message"]


# The rule itself


def test_the_rule_refuses_controls_and_surrogates_and_keeps_the_rest() -> None:
    assert cleaning.problem(GOOD) is None
    for text in BAD.values():
        assert cleaning.problem(text)
    assert cleaning.problem("a\x00") == "contains NUL (U+0000), which cannot be stored; remove it"
    assert "U+001B" in str(cleaning.problem("\x1b"))
    assert "lone surrogate (U+DFFF)" in str(cleaning.problem("\udfff"))
    assert cleaning.remove("a\x00b\x0cc\ud800\td") == ("abc\td", 3)
    assert cleaning.first_unstorable({"a": [{"b": "ok"}, {"c": "x\x01"}]}) == (
        "a.1.c",
        "contains a control character (U+0001), which cannot be stored; remove it",
    )
    assert cleaning.first_unstorable({"ke\x00y": "v"}) is not None


# The API: public intake, staff logging, staff notes, queries


@pytest.mark.parametrize("text", BAD.values(), ids=BAD.keys())
def test_public_intake_names_the_field(ocasa, text) -> None:
    client = ApiClient()
    named(
        client.post("/organisations/ocasa/complaints", complaint_body(description=text)),
        "description",
    )
    body = complaint_body(complainant={"name": text, "email": "alex@example.com"})
    named(client.post("/organisations/ocasa/complaints", body), "complainant.name")
    assert not Case.objects.exists()


def test_public_intake_keeps_tabs_line_ends_and_other_text(ocasa) -> None:
    response = ApiClient().post("/organisations/ocasa/complaints", complaint_body(description=GOOD))
    assert response.status_code == 201, response.content
    assert Case.objects.get().description == GOOD


def test_staff_logging_and_notes_name_the_field(ocasa, staff) -> None:
    handler = ApiClient(staff("ocasa", "handler"))
    logged = complaint_body(channel="phone", summary="Called\x00 about the deposit")
    named(handler.post("/cases", logged), "summary")
    made = handler.post("/cases", complaint_body(channel="phone"))
    assert made.status_code == 201, made.content
    reference = made.json()["reference"]
    named(handler.post(f"/cases/{reference}/notes", {"text": "Rang\x00 back"}), "text")
    assert not Event.objects.filter(kind="note").exists()


def test_a_query_parameter_is_named(ocasa, staff) -> None:
    handler = ApiClient(staff("ocasa", "handler"))
    named(handler.get("/cases", q="boiler\x00"), "q")


# The pages' forms: the public complaint form, the party page, the staff case page


def test_the_public_form_shows_the_error_on_the_field(ocasa) -> None:
    client = Client()
    page = client.get("/ocasa/complain/")
    token = re.search(r'name="form_token" value="([^"]+)"', page.content.decode())
    assert token is not None
    data = {
        "description": "The deposit\x00 has not been returned.",
        "issue_arose_on": "2026-11-20",
        "name": "Sam Taylor",
        "email": "sam@example.com",
        "share_information": "yes",
        "website": "",
        "form_token": token.group(1),
    }
    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        response = client.post("/ocasa/complain/", data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#id_description"' in html
    assert "cannot be stored" in html
    assert not Case.objects.exists()


@pytest.fixture
def world(occs: Any, staff: Any) -> dict[str, Any]:
    from tests.test_proposals import make_world

    return make_world(occs, staff)


def submission_key() -> str:
    import secrets

    return secrets.token_urlsafe(16)


def test_the_party_page_forms_show_the_error_on_the_field(world) -> None:
    from accord.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="rep"))
    path = f"/my/cases/{world['reference']}/message/"
    response = client.post(path, {"submission_key": submission_key(), "message-body": "Hi\x00"})
    assert response.status_code in {200, 400}
    html = response.content.decode()
    assert 'href="#id_message-body"' in html
    assert "cannot be stored" in html
    assert not Message.objects.filter(body__startswith="Hi").exists()
    asked = Client().post("/my/link/", {"email": "alex\x00@example.com"})
    assert asked.status_code in {200, 400}
    assert "cannot be stored" in asked.content.decode()


def test_the_staff_case_page_forms_show_the_error_on_the_field(ocasa, staff) -> None:
    handler = staff("ocasa", "handler")
    made = ApiClient().post("/organisations/ocasa/complaints", complaint_body())
    reference = made.json()["reference"]
    client = verified_client(handler)
    response = client.post(
        f"/staff/cases/{reference}/notes/",
        {"submission_key": submission_key(), "note-text": "Rang\x1b back"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "cannot be stored" in html
    assert 'id="id_note-text"' in html
    assert not Event.objects.filter(kind="note").exists()
    search = client.get("/staff/", {"q": "deposit\x00"})
    assert search.status_code in {200, 400}


# Malformed multipart bodies


def _multipart(client: Client, path: str, body: bytes, content_type: str, **headers: str) -> Any:
    client.raise_request_exception = False
    return client.generic("POST", path, body, content_type=content_type, headers=headers)


MALFORMED = {
    "no_boundary": (
        b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--\r\n",
        "multipart/form-data",
    ),
    "bad_boundary": (b"--x\r\n\r\nb\r\n", 'multipart/form-data; boundary="\x7f"'),
    "truncated": (
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4 trunc",
        "multipart/form-data; boundary=xyz",
    ),
    "headers_only": (b"--xyz\r\nContent-Disposition: form-da", "multipart/form-data; boundary=xyz"),
}


@pytest.mark.parametrize(("body", "content_type"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_multipart_body_is_a_400_on_the_api(world, body, content_type) -> None:
    from accord.accounts.models import ApiToken, User

    _, token = ApiToken.issue(User.objects.get(username="rep"), "test")
    response = _multipart(
        Client(),
        f"/api/cases/{world['reference']}/threads/respondent/documents",
        body,
        content_type,
        Authorization=f"Bearer {token}",
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "malformed"
    assert not Document.objects.exists()


@pytest.mark.parametrize(("body", "content_type"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_multipart_body_is_a_400_on_the_pages(world, body, content_type) -> None:
    from accord.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="rep"))
    response = _multipart(client, f"/my/cases/{world['reference']}/upload/", body, content_type)
    assert response.status_code == 400, response.content
    assert "could not understand" in response.content.decode()
    assert not Document.objects.exists()


def test_a_kilobyte_file_name_is_not_a_server_error(world) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accord.accounts.models import ApiToken, User

    _, token = ApiToken.issue(User.objects.get(username="rep"), "test")
    client = Client(raise_request_exception=False)
    response = client.post(
        f"/api/cases/{world['reference']}/threads/respondent/documents",
        {"file": SimpleUploadedFile("n\x00" + "x" * 1024 + ".txt", b"notes", "text/plain")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.content
    assert len(Document.objects.get().name) <= 100
    assert "\x00" not in Document.objects.get().name


# Inbound e-mail: removed and noted


def deliver(raw: bytes) -> str:
    out = io.StringIO()
    call_command("receive_email", stdin=io.BytesIO(raw), stdout=out)
    return out.getvalue()


def test_an_email_has_the_characters_removed_and_noted(optimised) -> None:
    raw = (
        b"From: =?utf-8?q?Kim=07_Lee?= <kim.lee@example.com>\n"
        b"To: hello@optimised.net\nDate: Mon, 30 Nov 2026 10:00:00 +0000\n"
        b"Message-ID: <controls@example.com>\n"
        b"Subject: =?utf-8?q?My_order=00_is_late?=\n"
        b"MIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n'
        b"--b\nContent-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n"
        b"Hello=00 there=1B, the order=07 is late.\n"
        b"--b\nContent-Type: text/plain\n"
        b"Content-Disposition: attachment; filename*=utf-8''re%01ceipt.txt\n\n"
        b"Order 1234\n--b--\n"
    )
    line = deliver(raw)
    assert "case" in line, line
    record = InboundMessage.objects.get()
    assert record.status == InboundStatus.CASE_OPENED
    case = record.case
    assert case is not None
    for text in (case.description, record.subject, case.complainant.name, record.sender):
        assert cleaning.problem(text) is None, repr(text)
    assert "My order is late" in case.description
    assert "Hello there, the order is late." in case.description
    assert case.complainant.name == "Kim Lee"
    assert [d.name for d in Document.objects.all()] == ["receipt.txt"]
    assert any("were removed" in note for note in record.notes), record.notes
    assert bytes(record.raw) == raw  # kept as received
