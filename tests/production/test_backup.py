"""Backup and restore on PostgreSQL: scripts/backup.sh dumps the database and the stored
files; scripts/restore_check.sh restores them into a fresh database and directory and
checks every file against its recorded SHA-256 — and fails when a file is lost."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as live_settings

from tests.production.harness import ROOT, on_postgresql
from tests.test_proposals import make_world
from tests.test_uploads import PDF, upload

pytestmark = pytest.mark.skipif(
    not on_postgresql(), reason="the backup scripts use pg_dump / pg_restore (PostgreSQL)"
)


def _url() -> str:
    db = live_settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def _run(script: str, *args: str, media: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "DATABASE_URL": _url(), "ACCORD_MEDIA_ROOT": str(media)}
    return subprocess.run(  # noqa: S603
        [str(ROOT / "scripts" / script), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_backup_restores_into_a_fresh_database_and_checks(
    committed_db: None, settings: Any, tmp_path: Path, occs: Any, staff: Any
) -> None:
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    world = make_world(occs, staff)
    assert upload(world["practice"], world["reference"], "records.pdf", PDF).status_code == 201

    backup = tmp_path / "backup"
    made = _run("backup.sh", str(backup), media=media)
    assert made.returncode == 0, made.stderr
    checked = _run("restore_check.sh", str(backup), media=media)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 cases" in checked.stdout
    assert "1 documents" in checked.stdout
    assert "verify_backup: OK" in checked.stdout

    # A backup whose stored files were lost does not check.
    with tarfile.open(backup / "media.tar.gz", "w:gz") as empty:
        empty.addfile(tarfile.TarInfo("README"), io.BytesIO(b""))
    broken = _run("restore_check.sh", str(backup), media=media)
    assert broken.returncode != 0
    assert "file missing" in broken.stderr
