"""Search from a stored document, and the quality log's keyset index.

- `search_text`: the names a case is found by, filled here for the cases already there.
- PostgreSQL only: the generated `search_vector` column (accord/cases/search.py) and a
  GIN index over the open cases' vectors. The model does not declare the column, so
  nothing writes it; the database keeps it in the same statement as the row.
- `case_received` gains `id`, so the quality log's pages (newest first, keyset on
  received_at and id) seek the index at any depth.

SQLite rebuilds `cases_case` to add the NOT NULL column: the timeline triggers are
lifted around that (cases/triggers.py).
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

from accord.cases import triggers
from accord.cases.search import POSTGRES_VECTOR

BACKFILL = """
UPDATE cases_case SET search_text = trim(
    (SELECT c.name || ' ' || c.business_name FROM cases_complainant c
      WHERE c.id = cases_case.complainant_id)
    || ' ' ||
    (SELECT b.name FROM organisations_business b WHERE b.id = cases_case.respondent_id)
)
"""

POSTGRES_ADD = [
    f"ALTER TABLE cases_case ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({POSTGRES_VECTOR}) STORED",
    "CREATE INDEX open_case_search ON cases_case USING gin (search_vector) WHERE is_open",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS open_case_search",
    "ALTER TABLE cases_case DROP COLUMN IF EXISTS search_vector",
]


def _backfill(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(BACKFILL)


def _add_vector(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_ADD:
            schema_editor.execute(statement)


def _drop_vector(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0016_idempotent_requests"),
        ("organisations", "0002_closures_published_through"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(model_name="case", name="case_received"),
        *triggers.suspended(
            migrations.AddField(
                model_name="case",
                name="search_text",
                field=models.TextField(blank=True, default="", editable=False),
            ),
        ),
        migrations.RunPython(_backfill, migrations.RunPython.noop),
        migrations.RunPython(_add_vector, _drop_vector),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["organisation", "received_at", "id"], name="case_received"),
        ),
    ]
