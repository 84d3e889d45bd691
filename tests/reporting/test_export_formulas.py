"""A cell that a spreadsheet would read as a formula (=, +, -, @, tab, carriage
return) leaves in an export as text: a category or a business's name typed by a
complainant must not run in the manager's spreadsheet (OWASP: CSV injection)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import openpyxl
import pytest

from accord.accounts.models import User
from accord.cases.models import Case
from accord.organisations.models import Organisation
from accord.reporting.synthetic import Plan, generate
from tests.conftest import verified_client
from tests.reporting.conftest import NOW

PERIOD = {"from": "2025-01-01", "to": "2026-10-31"}
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1"]


@pytest.fixture
def manager(organisations: dict[str, Organisation], staff: Callable[[str, str], User]) -> User:
    generate([Plan(organisations["optimised"], 10, years=1)], NOW, seed=3)
    cases = list(
        Case.objects.filter(organisation__slug="optimised", respondent__isnull=False)
        .select_related("respondent")
        .order_by("pk")[: len(FORMULAS)]
    )
    assert len(cases) == len(FORMULAS)
    for case, formula in zip(cases, FORMULAS, strict=True):
        Case.objects.filter(pk=case.pk).update(category=formula)
        assert case.respondent is not None
        case.respondent.name = formula
        case.respondent.save(update_fields=["name"])
    return staff("optimised", "manager")


def _neutral(value: object) -> bool:
    text = str(value)
    return not text or text[0] not in "=+-@\t\r"


def test_the_csv_export_neutralises_formulas(manager: User) -> None:
    response = verified_client(manager).get("/reports/annual.csv", PERIOD)
    assert response.status_code == 200
    assert response.streaming
    text = response.getvalue().decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    categories = {r["category"] for r in rows}
    for formula in FORMULAS:
        assert "'" + formula in categories
    for row in rows:
        for column in ("category", "respondent", "team", "handler"):
            assert _neutral(row[column]), row[column]


def test_the_xlsx_export_holds_them_as_text(manager: User) -> None:
    response = verified_client(manager).get("/reports/annual.xlsx", PERIOD)
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue()))["Cases"]
    rows = sheet.iter_rows()
    header = [cell.value for cell in next(rows)]
    for row in rows:
        for cell in row:
            assert cell.data_type != "f", (header[cell.column - 1], cell.value)
            if isinstance(cell.value, str):
                assert _neutral(cell.value), cell.value
