"""Finding cases by words: the reference, the complainant's name or business name, the
business complained about, or the description.

The names live in other tables, so each case carries them in `search_text`, written by
intake in the same transaction as the case. A business renamed later is found by its new
name as well as the one its cases were opened under (`respondent_renamed`). On
PostgreSQL a generated column `search_vector` (migration 0014) turns the reference,
`search_text` and the description into one weighted `tsvector`, kept by the database in
the same statement as the row, with a GIN index over the open cases: a search reads the
index instead of building a document for every case on every request. Elsewhere
(SQLite) each word must appear in the reference, `search_text` or the description,
case-insensitively.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import BooleanField, F, Q, QuerySet, Value
from django.db.models.expressions import Expression
from django.db.models.functions import Concat
from django.db.models.sql.compiler import SQLCompiler

from accord.cases.models import Case

MAX_SEARCH = 200

# The generated column's definition, PostgreSQL only (the model does not know the
# column: it is never written, only read by `matching`).
POSTGRES_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, "
    "coalesce(reference, '') || ' ' || coalesce(search_text, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')"
)


def search_text(*names: str) -> str:
    """What a case is found by besides its reference and description."""
    return " ".join(" ".join(name.split()) for name in names if name and name.strip())


def respondent_renamed(business_id: int, name: str) -> int:
    """The business `business_id` is now called `name`: its cases are found by the new
    name too (the old one stays: it is the name the complainant used). Returns how many
    cases gained it."""
    added = search_text(name)
    if not added:
        return 0
    return (
        Case.objects.filter(respondent_id=business_id)
        .exclude(search_text__icontains=added)
        .update(search_text=Concat(F("search_text"), Value(" " + added)))
    )


def matching(cases: QuerySet[Case], text: str) -> QuerySet[Case]:
    """The cases of `cases` that match every word of `text` (PostgreSQL: full-text,
    English stemming, web-search syntax, or the reference exactly as typed)."""
    text = " ".join(text.split())[:MAX_SEARCH]
    if not text:
        return cases
    if connection.vendor == "postgresql":
        return cases.filter(Q(_VectorMatches(text)) | Q(reference=text.upper()))
    for word in text.split():
        cases = cases.filter(
            Q(reference__icontains=word)
            | Q(search_text__icontains=word)
            | Q(description__icontains=word)
        )
    return cases


class _VectorMatches(Expression):
    """`search_vector @@ websearch_to_tsquery(text)` on the query's own cases table,
    under whatever alias it has there (the queue reads its ids in a subquery)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, tuple[str | int, ...]]:
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return (
            f"{table}.search_vector @@ websearch_to_tsquery('english'::regconfig, %s)",
            (self.text,),
        )
