"""Stored files (documents, sent letters' PDFs, binding agreements' PDFs) go through
Django's storage API: local files under MEDIA_ROOT by default, S3-compatible object
storage (django-storages) when ACCORD_S3_BUCKET is set, so every web server reads
what any of them stored. `StoredFile` names one stored file and answers the few
questions the code asks of it, the way a `pathlib.Path` would."""

from __future__ import annotations

from typing import IO, Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage


class StoredFile:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"StoredFile({self.name!r})"

    def __str__(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoredFile) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def open(self, mode: str = "rb") -> File[Any]:
        return default_storage.open(self.name, mode)

    def read_bytes(self) -> bytes:
        with self.open("rb") as handle:
            return bytes(handle.read())

    def exists(self) -> bool:
        return bool(default_storage.exists(self.name))

    is_file = exists

    def unlink(self, missing_ok: bool = False) -> None:
        if not missing_ok and not self.exists():
            raise FileNotFoundError(self.name)
        default_storage.delete(self.name)


def store(name: str, content: bytes | IO[bytes]) -> StoredFile:
    """Store new content under exactly `name` (a fresh random name the caller chose):
    refused if the storage would have had to pick another."""
    payload = ContentFile(content) if isinstance(content, bytes) else File(content)
    saved = default_storage.save(name, payload)
    if saved != name:
        default_storage.delete(saved)
        raise FileExistsError(name)
    return StoredFile(saved)
