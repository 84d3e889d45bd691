"""All procedure versions — shipped with Accord, or written and published by an
organisation — and which one is in force on a date.

Packs live in `packs/<key>/v<version>.yaml`. A case is pinned to the version in force
when it was received, so a published version must never change under it:
`packs/published.lock` holds the SHA-256 of every published version, and loading
refuses a file whose content no longer matches (publish a new version instead).

An organisation's own procedures are the same format, checked by the same loader, and
found here like files: their keys are in the organisation's namespace
(`<slug>:<key>`, see `is_own_key`) and their published versions come from an
`OwnVersions` source (the database: `accord.procedures.own`), where a published version
never changes either.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Protocol

from accord.procedures import declarations
from accord.procedures.definition import Procedure
from accord.procedures.loader import (
    ProcedureError,
    load_file,
    load_wording,
    missing_wording,
    unknown_wording,
)

PACKS_DIR = Path(__file__).resolve().parent / "packs"
LOCK_FILE = PACKS_DIR / "published.lock"
WORDING_FILE = "wording.yaml"
NAMESPACE_SEPARATOR = ":"


def is_own_key(key: str) -> bool:
    """An organisation's own procedure (`acme:housing-ombudsman`), not a shipped pack."""
    return NAMESPACE_SEPARATOR in key


@dataclass(frozen=True)
class LoadedProcedure:
    """A validated procedure and where it came from."""

    procedure: Procedure
    path: Path | None  # None: an organisation's own version, kept in the database
    sha256: str


class UnknownProcedure(LookupError):
    """No such procedure, or no version of it in force on the date asked."""


class OwnVersions(Protocol):
    """Where organisations' own published versions are kept."""

    def keys(self) -> list[str]: ...

    def versions(self, key: str) -> dict[int, LoadedProcedure]: ...


class Registry:
    """Every version of every procedure in a folder, validated; with `own`, also every
    organisation's own published versions."""

    def __init__(
        self, packs_dir: Path, lock_file: Path | None = None, own: OwnVersions | None = None
    ) -> None:
        self.packs_dir = packs_dir
        self.lock_file = lock_file
        self.own = own
        self._versions: dict[str, dict[int, LoadedProcedure]] = {}
        locked = _read_lock(lock_file)
        for path in sorted(packs_dir.glob("*/v*.yaml")):
            loaded = _load(path)
            procedure = loaded.procedure
            expected_name = f"v{procedure.version}.yaml"
            if is_own_key(procedure.key):
                raise ProcedureError(
                    str(path), ["a shipped pack's key has no organisation's namespace"]
                )
            if path.name != expected_name or path.parent.name != procedure.key:
                raise ProcedureError(
                    str(path),
                    [f"file must be {procedure.key}/{expected_name} for its key and version"],
                )
            published = locked.get(procedure.ref)
            if published is not None and published != loaded.sha256:
                raise ProcedureError(
                    str(path),
                    [
                        f"{procedure.ref} was published and has since changed; "
                        "cases are pinned to it, so publish a new version instead"
                    ],
                )
            self._versions.setdefault(procedure.key, {})[procedure.version] = loaded
        self._declarations: dict[str, str] = {}
        for key in self._versions:
            for path in sorted((packs_dir / key).glob(declarations.GLOB)):
                self._declare(key, path, locked)

        for key, versions in self._versions.items():
            self._add_wording(key, versions)

    def _declare(self, key: str, path: Path, locked: dict[str, str]) -> None:
        """Apply a declarations file to the published versions it names (see
        `declarations`); it is locked like a version once published."""
        name = f"{key}/{path.name}"
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        if locked.get(name, sha256) != sha256:
            raise ProcedureError(
                str(path), [f"{name} was published and has since changed; add a new file"]
            )
        self._declarations[name] = sha256
        versions = self._versions[key]
        published = (
            {v for v, loaded in versions.items() if loaded.procedure.ref in locked}
            if self.lock_file is not None
            else None
        )
        applied = declarations.apply_file(
            path, {v: loaded.procedure for v, loaded in versions.items()}, published
        )
        for version, procedure in applied.items():
            versions[version] = replace(versions[version], procedure=procedure)

    def _add_wording(self, key: str, versions: dict[int, LoadedProcedure]) -> None:
        """Give every version of `key` without a `wording:` section of its own the
        pack's wording file (`<key>/wording.yaml`, not locked: wording may improve
        for cases already received), checked against each version's keys."""
        path = self.packs_dir / key / WORDING_FILE
        if not path.exists():
            return
        wording = load_wording(path)
        faults = unknown_wording([loaded.procedure for loaded in versions.values()], wording)
        for version, loaded in sorted(versions.items()):
            if loaded.procedure.wording is not None:
                continue
            faults.extend(
                f"{loaded.procedure.ref}: {fault}"
                for fault in missing_wording(loaded.procedure, wording)
            )
            versions[version] = LoadedProcedure(
                loaded.procedure.model_copy(update={"wording": wording}),
                loaded.path,
                loaded.sha256,
            )
        if faults:
            raise ProcedureError(str(path), faults)

    def keys(self) -> list[str]:
        own = self.own.keys() if self.own is not None else []
        return sorted(self._versions) + sorted(own)

    def all(self) -> list[LoadedProcedure]:
        """Every version of the shipped packs (the files: no database needed). An
        organisation's own procedure's versions: `versions_of(key)`."""
        return [
            self._versions[key][version]
            for key in sorted(self._versions)
            for version in sorted(self._versions[key])
        ]

    def versions_of(self, key: str) -> list[LoadedProcedure]:
        """Every version of one procedure, oldest first ([] if there is none)."""
        versions = self._versions_of(key)
        return [versions[version] for version in sorted(versions)]

    def _versions_of(self, key: str) -> dict[int, LoadedProcedure]:
        if is_own_key(key):
            return self.own.versions(key) if self.own is not None else {}
        return self._versions.get(key, {})

    def get(self, key: str, version: int) -> Procedure:
        try:
            return self._versions_of(key)[version].procedure
        except KeyError:
            raise UnknownProcedure(f"no procedure {key}@{version}") from None

    def in_force(self, key: str, on: dt.date) -> Procedure:
        """The latest version of `key` whose effective date is on or before `on`."""
        versions = self._versions_of(key)
        if not versions:
            raise UnknownProcedure(f"no procedure '{key}'")
        candidates = [
            loaded.procedure
            for loaded in versions.values()
            if loaded.procedure.effective_from <= on
        ]
        if not candidates:
            raise UnknownProcedure(f"no version of '{key}' is in force on {on.isoformat()}")
        return max(candidates, key=lambda procedure: procedure.version)

    def unpublished(self) -> list[LoadedProcedure]:
        locked = _read_lock(self.lock_file)
        return [loaded for loaded in self.all() if loaded.procedure.ref not in locked]

    def publish(self, only: set[str] | None = None) -> list[str]:
        """Record not-yet-published versions (all, or those named like ``key@2``) in the
        lock file; return their names."""
        if self.lock_file is None:
            raise RuntimeError("this registry has no lock file")
        locked = _read_lock(self.lock_file)
        unknown = (only or set()) - {loaded.procedure.ref for loaded in self.unpublished()}
        unknown -= set(self._declarations) - set(locked)
        if unknown:
            raise UnknownProcedure(f"not unpublished versions: {', '.join(sorted(unknown))}")
        added = []
        for name, sha256 in self._declarations.items():
            if name not in locked and (only is None or name in only):
                locked[name] = sha256
                added.append(name)
        for loaded in self.unpublished():
            if only is not None and loaded.procedure.ref not in only:
                continue
            locked[loaded.procedure.ref] = loaded.sha256
            added.append(loaded.procedure.ref)
        self.lock_file.write_text(json.dumps(locked, indent=2, sort_keys=True) + "\n")
        return added


def _load(path: Path) -> LoadedProcedure:
    content = path.read_bytes()
    procedure = load_file(path, wording_beside=(path.parent / WORDING_FILE).exists())
    return LoadedProcedure(procedure, path, hashlib.sha256(content).hexdigest())


def _read_lock(lock_file: Path | None) -> dict[str, str]:
    if lock_file is None or not lock_file.exists():
        return {}
    data = json.loads(lock_file.read_text())
    if not isinstance(data, dict):
        raise ProcedureError(str(lock_file), ["the lock file must hold a JSON object"])
    return {str(key): str(value) for key, value in data.items()}


@cache
def registry() -> Registry:
    """The packs shipped with Accord (loaded once per process; packs change only on
    deploy) and the organisations' own published versions (from the database)."""
    from accord.procedures.own import DatabaseVersions

    return Registry(PACKS_DIR, LOCK_FILE, own=DatabaseVersions())
