"""The database cache table (CACHE_URL's default, db://accord_cache): made here so every
database Accord migrates has it, the test databases included."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):  # type: ignore[no-untyped-def]
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("web", "0001_submission")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
