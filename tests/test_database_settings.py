"""On PostgreSQL the server binds the parameters and a kept connection prepares the
statements it runs again (DB_PREPARE_THRESHOLD, 0 turns it off); SQLite is untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from accord.cases.models import Case

_SHOW = "import json, accord.settings as s; print(json.dumps(s.DATABASES['default'].get('OPTIONS', {})))"


def _options(**env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_"))}
    done = subprocess.run(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", _SHOW],
        env={**clean, **env},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, object] = json.loads(done.stdout)
    return found


def test_postgresql_prepares_repeated_statements_unless_turned_off() -> None:
    url = "postgres://accord@db.example:5432/accord"
    assert _options(DATABASE_URL=url) == {"server_side_binding": True, "prepare_threshold": 2}
    assert _options(DATABASE_URL=url, DB_PREPARE_THRESHOLD="5")["prepare_threshold"] == 5
    assert _options(DATABASE_URL=url, DB_PREPARE_THRESHOLD="0") == {}
    assert "server_side_binding" not in _options()  # SQLite


@pytest.mark.django_db
def test_a_statement_run_again_is_prepared_on_the_connection() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    for n in range(4):  # run twice, then prepared
        assert not Case.objects.filter(reference=f"OCA-2026-{n:06}").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('"cases_case"."reference" = $' in sql for sql in prepared), prepared
