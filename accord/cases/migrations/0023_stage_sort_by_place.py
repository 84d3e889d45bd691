"""The work queue sorts by stage in the order the procedure declares its stages
(received first, closed last), no longer by the stage's label in alphabetical order:
each case's `stage_sort` becomes its stage's place, then its label
(accord/cases/sort_keys.py). The column and its index `case_open_stage` stay as they
are; only the values change."""

from typing import Any

from django.db import migrations

from accord.cases import sort_keys


def _refill(apps: Any, schema_editor: Any) -> None:
    sort_keys.refill_stages(apps.get_model("cases", "Case").objects)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0022_queue_sort_keys"),
        # The registry reads an organisation's own published procedures.
        ("procedures", "0001_own_procedures"),
    ]

    # Backwards the values stay: a place-then-label key sorts as well as a label did.
    operations = [migrations.RunPython(_refill, migrations.RunPython.noop)]
