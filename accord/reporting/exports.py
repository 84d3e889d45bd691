"""The case-level data behind the annual report, as CSV or XLSX, streamed in chunks so
a million rows never sit in memory.

Only case metadata leaves: the columns below, never a description, a reason, a note,
a message, a proposal or a document. Nothing said in mediation (all of it without
prejudice, see `mediation.confidentiality`) can therefore reach an export, so there is
no free text to pass through `refuse_without_prejudice`.

Pseudonymised exports also drop every name (the handler and the respondent) and
replace the reference with a keyed hash (HMAC-SHA256 with the SECRET_KEY): stable from
one export to the next, so rows can be matched, but not reversible without the key.
The complainant's name, e-mail, phone and address are in no export at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.utils.crypto import salted_hmac
from openpyxl import Workbook

from accord.cases.models import Case, CaseClosure
from accord.organisations.models import Organisation
from accord.reporting.annual import fca_bucket
from accord.reporting.outcomes import outcome_kind
from accord.reporting.periods import LONDON, Period

CHUNK = 2000
_KEY_SALT = "accord.reporting.exports.pseudonym"

COLUMNS = (
    "case",
    "procedure",
    "procedure_version",
    "received_at",
    "closed_at",
    "received_in_period",
    "closed_in_period",
    "source",
    "channel",
    "category",
    "stage",
    "is_open",
    "outcome",
    "resolved",
    "resolved_early",
    "upheld",
    "days_to_close",
    "fca_bucket",
    "referred_to_regulator_at",
    "clocks_stopped",
    "clocks_met",
    "team",
    "handler",
    "respondent",
)
NAMED = frozenset({"handler", "respondent"})


# A spreadsheet reads a cell starting with one of these as a formula; categories and
# names can come from what a complainant typed (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: Any) -> Any:
    """A string that a spreadsheet would run as a formula, made inert with a leading
    apostrophe (shown as typed in CSV and XLSX alike); other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def pseudonym(reference: str) -> str:
    return "P-" + salted_hmac(_KEY_SALT, reference, algorithm="sha256").hexdigest()[:20]


def export_cases(organisation: Organisation, period: Period) -> QuerySet[Case]:
    """The organisation's cases received or closed in the period. "Closed" is a
    closure in the period (`CaseClosure`), also of a case reopened since."""
    start, end = period.start(), period.end()
    closed_here = CaseClosure.objects.filter(
        case=OuterRef("pk"), closed_at__gte=start, closed_at__lt=end
    )
    return (
        Case.objects.filter(organisation=organisation)
        .annotate(closed_in_period=Exists(closed_here))
        .filter(Q(received_at__gte=start, received_at__lt=end) | Q(closed_in_period=True))
        .order_by("received_at", "id")
    )


def columns(pseudonymised: bool) -> list[str]:
    return [c for c in COLUMNS if not (pseudonymised and c in NAMED)]


def _iso(value: dt.datetime | None) -> str:
    return "" if value is None else value.astimezone(LONDON).isoformat(timespec="seconds")


# A category is free text (a complainant may type one through the public intake API):
# in a pseudonymised export only a category shared by at least this many of the
# exported cases is kept; a rarer one could name or single out a person.
SHARED_BY_AT_LEAST = 5
RARE_CATEGORY = "(other)"


def shared_categories(organisation: Organisation, period: Period) -> set[str]:
    """The categories common enough to appear in a pseudonymised export (one query)."""
    return set(
        export_cases(organisation, period)
        .order_by()
        .values("category")
        .annotate(n=Count("id"))
        .filter(n__gte=SHARED_BY_AT_LEAST)
        .values_list("category", flat=True)
    )


def rows(organisation: Organisation, period: Period, *, pseudonymised: bool) -> Iterator[list[Any]]:
    """Each case as a list of cell values, in `columns(pseudonymised)` order."""
    start, end = period.start(), period.end()
    shared = shared_categories(organisation, period) if pseudonymised else set()
    values = (
        export_cases(organisation, period)
        .values_list(  # type: ignore[misc]  # closed_in_period is export_cases' annotation
            "reference",
            "procedure_key",
            "procedure_version",
            "received_at",
            "closed_at",
            "source",
            "channel",
            "category",
            "stage",
            "is_open",
            "outcome",
            "referred_to_regulator_at",
            "team__name",
            "handler__username",
            "respondent__name",
            "closed_in_period",
        )
        .annotate(
            stopped=Count(
                "clocks",
                filter=Q(
                    clocks__stopped_at__isnull=False,
                    clocks__is_window=False,
                    clocks__due_at__isnull=False,
                ),
            ),
            met=Count(
                "clocks",
                filter=Q(clocks__is_window=False, clocks__stopped_at__lte=F("clocks__due_at")),
            ),
        )
    )
    wanted = columns(pseudonymised)
    for (
        reference,
        key,
        version,
        received_at,
        closed_at,
        source,
        channel,
        category,
        stage,
        is_open,
        outcome,
        referred_at,
        team,
        handler,
        respondent,
        closed_in_period,
        stopped,
        met,
    ) in values.iterator(chunk_size=CHUNK):
        kind = outcome_kind(key, version, outcome) if outcome else None
        closed = not is_open and closed_at is not None
        taken = closed_at - received_at if closed else None
        bucket = fca_bucket(received_at, closed_at) if closed else ""
        row = {
            "case": pseudonym(reference) if pseudonymised else reference,
            "procedure": key,
            "procedure_version": version,
            "received_at": _iso(received_at),
            "closed_at": _iso(closed_at),
            "received_in_period": start <= received_at < end,
            "closed_in_period": closed_in_period,
            "source": source,
            "channel": channel,
            "category": category
            if not pseudonymised or not category or category in shared
            else RARE_CATEGORY,
            "stage": stage,
            "is_open": is_open,
            "outcome": outcome,
            "resolved": bool(kind and kind.resolved),
            "resolved_early": bool(kind and kind.early),
            "upheld": bool(kind and kind.upheld),
            "days_to_close": "" if taken is None else round(taken.total_seconds() / 86400, 2),
            "fca_bucket": bucket,
            "referred_to_regulator_at": _iso(referred_at),
            "clocks_stopped": stopped,
            "clocks_met": met,
            "team": team or "",
            "handler": handler or "",
            "respondent": respondent or "",
        }
        yield [as_text(row[c]) for c in wanted]


class _Line:
    """A file-like object that hands back what csv.writer writes."""

    def write(self, value: str) -> str:
        return value


def csv_lines(organisation: Organisation, period: Period, *, pseudonymised: bool) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(columns(pseudonymised))
    for row in rows(organisation, period, pseudonymised=pseudonymised):
        yield writer.writerow(["true" if v is True else "false" if v is False else v for v in row])


def xlsx_file(organisation: Organisation, period: Period, *, pseudonymised: bool) -> IO[bytes]:
    """A temporary file holding the workbook (write-only: rows go to disk as they come)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Cases")
    sheet.append(columns(pseudonymised))
    for row in rows(organisation, period, pseudonymised=pseudonymised):
        sheet.append(row)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response that sends it
    workbook.save(out)
    out.seek(0)
    return out
