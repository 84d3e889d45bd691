"""The database triggers that keep the timeline append-only, in one place.

SQLite rebuilds a table for many schema changes (adding a NOT NULL column, say): it
creates the new table, drops the old one and renames the new one, and the rename fails
while a trigger refers to the table. A migration that rebuilds `cases_case` or
`cases_event` on SQLite therefore wraps its operations in `suspended(...)`.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

SQLITE_INSTALL = [
    """
    CREATE TRIGGER IF NOT EXISTS cases_event_no_update BEFORE UPDATE ON cases_event
    BEGIN SELECT RAISE(ABORT, 'timeline events are never edited'); END;
    """,
    """
    CREATE TRIGGER IF NOT EXISTS cases_event_no_delete BEFORE DELETE ON cases_event
    WHEN (SELECT COUNT(*) FROM cases_case WHERE id = OLD.case_id) > 0
    BEGIN SELECT RAISE(ABORT, 'timeline events are never deleted'); END;
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS cases_event_no_update;",
    "DROP TRIGGER IF EXISTS cases_event_no_delete;",
]

POSTGRES_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION cases_event_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'timeline events are never %', CASE TG_OP WHEN 'UPDATE' THEN 'edited' ELSE 'deleted' END;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER cases_event_append_only BEFORE UPDATE OR DELETE ON cases_event
    FOR EACH ROW EXECUTE FUNCTION cases_event_append_only();
    """,
]
POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS cases_event_append_only ON cases_event;",
    "DROP FUNCTION IF EXISTS cases_event_append_only();",
]


def _run(schema_editor: Any, statements: list[str]) -> None:
    for statement in statements:
        # params=None: the PL/pgSQL body contains a literal %.
        schema_editor.execute(statement, params=None)


def install(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    _run(schema_editor, POSTGRES_INSTALL if postgres else SQLITE_INSTALL)


def remove(apps: Any, schema_editor: Any) -> None:
    postgres = schema_editor.connection.vendor == "postgresql"
    _run(schema_editor, POSTGRES_REMOVE if postgres else SQLITE_REMOVE)


def _remove_on_sqlite(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _run(schema_editor, SQLITE_REMOVE)


def _install_on_sqlite(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _run(schema_editor, SQLITE_INSTALL)


def suspended(*operations: Any) -> list[Any]:
    """`operations`, run with the SQLite triggers lifted and put back after."""
    return [
        migrations.RunPython(_remove_on_sqlite, _install_on_sqlite),
        *operations,
        migrations.RunPython(_install_on_sqlite, _remove_on_sqlite),
    ]
