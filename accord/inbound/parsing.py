"""Reading a received message: who sent it, to whom, whether a machine sent it, its
text (HTML reduced to text, quoted history trimmed) and its attachments.

`parse` raises `Unreadable` with the reason for a message that is malformed or cannot
be decoded; `parse_leniently` never raises (for staff releasing such a message).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from accord import cleaning

SERIOUS_DEFECTS: tuple[type[email_errors.MessageDefect], ...] = (
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.CloseBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
    email_errors.MissingHeaderBodySeparatorDefect,
    email_errors.InvalidBase64PaddingDefect,
    email_errors.InvalidBase64CharactersDefect,
    email_errors.InvalidBase64LengthDefect,
)
AUTO_PRECEDENCE = frozenset({"bulk", "auto_reply", "junk", "list"})
DAEMON_SENDERS = frozenset({"mailer-daemon", "postmaster"})
AUTO_SUBJECTS = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?reply|out of (the )?office|undeliverable|"
    r"delivery status notification|mail delivery failed)\b",
    re.I,
)
FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw)\s*:", re.I)
# Beyond these the email package's header parsing grows slow (and memory-hungry) much
# faster than the input; no genuine message comes near them.
MAX_HEADER_FIELD = 32 * 1024
MAX_HEADER_SECTION = 512 * 1024
# What makes two deliveries the same message (trace headers added on the way differ).
FINGERPRINTED = ("from", "to", "cc", "date", "subject")
UNDECODABLE = (email_errors.UndecodableBytesDefect, email_errors.CharsetError)
ADDRESS_LIKE = re.compile(r"[^\s<>\"'@,;:()]+@[^\s<>\"'@,;:()]+\.[^\s<>\"'@,;:()]+")


class Unreadable(Exception):
    """The message is malformed or cannot be decoded; the text says how."""


@dataclass(frozen=True)
class Attachment:
    name: str
    content: bytes
    content_type: str


@dataclass
class Parsed:
    message_id: str
    sender: str  # the address, lower case
    sender_name: str
    subject: str
    recipients: list[str]  # from the headers (To, Cc, Delivered-To, X-Original-To)
    automatic: str  # why it is an auto-reply or a bounce, or ""
    text: str  # the new text, quoted history trimmed
    full_text: str  # the text as written, with any quoted history
    trimmed: bool
    attachments: list[Attachment] = field(default_factory=list)
    # Notes for staff: what was removed from the text to store it (`accord.cleaning`).
    cleaned: list[str] = field(default_factory=list)
    # The Authentication-Results header values, top (the last server's) first.
    authentication_results: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    """Text that every database stores (`accord.cleaning`: no NUL, no other control
    character but tab and line ends, no lone surrogate from bytes that could not be
    decoded)."""
    return cleaning.remove(text)[0]


def _removal_note(counts: dict[str, int]) -> list[str]:
    """The note on the record when characters no database stores were removed."""
    found = [f"{count} from the {where}" for where, count in counts.items() if count]
    if not found:
        return []
    return [
        "[Characters no database stores (NUL or other control characters) were removed: "
        + ", ".join(found)
        + "; the e-mail is kept as received]"
    ]


def header_fields(raw: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The header fields (name lower-cased, value unfolded) and the body of `raw`, read
    from the bytes themselves: never raises, whatever the message."""
    text = raw.replace(b"\r\n", b"\n")
    head, separator, body = text.partition(b"\n\n")
    if not separator and not text.startswith(b"\n"):
        head, body = text, b""
    fields: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\n"):
        if fields and (line[:1] in {b" ", b"\t"} or b":" not in line):
            name, value = fields[-1]
            fields[-1] = (name, value + b" " + line.strip())
        elif b":" in line:
            name, _, value = line.partition(b":")
            fields.append((name.strip().lower(), value.strip()))
    return fields, body


def fingerprint(raw: bytes) -> str:
    """SHA-256 of what makes a message this message: its From, To, Cc, Date and Subject
    and its body, not the trace headers (Received, Delivered-To, Authentication-Results,
    DKIM-Signature, ARC-*, X-*…) each delivery adds, nor line endings."""
    fields, body = header_fields(raw)
    digest = hashlib.sha256()
    for name, value in fields:
        if name.decode("ascii", errors="replace") in FINGERPRINTED:
            digest.update(name + b":" + b" ".join(value.split()) + b"\n")
    digest.update(b"\n" + body.rstrip())
    return digest.hexdigest()


def check_size_and_bytes(raw: bytes) -> None:
    """Refuse, before the email package reads it, what it could choke on or the
    database could not store."""
    if b"\x00" in raw:
        raise Unreadable("the message contains NUL bytes, which e-mail may not carry")
    fields, body = header_fields(raw)
    section = len(raw) - len(body)
    if section > MAX_HEADER_SECTION:
        raise Unreadable(
            f"the header section is too large ({section} bytes; the limit is {MAX_HEADER_SECTION})"
        )
    for name, value in fields:
        if len(value) > MAX_HEADER_FIELD:
            shown = _clean(name.decode("ascii", errors="replace"))[:60]
            raise Unreadable(
                f"the {shown}: header is too long ({len(value)} bytes; the limit is "
                f"{MAX_HEADER_FIELD})"
            )


def message_key(message_id: str, content: str) -> str:
    """The Message-ID, or for a message without one its content `fingerprint`."""
    return message_id or f"sha256:{content}"


def parse(raw: bytes, *, envelope_from: str | None = None) -> Parsed:
    """Read `raw`; raises `Unreadable` with the reason if it cannot be read faithfully."""
    try:
        check_size_and_bytes(raw)
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        return _read(message, raw, envelope_from, strict=True)
    except Unreadable:
        raise
    except Exception as exc:  # any other failure of the email package is a broken message
        raise Unreadable(f"the message could not be read ({type(exc).__name__}: {exc})") from exc


def parse_leniently(raw: bytes) -> Parsed:
    """Whatever can be read of `raw`, replacing what cannot be decoded."""
    try:
        try:
            check_size_and_bytes(raw)
        except Unreadable as exc:
            if "NUL" not in str(exc):
                raise  # headers too large for the email package: the bytes as text
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        return _read(message, raw, None, strict=False)
    except Exception:
        return _from_bytes(raw)


def _from_bytes(raw: bytes) -> Parsed:
    """What staff need to recognise a message the email package cannot read: the
    headers as read from the bytes, the rest as text."""
    fields, _ = header_fields(raw)

    def values(*names: str) -> list[str]:
        wanted = {name.encode() for name in names}
        return [
            _clean(value.decode("utf-8", errors="replace"))
            for name, value in fields
            if name in wanted and len(value) <= MAX_HEADER_FIELD
        ]

    sender_name, sender = parseaddr(next(iter(values("from")), ""))
    text = _clean(raw.decode("utf-8", errors="replace"))
    return Parsed(
        message_id=next(iter(values("message-id")), "")[:400],
        sender=sender.strip().lower(),
        sender_name=sender_name.strip(),
        subject=next(iter(values("subject")), "")[:400],
        recipients=[
            address.strip().lower()
            for _, address in getaddresses(values("delivered-to", "x-original-to", "to", "cc"))
            if "@" in address
        ],
        automatic="",
        text=text.strip(),
        full_text=text,
        trimmed=False,
    )


# --- headers ---------------------------------------------------------------------------


def _raw_header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:
        value = None
    return "" if value is None else str(value)


def _header(message: EmailMessage, name: str) -> str:
    return _clean(" ".join(_raw_header(message, name).split()))


def _addresses(message: EmailMessage, *names: str) -> list[str]:
    found: list[str] = []
    for name in names:
        for value in message.get_all(name) or []:
            for _, address in getaddresses([str(value)]):
                if "@" in address:
                    found.append(address.strip().lower())
    return found


def _check_decodable(message: EmailMessage, name: str) -> None:
    for value in message.get_all(name) or []:
        for defect in getattr(value, "defects", ()):
            if isinstance(defect, UNDECODABLE):
                raise Unreadable(f"the {name}: header cannot be decoded ({defect})")
        if "\ufffd" in str(value):  # unstructured headers replace what they cannot decode
            raise Unreadable(
                f"the {name}: header cannot be decoded (bytes not valid in its charset)"
            )


def check_from(message: EmailMessage) -> None:
    """Exactly one From header naming exactly one address, whose display name does not
    show another address: anything else could pass one sender off as another."""
    headers = message.get_all("From") or []
    if len(headers) > 1:
        shown = "; ".join(_clean(" ".join(str(h).split()))[:120] for h in headers[:5])
        raise Unreadable(
            f"the message has {len(headers)} From: headers ({shown}); one sender is allowed"
        )
    if not headers:
        raise Unreadable("the message has no valid From address (no From: header)")
    _check_decodable(message, "From")
    header = headers[0]
    addresses = list(getattr(header, "addresses", ()))
    if any(isinstance(d, email_errors.InvalidHeaderDefect) for d in header.defects):
        raise Unreadable(
            f"the From: header is malformed ({_clean(str(header))[:200]}); it must name one address"
        )
    if len(addresses) > 1:
        shown = ", ".join(_clean(a.addr_spec) for a in addresses[:5])
        raise Unreadable(
            f"the From: header names {len(addresses)} addresses ({shown}); one sender is allowed"
        )
    if not addresses or "@" not in addresses[0].addr_spec:
        raise Unreadable("the message has no valid From address")
    address = addresses[0].addr_spec.strip().lower()
    for shown in ADDRESS_LIKE.findall(addresses[0].display_name):
        if shown.lower() != address:
            raise Unreadable(
                f"the From: display name shows the address {_clean(shown)[:100]}, not the "
                f"sender's own ({_clean(address)[:100]})"
            )


def automatic_reason(message: EmailMessage, sender: str, envelope_from: str | None) -> str:
    """Why this message was sent by a machine (auto-reply, out of office, bounce), or ""."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response"):
        if _header(message, name):
            return f"{name} header"
    precedence = _header(message, "Precedence").lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if message.get_content_type() == "multipart/report":
        report = message.get_param("report-type") or ""
        return f"delivery report (multipart/report {report})".replace(" )", ")")
    if sender.split("@", 1)[0] in DAEMON_SENDERS:
        return f"sent by {sender}"
    if envelope_from is not None and envelope_from.strip("<> ") == "":
        return "null envelope sender (a bounce)"
    subject = _header(message, "Subject")
    if AUTO_SUBJECTS.match(subject):
        return f"automatic subject: {subject[:80]}"
    return ""


# --- the text --------------------------------------------------------------------------


def _decoded_text(part: EmailMessage, strict: bool) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return payload.decode(charset, errors="strict" if strict else "replace")
    except LookupError as exc:
        if strict:
            raise Unreadable(f"the text is in an unknown character set “{charset}”") from exc
        return payload.decode("utf-8", errors="replace")
    except UnicodeDecodeError as exc:
        if charset.lower() in {"us-ascii", "ascii"}:
            # 8-bit text labelled ASCII (or not labelled): UTF-8 is the usual truth.
            try:
                return payload.decode("utf-8")
            except UnicodeDecodeError:
                pass
        raise Unreadable(f"the text is not valid {charset} and cannot be decoded") from exc


class _TextExtractor(HTMLParser):
    """Text from HTML, for reading only: no markup is kept. Block elements end lines;
    quoted (blockquote) content is prefixed with "> " so quote trimming sees it."""

    BLOCKS = frozenset(
        {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "hr",
         "blockquote", "pre", "ul", "ol", "section", "article", "header", "footer"}
    )  # fmt: skip
    HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.hidden = 0
        self.quote = 0

    def _end_line(self) -> None:
        line = " ".join("".join(self.current).split())
        self.current = []
        prefix = "> " * self.quote
        self.lines.append(f"{prefix}{line}".rstrip() if line else prefix.rstrip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self._end_line()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "li":
                self.current.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self._end_line()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.current.append(data)

    def text(self) -> str:
        self._end_line()
        out: list[str] = []
        for line in self.lines:
            if line or (out and out[-1]):
                out.append(line)
        return "\n".join(out).strip()


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor.text()


WROTE = re.compile(r"^\s*(On|Le|Am|El)\s.{3,300}(wrote|a écrit|schrieb|escribió)\s*:\s*$", re.I)
ORIGINAL = re.compile(r"^\s*-{2,}\s*(Original Message|Urspr.ngliche Nachricht)\s*-{2,}\s*$", re.I)
FORWARDED = re.compile(r"^\s*(-{2,}\s*Forwarded message\s*-{2,}|Begin forwarded message:)", re.I)
OUTLOOK_FROM = re.compile(r"^\s*\*?From:\*?\s+\S")
OUTLOOK_SENT = re.compile(r"^\s*\*?(Sent|Date):\*?\s+\S")
RULE = re.compile(r"^\s*_{10,}\s*$")


def trim_quoted(text: str, *, forwarded: bool = False) -> tuple[str, bool]:
    """The new text of a reply without the quoted history: cut at "On … wrote:",
    "-----Original Message-----" or an Outlook "From: … Sent: …" block, and drop lines
    quoted with ">". A forwarded message keeps what it forwards."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = len(lines)
    forward_at = len(lines)
    for i, line in enumerate(lines):
        if forwarded and FORWARDED.match(line):
            forward_at = cut = i
            break
        joined = line + " " + lines[i + 1] if i + 1 < len(lines) else line
        if WROTE.match(line) or (line.strip().lower().startswith("on ") and WROTE.match(joined)):
            cut = i
            break
        if ORIGINAL.match(line):
            cut = i
            break
        if not forwarded and OUTLOOK_FROM.match(line):
            following = lines[i + 1 : i + 5]
            if any(OUTLOOK_SENT.match(other) for other in following):
                cut = i - 1 if i > 0 and RULE.match(lines[i - 1]) else i
                break
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    trimmed = cut < forward_at or len(kept) < cut
    kept += lines[forward_at:]
    result = "\n".join(kept).strip()
    result = re.sub(r"\n{3,}", "\n\n", result)
    return result, trimmed


# --- parts -----------------------------------------------------------------------------


def _leaves(part: EmailMessage) -> list[EmailMessage]:
    if part.is_multipart() and part.get_content_maintype() != "message":
        leaves: list[EmailMessage] = []
        for sub in part.iter_parts():
            assert isinstance(sub, EmailMessage)
            leaves.extend(_leaves(sub))
        return leaves
    return [part]


def _check_defects(message: EmailMessage) -> None:
    for part in message.walk():
        for defect in getattr(part, "defects", []):
            if isinstance(defect, SERIOUS_DEFECTS):
                raise Unreadable(f"the message is malformed: {type(defect).__name__}")


@dataclass(frozen=True)
class _Leaf:
    """A leaf part with its headers read once (each read re-parses the header)."""

    part: EmailMessage
    content_type: str
    filename: str
    disposition: str

    @property
    def inline_text(self) -> bool:
        return (
            self.content_type.startswith("text/")
            and not self.filename
            and self.disposition != "attachment"
        )


def _leaf(part: EmailMessage) -> _Leaf:
    return _Leaf(
        part,
        part.get_content_type(),
        part.get_filename() or "",
        part.get_content_disposition() or "",
    )


def _attachment_of(leaf: _Leaf, index: int, strict: bool) -> Attachment | None:
    part = leaf.part
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload:
        return None
    maintype = leaf.content_type.partition("/")[0]
    name = _clean(leaf.filename) or f"{'image' if maintype == 'image' else 'attachment'}-{index}"
    if maintype == "text" and name.lower().endswith(".txt"):
        # Upload rules take UTF-8 text only: re-encode text attachments in other charsets.
        payload = _decoded_text(part, strict).encode("utf-8")
    return Attachment(name=name, content=payload, content_type=leaf.content_type)


def _forwarded_text(part: EmailMessage, strict: bool) -> str:
    inner = part.get_payload(0) if part.is_multipart() else part.get_content()
    if not isinstance(inner, EmailMessage):
        return ""
    body = inner.get_body(preferencelist=("plain", "html"))
    text = ""
    if isinstance(body, EmailMessage):
        text = _decoded_text(body, strict)
        if body.get_content_subtype() == "html":
            text = html_to_text(text)
    head = "\n".join(
        f"{name}: {_header(inner, name)}"
        for name in ("From", "Date", "Subject")
        if _header(inner, name)
    )
    return f"---------- Forwarded message ----------\n{head}\n\n{text.strip()}"


def _read(message: EmailMessage, raw: bytes, envelope_from: str | None, strict: bool) -> Parsed:
    if strict:
        if not raw.strip():
            raise Unreadable("the message is empty")
        _check_defects(message)
    if strict:
        check_from(message)
        _check_decodable(message, "Subject")
    sender_name, sender = parseaddr(_header(message, "From"))
    sender = sender.strip().lower()
    subject = _header(message, "Subject")
    message_id = _header(message, "Message-ID")[:400]
    automatic = automatic_reason(message, sender, envelope_from)
    leaves = [_leaf(part) for part in _leaves(message)]
    body = next(
        (leaf for leaf in leaves if leaf.inline_text and leaf.content_type == "text/plain"),
        None,
    ) or next(
        (leaf for leaf in leaves if leaf.inline_text and leaf.content_type == "text/html"), None
    )
    full = ""
    if body is not None:
        full = _decoded_text(body.part, strict)
        if body.content_type == "text/html":
            full = html_to_text(full)
    attachments: list[Attachment] = []
    forwards: list[str] = []
    for index, leaf in enumerate(leaves, start=1):
        if leaf is body or leaf.inline_text:
            continue  # the body, or another rendering of it (e.g. the HTML alternative)
        if leaf.content_type == "message/rfc822":
            forwards.append(_forwarded_text(leaf.part, strict))
            continue
        if leaf.content_type in {"message/delivery-status", "text/rfc822-headers"}:
            continue
        attachment = _attachment_of(leaf, index, strict)
        if attachment is not None:
            attachments.append(attachment)
    if forwards:
        full = "\n\n".join([full.strip(), *forwards]).strip()
    full, in_text = cleaning.remove(full)
    in_headers = sum(
        len(cleaning.UNSTORABLE.findall(_raw_header(message, name))) for name in ("From", "Subject")
    )
    in_names = sum(
        len(cleaning.UNSTORABLE.findall(leaf.filename)) for leaf in leaves if leaf.filename
    )
    cleaned = _removal_note({"headers": in_headers, "text": in_text, "file names": in_names})
    forwarded = bool(FORWARD_SUBJECT.match(subject)) or bool(forwards)
    text, trimmed = trim_quoted(full, forwarded=forwarded)
    return Parsed(
        message_id=message_id,
        sender=sender,
        sender_name=sender_name.strip(),
        subject=subject[:400],
        recipients=_addresses(message, "Delivered-To", "X-Original-To", "To", "Cc"),
        automatic=automatic,
        text=text,
        full_text=full,
        trimmed=trimmed,
        attachments=attachments,
        cleaned=cleaned,
        authentication_results=[
            _clean(" ".join(str(value).split()))
            for value in message.get_all("Authentication-Results") or []
        ],
    )
