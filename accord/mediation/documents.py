"""Documents in a party's thread: what may be uploaded, and the upload action.

The rules, in the order they are applied to an upload:

1. Size: read in chunks and refused the moment the running total passes
   `settings.ACCORD_MAX_UPLOAD_BYTES` (the rest is never read). SHA-256 is computed on
   the same pass.
2. Type, from the content: `filetype`'s magic numbers decide what the file is; its
   name only has to agree. PDF, JPEG, PNG, GIF, WebP, HEIC, DOCX and XLSX are accepted
   (an OOXML file must open as a zip and carry no macros). Plain text has no magic
   number: it is accepted only if it is UTF-8 with no NUL byte, does not open like
   HTML, SVG, XML or a script, and its name ends `.txt`. Anything else (programs,
   other archives, HTML, SVG, scripts) is refused. A file whose content is one thing
   while its name says another (a program or a web page renamed `.pdf`, a PDF renamed
   `.png`) is refused as *disguised*, naming what the content is.
3. Name: sanitised for display and download only (see `sanitise_name`); files are
   stored under a random name, `MEDIA_ROOT/documents/<2-char prefix>/<token>`, outside
   the web root, written to a temporary file and renamed into place only after every
   check passed.

Nothing is stored for a refused file, and a file written for an upload whose database
writes then fail is removed again.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
import secrets
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

import filetype  # type: ignore[import-untyped]
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.db import transaction

from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.engine import lock_case
from accord.cases.errors import ActionRefused, InvalidAction
from accord.cases.models import Case
from accord.cases.timeline import append_event
from accord.mediation.choices import Party
from accord.mediation.models import Document
from accord.mediation.opening import reach_respondent
from accord.mediation.threads import thread_of
from accord.mediation.visibility import require_thread_access
from accord.policy.roles import is_staff_of, staff_role
from accord.storage import StoredFile, store

DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
CHUNK = 64 * 1024
HEAD = 8192  # what `filetype` looks at
MAX_NAME = 100
FALLBACK_NAME = "document"
STORED_AS = re.compile(r"^[0-9a-f]{32}$")


def max_upload_bytes() -> int:
    return int(getattr(settings, "ACCORD_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size / 1024:.1f} KB".replace(".0 KB", " KB")
    return f"{size} bytes"


# --- refusals --------------------------------------------------------------------------


class UploadTooLarge(InvalidAction):
    status = 413
    code = "too_large"


class DisguisedFile(InvalidAction):
    code = "disguised"


class UnsupportedType(InvalidAction):
    code = "unsupported_type"


# --- types -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """An accepted type: how to call it, the Content-Type it is served with, and the
    extensions its name may have (the first is added to a name that has none)."""

    label: str
    content_type: str
    extensions: tuple[str, ...]


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# By the MIME type `filetype` detects from the content.
ACCEPTED: dict[str, Kind] = {
    "application/pdf": Kind("a PDF", "application/pdf", ("pdf",)),
    "image/jpeg": Kind("a JPEG image", "image/jpeg", ("jpg", "jpeg")),
    "image/png": Kind("a PNG image", "image/png", ("png",)),
    "image/apng": Kind("a PNG image", "image/png", ("png", "apng")),
    "image/gif": Kind("a GIF image", "image/gif", ("gif",)),
    "image/webp": Kind("a WebP image", "image/webp", ("webp",)),
    "image/heic": Kind("a HEIC image", "image/heic", ("heic", "heif")),
    DOCX: Kind("a Word document (DOCX)", DOCX, ("docx",)),
    XLSX: Kind("an Excel workbook (XLSX)", XLSX, ("xlsx",)),
}
TEXT = Kind("plain text", "text/plain; charset=utf-8", ("txt",))
OOXML = frozenset({DOCX, XLSX})

# What a name's extension claims, for the "disguised" message.
CLAIMED: dict[str, Kind] = {
    ext: kind for kind in (*ACCEPTED.values(), TEXT) for ext in kind.extensions
}

# Friendlier words for refused types `filetype` recognises (by its extension).
REFUSED_LABELS = {
    "exe": "a Windows program (EXE)",
    "elf": "a Linux program (ELF)",
    "wasm": "a WebAssembly program",
    "zip": "a ZIP archive",
    "rar": "a RAR archive",
    "7z": "a 7-Zip archive",
    "gz": "a gzip archive",
    "tar": "a tar archive",
    "cab": "a cabinet archive",
    "doc": "an old-format Word document (DOC)",
    "xls": "an old-format Excel workbook (XLS)",
    "swf": "a Flash file",
}

# Text that a browser or an interpreter would treat as markup or a program. Checked at
# the start of the file (after a BOM and white space), as browsers sniff.
ACTIVE_TEXT: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"<\?php", re.I), "PHP code"),
    (re.compile(r"<svg[\s>/]", re.I), "an SVG image"),
    (re.compile(r"<\?xml[\s?]", re.I), "XML"),
    (
        re.compile(
            r"<(?:!doctype\s+html|html|head|body|script|iframe|style|title|table|div|font|"
            r"br|p|b|a|h1|!--)[\s>/]",
            re.I,
        ),
        "HTML",
    ),
    (re.compile(r"#!"), "a script"),
)

ACCEPTED_SUMMARY = (
    "upload a PDF, an image (JPEG, PNG, GIF, WebP, HEIC), a Word (.docx) or Excel (.xlsx) "
    "document, or a UTF-8 text file named .txt"
)


def extension_of(name: str) -> str:
    """The lower-case extension of a (sanitised) name, or "" if it has none."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or not re.fullmatch(r"[A-Za-z0-9]{1,8}", ext):
        return ""
    return ext.lower()


def sanitise_name(raw: str | None) -> str:
    """A safe name to show and to offer on download; never used to store the file.
    Keeps the base name (no directories), normalises Unicode (NFKC), drops control and
    formatting characters (including bidirectional overrides) and characters file
    systems forbid, collapses white space, trims leading dots, and limits the length
    while keeping the extension. Falls back to "document"."""
    name = unicodedata.normalize("NFKC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if ch.isspace() or not unicodedata.category(ch).startswith("C")
    )
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if len(name) > MAX_NAME:
        ext = extension_of(name)
        keep = MAX_NAME - (len(ext) + 1 if ext else 0)
        name = name[:keep].rstrip(" .") + (f".{ext}" if ext else "")
    return name.strip(" .") or FALLBACK_NAME


@dataclass(frozen=True)
class Checked:
    """An upload that passed every check: what to store and to record."""

    name: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class _Read:
    size: int
    sha256: str
    head: bytes
    utf8: bool
    has_nul: bool


def _read(uploaded: UploadedFile[bytes]) -> _Read:
    """One pass over the upload: size (refused past the limit), SHA-256, the head for
    type detection, and whether it is UTF-8 text without NUL bytes."""
    limit = max_upload_bytes()
    too_large = UploadTooLarge(
        f"the file is larger than the {_human(limit)} limit; it was not stored", field="file"
    )
    if uploaded.size is not None and uploaded.size > limit:
        raise too_large  # Django knows the size already: do not read it at all.
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size, head, utf8, has_nul = 0, b"", True, False
    for chunk in uploaded.chunks(CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_large
        digest.update(chunk)
        if len(head) < HEAD:
            head += chunk[: HEAD - len(head)]
        has_nul = has_nul or b"\x00" in chunk
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    return _Read(size, digest.hexdigest(), head, utf8, has_nul)


def _refuse(name: str, ext: str, what: str) -> ActionRefused:
    """The refusal for content that is `what` (not an accepted type)."""
    if ext in CLAIMED:
        return DisguisedFile(
            f"“{name}” looks disguised: its name says {CLAIMED[ext].label} but its "
            f"content is {what}; it was not stored",
            field="file",
        )
    return UnsupportedType(
        f"“{name}” is {what}, which is not accepted; {ACCEPTED_SUMMARY}", field="file"
    )


def _check_ooxml(uploaded: UploadedFile[bytes], name: str, kind: Kind) -> None:
    """A DOCX/XLSX must open as a zip with its content-types part, and carry no macros."""
    try:
        uploaded.seek(0)
        with zipfile.ZipFile(uploaded) as archive:
            members = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise UnsupportedType(
            f"“{name}” looks like {kind.label} but is damaged and cannot be opened",
            field="file",
        ) from exc
    finally:
        uploaded.seek(0)
    if "[Content_Types].xml" not in members:
        raise UnsupportedType(
            f"“{name}” looks like {kind.label} but is not a valid one", field="file"
        )
    if any(member.lower().endswith("vbaproject.bin") for member in members):
        raise UnsupportedType(
            f"“{name}” contains macros, which are not accepted; save it without macros "
            "(as .docx or .xlsx) and upload it again",
            field="file",
        )


def check_upload(uploaded: UploadedFile[bytes]) -> Checked:
    """Every check an upload must pass, without storing anything. Raises a refusal that
    says what was wrong."""
    name = sanitise_name(uploaded.name)
    read = _read(uploaded)
    if read.size == 0:
        raise InvalidAction(f"“{name}” is empty", field="file")
    ext = extension_of(name)
    detected = filetype.guess(read.head)
    if detected is not None:
        kind = ACCEPTED.get(detected.mime)
        if kind is None:
            what = REFUSED_LABELS.get(
                detected.extension, f"a {detected.extension.upper()} file ({detected.mime})"
            )
            raise _refuse(name, ext, what)
        if not ext:
            name = f"{name[: MAX_NAME - 6]}.{kind.extensions[0]}"
        elif ext not in kind.extensions:
            claimed = CLAIMED[ext].label if ext in CLAIMED else f"a .{ext} file"
            raise DisguisedFile(
                f"“{name}” looks disguised: its name says {claimed} but its content is "
                f"{kind.label}; rename it to .{kind.extensions[0]} if that is what it is. "
                "It was not stored",
                field="file",
            )
        if detected.mime in OOXML:
            _check_ooxml(uploaded, name, kind)
        return Checked(name, kind.content_type, read.size, read.sha256)
    # No magic number: only plain text is accepted.
    if read.has_nul or not read.utf8:
        what = "binary data of a type that is not recognised"
        if ext == "txt":
            reason = "contains NUL bytes" if read.has_nul else "is not UTF-8 text"
            raise UnsupportedType(
                f"“{name}” {reason}; a .txt file must be plain UTF-8 text", field="file"
            )
        raise _refuse(name, ext, what)
    start = read.head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n\f")
    for pattern, what in ACTIVE_TEXT:
        if pattern.match(start):
            raise _refuse(name, ext, what)
    if ext != "txt":
        if ext in CLAIMED:
            raise _refuse(name, ext, "plain text")
        raise UnsupportedType(
            f"“{name}” is text; text is accepted only as a .txt file", field="file"
        )
    return Checked(name, TEXT.content_type, read.size, read.sha256)


# --- storage ---------------------------------------------------------------------------


def documents_root() -> str:
    return "documents"


def path_of(stored_as: str) -> StoredFile:
    """Where a stored document lives. Refuses anything but a token this module made, so
    a stored name can never point elsewhere."""
    if not STORED_AS.fullmatch(stored_as):
        raise ValueError(f"not a stored document name: {stored_as!r}")
    return StoredFile(f"{documents_root()}/{stored_as[:2]}/{stored_as}")


def _store(uploaded: UploadedFile[bytes], checked: Checked) -> tuple[str, StoredFile]:
    """Store the checked upload under a fresh random name (through the storage API). The
    content is hashed again on the way and must be the content that was checked."""
    while True:
        token = secrets.token_hex(16)
        if not path_of(token).exists():
            break
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as spool:
        digest = hashlib.sha256()
        size = 0
        for chunk in uploaded.chunks(CHUNK):
            size += len(chunk)
            if size > checked.size:
                break
            digest.update(chunk)
            spool.write(chunk)
        if (size, digest.hexdigest()) != (checked.size, checked.sha256):
            raise InvalidAction("the file changed while it was being stored", field="file")
        spool.seek(0)
        final = store(path_of(token).name, spool)
    return token, final


# --- the action ------------------------------------------------------------------------


def _actor_role(user: User, case: Case, party: Party) -> str:
    role = staff_role(user)
    if role is not None and is_staff_of(user, case.organisation_id):
        return role.value
    return party.value


def upload(
    case_id: int, actor: User, party: Party, uploaded_file: UploadedFile[bytes], *, now: dt.datetime
) -> Document:
    """Put a document in `party`'s thread: the party itself, or staff. One `document`
    event records the thread, the document, its hash, size and type — never its
    content."""
    stored: StoredFile | None = None
    try:
        with transaction.atomic():
            case = lock_case(case_id)
            require_thread_access(actor, case, party, writing=True)
            opened = party == Party.RESPONDENT and reach_respondent(case, now)
            checked = check_upload(uploaded_file)
            token, stored = _store(uploaded_file, checked)
            actor_role = _actor_role(actor, case, party)
            document = Document.objects.create(
                thread=thread_of(case, party),
                uploaded_by=actor,
                uploaded_at=now,
                name=checked.name,
                stored_as=token,
                content_type=checked.content_type,
                size=checked.size,
                sha256=checked.sha256,
            )
            data: dict[str, Any] = {
                "thread": party.value,
                "document": document.pk,
                "sha256": checked.sha256,
                "size": checked.size,
                "content_type": checked.content_type,
            }
            if opened:
                data["opened_to_respondent"] = True
            append_event(
                case,
                kind=EventKind.DOCUMENT,
                at=now,
                actor=actor,
                actor_role=actor_role,
                data=data,
            )
            case.save(update_fields=["event_count", "updated_at"])
    except BaseException:
        if stored is not None:
            stored.unlink(missing_ok=True)  # no file without its row
        raise
    return document


# --- refusing an oversized request before Django has read it ---------------------------

MULTIPART_ALLOWANCE = 64 * 1024


class UploadRefusedWhileArriving(RequestDataTooBig):
    """An upload refused by `UploadLimitHandler` while arriving; its message is for the user."""


class UploadLimitHandler(FileUploadHandler):
    """Optional, for `FILE_UPLOAD_HANDLERS` (first in the list): refuses a multipart
    request whose declared length, or any file in it, passes the document limit while
    the request is still arriving (413), instead of Django spooling it all to disk
    before the view runs."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        if content_length > max_upload_bytes() + MULTIPART_ALLOWANCE:
            raise UploadRefusedWhileArriving(
                f"the file is larger than the {_human(max_upload_bytes())} limit; it was not stored"
            )

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > max_upload_bytes():
            raise UploadRefusedWhileArriving(
                f"the file is larger than the {_human(max_upload_bytes())} limit; it was not stored"
            )
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
