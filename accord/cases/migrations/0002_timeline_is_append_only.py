"""The database itself refuses to change or remove a timeline event.

The model refuses too, but raw SQL, a shell or a future bug would not go through the
model; these triggers (see `accord.cases.triggers`) make "append-only" a property of
the table. (PostgreSQL's TRUNCATE, which test teardown uses, is a table-level statement
that row triggers do not see; the production database role should not be granted
TRUNCATE.)
"""

from django.db import migrations

from accord.cases import triggers


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(triggers.install, triggers.remove)]
