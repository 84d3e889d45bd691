"""The work queue's sorts by reference, complainant, stage and handler
(accord/cases/queue.py): the names and the stage label the queue shows, kept on the case
(accord/cases/sort_keys.py) and filled here for the cases already there, and one partial
index per sort over the open cases; `open_case_queue` gains the at-risk instant.

SQLite rebuilds `cases_case` to add the columns: the timeline triggers are lifted around
that (cases/triggers.py).
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

from accord.cases import sort_keys, triggers

NAMES = """
UPDATE cases_case SET
  complainant_sort = (
    SELECT lower(substr(coalesce(nullif(c.business_name, ''), c.name), 1, 200))
    FROM cases_complainant c WHERE c.id = cases_case.complainant_id),
  handler_sort = (
    SELECT lower(substr(coalesce(nullif(trim(u.first_name || ' ' || u.last_name), ''),
                                 u.username), 1, 200))
    FROM accounts_user u WHERE u.id = cases_case.handler_id)
"""


def _backfill(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(NAMES)
    # The stage key as it is now (its place in the procedure, then its label: 0023).
    sort_keys.refill_stages(apps.get_model("cases", "Case").objects)
    if schema_editor.connection.vendor == "postgresql":
        # The updates leave the deferred foreign-key checks pending, and PostgreSQL
        # creates no index on a table with pending trigger events: run them now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0021_idempotency_key_age"),
        ("organisations", "0004_letterhead"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        *triggers.suspended(
            migrations.AddField(
                model_name="case",
                name="complainant_sort",
                field=models.CharField(blank=True, default="", editable=False, max_length=200),
            ),
            migrations.AddField(
                model_name="case",
                name="handler_sort",
                field=models.CharField(blank=True, editable=False, max_length=200, null=True),
            ),
            migrations.AddField(
                model_name="case",
                name="stage_sort",
                field=models.CharField(blank=True, default="", editable=False, max_length=200),
            ),
        ),
        migrations.RunPython(_backfill, migrations.RunPython.noop),
        # "At risk", latest deadline first, walked `open_case_queue` backwards through
        # every case not yet at risk, reading each row from the table to see (229 ms at
        # 100k cases on PostgreSQL): the index now carries the at-risk instant.
        migrations.RemoveIndex(model_name="case", name="open_case_queue"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=["organisation", "next_deadline_at", "id"],
                include=("next_at_risk_at",),
                name="open_case_queue",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=["organisation", "reference", "id"],
                include=("handler", "next_deadline_at", "next_at_risk_at", "letters_owed"),
                name="case_open_reference",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=["organisation", "complainant_sort", "id"],
                include=("handler", "next_deadline_at", "next_at_risk_at", "letters_owed"),
                name="case_open_complainant",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=["organisation", "stage_sort", "id"],
                include=("handler", "next_deadline_at", "next_at_risk_at", "letters_owed"),
                name="case_open_stage",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("is_open", True)),
                fields=["organisation", "handler_sort", "id"],
                include=("handler", "next_deadline_at", "next_at_risk_at", "letters_owed"),
                name="case_open_handler_name",
            ),
        ),
    ]
