"""Document uploads through the API, as a user would: the respondent puts documents in
its own thread; the type is decided by the content, not the name; a disguised,
oversized or refused file is not stored at all; a stored file is served only to those
who may read its thread."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.urls import resolve

from accord.accounts.models import User
from accord.cases.models import Case, Event
from accord.mediation import documents
from accord.mediation.choices import Party
from accord.mediation.models import Document
from tests.conftest import ApiClient, complaint_body, london, open_to_business

pytestmark = pytest.mark.django_db
AT = london(2026, 12, 1, 10)

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def docx(*, macros: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
        if macros:
            archive.writestr("word/vbaProject.bin", b"\x00macro")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.exe", EXE)
    return out.getvalue()


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def world(occs, staff, media) -> dict[str, Any]:
    practice = occs.businesses.order_by("pk").first()
    other_practice = occs.businesses.order_by("pk").last()
    with time_machine.travel(AT, tick=False):
        reference = (
            ApiClient()
            .post("/organisations/occs/complaints", complaint_body(respondent_id=practice.pk))
            .json()["reference"]
        )
    consumer = User.objects.create_user("consumer", email="alex@example.com")
    case = Case.objects.get(reference=reference)
    case.complainant.user = consumer
    case.complainant.save()
    open_to_business(reference, staff("occs", "handler"), AT)
    return {
        "reference": reference,
        "handler": ApiClient(staff("occs", "handler")),
        "consumer": ApiClient(consumer),
        "practice": ApiClient(User.objects.create_user("rep", business=practice)),
        "stranger": ApiClient(User.objects.create_user("other-rep", business=other_practice)),
    }


def upload(client: ApiClient, reference: str, name: str, content: bytes, party: str = "respondent"):
    return client.client.post(
        f"/api/cases/{reference}/threads/{party}/documents",
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
        headers=client.headers,
    )


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def assert_nothing_stored(reference: str, media: Path) -> None:
    assert not Document.objects.exists()
    assert files_under(media) == []
    assert not Event.objects.filter(case__reference=reference, kind="document").exists()


def test_the_router_is_mounted() -> None:
    assert resolve("/api/cases/X/documents").url_name
    assert resolve("/api/cases/X/documents/1").url_name
    assert resolve("/api/cases/X/threads/respondent/documents").url_name


def test_the_respondent_uploads_a_pdf_that_only_its_thread_may_read(world, media) -> None:
    ref = world["reference"]
    response = upload(world["practice"], ref, "Practice records.pdf", PDF)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["party"], body["name"], body["content_type"]) == (
        "respondent",
        "Practice records.pdf",
        "application/pdf",
    )
    assert (body["size"], body["sha256"]) == (len(PDF), hashlib.sha256(PDF).hexdigest())
    document = Document.objects.get(pk=body["id"])
    assert (document.size, document.sha256, document.uploaded_by_id) == (
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
        User.objects.get(username="rep").pk,
    )
    # Stored under a random name below MEDIA_ROOT/documents, never under its own name.
    [stored] = files_under(media)
    assert stored == media / "documents" / document.stored_as[:2] / document.stored_as
    assert stored.read_bytes() == PDF
    assert "records" not in str(stored)
    # One event: what was added, never its content.
    event = Event.objects.get(case__reference=ref, kind="document")
    assert event.data == {
        "thread": "respondent",
        "document": document.pk,
        "sha256": document.sha256,
        "size": len(PDF),
        "content_type": "application/pdf",
    }
    assert event.actor_role == "respondent"

    download = f"/cases/{ref}/documents/{document.pk}"
    # The complainant neither lists nor downloads it; a stranger does not see the case.
    assert world["consumer"].get(f"/cases/{ref}/documents").json() == []
    assert world["consumer"].get(download).status_code == 404
    assert world["stranger"].get(f"/cases/{ref}/documents").status_code == 404
    assert world["stranger"].get(download).status_code == 404
    # A document that does not exist answers the same.
    missing = world["consumer"].get(f"/cases/{ref}/documents/{document.pk + 1000}")
    assert missing.json() == world["consumer"].get(download).json()
    # The respondent and the handler do.
    for reader in (world["practice"], world["handler"]):
        assert [d["id"] for d in reader.get(f"/cases/{ref}/documents").json()] == [document.pk]
        served = reader.get(download)
        assert served.status_code == 200
        assert b"".join(served.streaming_content) == PDF
        assert served["Content-Type"] == "application/pdf"
        assert served["X-Content-Type-Options"] == "nosniff"
        assert served["Content-Disposition"].startswith("attachment;")
        assert 'filename="Practice records.pdf"' in served["Content-Disposition"]


def test_a_program_renamed_pdf_is_refused_as_disguised_and_not_stored(world, media) -> None:
    response = upload(world["practice"], world["reference"], "records.pdf", EXE)
    assert response.status_code == 422
    assert response.json()["error"] == "disguised"
    message = response.json()["message"]
    assert "disguised" in message
    assert "Windows program" in message
    assert_nothing_stored(world["reference"], media)


@pytest.mark.parametrize(
    ("name", "content", "detected"),
    [
        ("statement.pdf", HTML, "HTML"),
        ("photo.pdf", png(), "PNG image"),
        ("letter.png", PDF, "PDF"),
        ("contract.docx", plain_zip(), "ZIP archive"),
        ("notes.pdf", b"Just some words.\n", "plain text"),
        ("picture.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
    ],
)
def test_content_that_disagrees_with_its_name_is_refused(
    world, media, name: str, content: bytes, detected: str
) -> None:
    response = upload(world["practice"], world["reference"], name, content)
    assert response.status_code == 422, response.content
    assert response.json()["error"] == "disguised"
    assert detected in response.json()["message"]
    assert_nothing_stored(world["reference"], media)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", HTML),
        ("page.txt", HTML),
        ("run.sh", b"#!/bin/sh\nrm -rf /\n"),
        ("setup.exe", EXE),
        ("bundle.zip", plain_zip()),
        ("report.docx", docx(macros=True)),
    ],
)
def test_programs_archives_markup_scripts_and_macros_are_always_refused(
    world, media, name: str, content: bytes
) -> None:
    response = upload(world["practice"], world["reference"], name, content)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "file"
    assert_nothing_stored(world["reference"], media)


def test_an_oversized_file_is_refused_with_the_limit_and_not_stored(world, media, settings) -> None:
    settings.ACCORD_MAX_UPLOAD_BYTES = 1024
    response = upload(world["practice"], world["reference"], "big.pdf", PDF + b"%" * 2048)
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"
    assert "1 KB limit" in response.json()["message"]
    assert_nothing_stored(world["reference"], media)
    # At the limit exactly is fine.
    exact = PDF + b"%" * (1024 - len(PDF))
    assert upload(world["practice"], world["reference"], "ok.pdf", exact).status_code == 201


def test_reading_stops_as_soon_as_the_limit_is_passed(settings) -> None:
    settings.ACCORD_MAX_UPLOAD_BYTES = 200 * 1024
    read = {"chunks": 0}

    class Endless(UploadedFile):
        """A stream of unknown size that never ends (a 2 GB upload, or worse)."""

        def __init__(self) -> None:
            super().__init__(io.BytesIO(), name="huge.pdf", size=None)

        def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
            while True:
                read["chunks"] += 1
                yield b"%PDF" + b"\x00" * (64 * 1024 - 4)

    with pytest.raises(documents.UploadTooLarge):
        documents.check_upload(Endless())
    assert read["chunks"] == 4  # 256 KB read, then refused


def test_the_upload_handler_refuses_an_oversized_request_before_it_is_read(
    world, media, settings
) -> None:
    settings.ACCORD_MAX_UPLOAD_BYTES = 1024
    settings.FILE_UPLOAD_HANDLERS = [
        "accord.mediation.documents.UploadLimitHandler",
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    response = upload(world["practice"], world["reference"], "big.pdf", PDF + b"%" * 200_000)
    assert response.status_code == 413
    assert_nothing_stored(world["reference"], media)
    assert upload(world["practice"], world["reference"], "small.pdf", PDF).status_code == 201


def test_a_path_traversal_name_is_stored_as_a_safe_name_inside_media_root(world, media) -> None:
    response = upload(world["practice"], world["reference"], "../../etc/passwd.txt", b"hello\n")
    assert response.status_code == 201, response.content
    document = Document.objects.get()
    assert document.name == "passwd.txt"
    [stored] = files_under(media)
    assert stored.resolve().is_relative_to((media / "documents").resolve())
    assert not (media.parent / "etc").exists()


def test_parties_upload_only_into_their_own_thread(world, media) -> None:
    ref = world["reference"]
    refused = upload(world["consumer"], ref, "evidence.pdf", PDF, party="respondent")
    assert refused.status_code == 403
    assert upload(world["practice"], ref, "x.pdf", PDF, party="complainant").status_code == 403
    assert upload(world["stranger"], ref, "x.pdf", PDF).status_code == 404
    assert_nothing_stored(ref, media)
    # Each party's own thread, and staff into either, are fine.
    assert (
        upload(world["consumer"], ref, "receipt.pdf", PDF, party="complainant").status_code == 201
    )
    assert upload(world["handler"], ref, "note.pdf", PDF, party="respondent").status_code == 201
    assert [d["name"] for d in world["practice"].get(f"/cases/{ref}/documents").json()] == [
        "note.pdf"
    ]


def test_nothing_is_uploaded_to_a_closed_case(world, media) -> None:
    Case.objects.filter(reference=world["reference"]).update(is_open=False)
    response = upload(world["practice"], world["reference"], "late.pdf", PDF)
    assert response.status_code == 409
    assert_nothing_stored(world["reference"], media)


def test_text_must_be_utf8_without_nul_bytes(world, media) -> None:
    ref = world["reference"]
    text = "Visit on 3 March — the lenses were wrong. Café receipt attached.\n".encode()
    response = upload(world["practice"], ref, "timeline.txt", text)
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "text/plain; charset=utf-8"
    served = world["handler"].get(f"/cases/{ref}/documents/{response.json()['id']}")
    assert b"".join(served.streaming_content) == text

    with_nul = upload(world["practice"], ref, "notes.txt", b"abc\x00def")
    assert with_nul.status_code == 422
    assert "NUL" in with_nul.json()["message"]
    latin1 = upload(world["practice"], ref, "notes.txt", "Café".encode("latin-1"))
    assert latin1.status_code == 422
    assert "UTF-8" in latin1.json()["message"]
    csv = upload(world["practice"], ref, "table.csv", b"a,b\n1,2\n")
    assert csv.status_code == 422
    assert Document.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg"),
        ("scan.png", png(), "image/png"),
        ("scan.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        ("scan.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "image/webp"),
        ("letter.docx", docx(), documents.DOCX),
        ("scan", PDF, "application/pdf"),
    ],
)
def test_accepted_types_are_recognised_by_content(
    world, media, name: str, content: bytes, content_type: str
) -> None:
    response = upload(world["practice"], world["reference"], name, content)
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == content_type
    if name == "scan":  # a name without an extension gets the content's
        assert response.json()["name"] == "scan.pdf"


def test_an_empty_file_is_refused(world, media) -> None:
    response = upload(world["practice"], world["reference"], "empty.pdf", b"")
    assert response.status_code == 422
    assert_nothing_stored(world["reference"], media)


def test_a_failure_after_the_file_was_written_leaves_no_file(world, media, monkeypatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(documents, "append_event", fail)
    case = Case.objects.get(reference=world["reference"])
    practice = User.objects.get(username="rep")
    with pytest.raises(RuntimeError):
        documents.upload(
            case.pk, practice, Party.RESPONDENT, SimpleUploadedFile("a.pdf", PDF), now=AT
        )
    assert_nothing_stored(world["reference"], media)


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\alex\\My  Letter.pdf", "My Letter.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("ﬁle\tname\x00.pdf", "file name.pdf"),
        ('a<b>c:"d"|e?.pdf', "a_b_c__d__e_.pdf"),
        ("...", "document"),
        ("", "document"),
        (None, "document"),
        ("/", "document"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
    ],
)
def test_names_are_sanitised(raw: str | None, safe: str) -> None:
    assert documents.sanitise_name(raw) == safe
