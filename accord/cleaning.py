"""The one rule for text that comes from outside (the API, the pages' forms, e-mail):
characters no database should store.

Unstorable are the C0 control characters except tab, line feed and carriage return
(U+0000-U+0008, U+000B, U+000C, U+000E-U+001F) and lone surrogates (U+D800-U+DFFF).
PostgreSQL refuses NUL in text outright; a lone surrogate (a JSON "\\ud800" escape)
cannot be encoded as UTF-8 by either database driver; the other C0 controls are stored
by both but are not allowed in XML 1.0, so they would break the XLSX exports, the
letters' PDFs and the pages, and no one types them in a complaint. DEL and the C1
controls are kept: both databases and XML store them, and mis-decoded text carries them.

Typed text is refused, naming the field, so the sender can correct it: the API
(`StorableTextParser`, a 422 like every other validation error) and every form
(`StorableTextMixin`, a form error on the field). E-mail cannot be sent back, so the
characters are removed from its text, subject, sender name and file names, and the
removal is noted on the inbound record (`remove`). An uploaded file's name is never
refused either: `mediation.documents.sanitise_name` drops every control character from
it (and more) before it is shown or stored."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")

_NAMES = {"\x00": "NUL"}


def describe(char: str) -> str:
    """'NUL (U+0000)', 'a control character (U+001B)', 'a lone surrogate (U+D800)'."""
    code = f"U+{ord(char):04X}"
    if char in _NAMES:
        return f"{_NAMES[char]} ({code})"
    if "\ud800" <= char <= "\udfff":
        return f"a lone surrogate ({code})"
    return f"a control character ({code})"


def problem(text: str) -> str | None:
    """Why `text` cannot be stored (its first unstorable character), or None."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    return f"contains {describe(found.group())}, which cannot be stored; remove it"


def remove(text: str) -> tuple[str, int]:
    """`text` without its unstorable characters, and how many were removed."""
    return UNSTORABLE.subn("", text)


def first_unstorable(data: Any, path: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """The first string (a value or a key) anywhere in parsed JSON or form data that
    cannot be stored: (its dotted path, the problem), or None."""
    for where, text in _strings(data, path):
        found = problem(text)
        if found is not None:
            return ".".join(where), found
    return None


def _strings(data: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            where = (*path, str(key))
            if isinstance(key, str):
                yield where, key
            yield from _strings(value, where)
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from _strings(value, (*path, str(index)))


class UnstorableText(ValueError):
    """Text from outside that cannot be stored; `field` names where it was."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


def refuse(data: Any, path: tuple[str, ...] = ()) -> None:
    """Raise `UnstorableText` for the first unstorable string in `data`."""
    found = first_unstorable(data, path)
    if found is not None:
        raise UnstorableText(*found)


def validate_storable(value: Any) -> None:
    """A Django validator: the form field's error when its value (text, or a list of
    them) cannot be stored."""
    from django.core.exceptions import ValidationError

    found = first_unstorable(value)
    if found is not None:
        message = found[1]
        raise ValidationError(message[:1].upper() + message[1:] + ".", code="unstorable")


def _guarded(clean: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(value: Any, *args: Any, **kwargs: Any) -> Any:
        validate_storable(value)  # before the field parses it or looks anything up
        return clean(value, *args, **kwargs)

    return guarded


class StorableTextMixin:
    """Every field of the form refuses unstorable characters in what was sent for it
    (a form error on that field), before the field itself reads the value."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():  # type: ignore[attr-defined]
            field.clean = _guarded(field.clean)
