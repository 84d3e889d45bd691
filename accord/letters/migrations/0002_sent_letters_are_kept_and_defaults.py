"""A sent letter is kept exactly as sent: the database refuses to change it (and, on
PostgreSQL, to delete it; the model and queryset refuse both everywhere). And version 1
of every default template.

The SQLite triggers name no other table, so rebuilding another app's table never trips
over them. SQLite drops a table's triggers when Django rebuilds that table: a later
migration that rebuilds `letters_letter` must run `install` again afterwards.
"""

from django.db import migrations

SQLITE_INSTALL = [
    """
    CREATE TRIGGER IF NOT EXISTS letters_letter_sent_no_update BEFORE UPDATE ON letters_letter
    WHEN OLD.status = 'sent'
    BEGIN SELECT RAISE(ABORT, 'a sent letter is kept exactly as sent'); END;
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS letters_letter_sent_no_update;",
]
POSTGRES_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION letters_letter_kept_as_sent() RETURNS trigger AS $$
    BEGIN
        IF OLD.status = 'sent' THEN
            RAISE EXCEPTION 'a sent letter is kept exactly as sent';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER letters_letter_kept_as_sent BEFORE UPDATE OR DELETE ON letters_letter
    FOR EACH ROW EXECUTE FUNCTION letters_letter_kept_as_sent();
    """,
]
POSTGRES_REMOVE = [
    "DROP TRIGGER IF EXISTS letters_letter_kept_as_sent ON letters_letter;",
    "DROP FUNCTION IF EXISTS letters_letter_kept_as_sent();",
]


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    _run(schema_editor, POSTGRES_INSTALL if postgres else SQLITE_INSTALL)


def remove(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    _run(schema_editor, POSTGRES_REMOVE if postgres else SQLITE_REMOVE)


def load_defaults(apps, schema_editor):
    from accord.letters.defaults import ensure_default_templates

    ensure_default_templates(apps.get_model("letters", "LetterTemplate"))


class Migration(migrations.Migration):
    dependencies = [("letters", "0001_initial")]

    operations = [
        migrations.RunPython(install, remove),
        migrations.RunPython(load_defaults, migrations.RunPython.noop),
    ]
