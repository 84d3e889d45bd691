"""The database itself refuses to change or remove a timeline event.

The model refuses too, but raw SQL, a shell or a future bug would not go through the
model; these triggers make "append-only" a property of the table. (PostgreSQL's
TRUNCATE, which test teardown uses, is a table-level statement that row triggers do
not see; the production database role should not be granted TRUNCATE.)
"""

from django.db import migrations

SQLITE = [
    """
    CREATE TRIGGER cases_event_no_update BEFORE UPDATE ON cases_event
    BEGIN SELECT RAISE(ABORT, 'timeline events are never edited'); END;
    """,
    """
    CREATE TRIGGER cases_event_no_delete BEFORE DELETE ON cases_event
    WHEN (SELECT COUNT(*) FROM cases_case WHERE id = OLD.case_id) > 0
    BEGIN SELECT RAISE(ABORT, 'timeline events are never deleted'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS cases_event_no_update;",
    "DROP TRIGGER IF EXISTS cases_event_no_delete;",
]

POSTGRES = [
    """
    CREATE FUNCTION cases_event_append_only() RETURNS trigger AS $$
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
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS cases_event_append_only ON cases_event;",
    "DROP FUNCTION IF EXISTS cases_event_append_only();",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    statements = (
        POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    )
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
