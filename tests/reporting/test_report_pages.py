"""The report as staff read it: the page with its charts, the PDF, the exports (which
open in a spreadsheet and carry no names in their pseudonymised form), the JSON API,
who may see what, and bad input."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import openpyxl
import pytest
import time_machine

from accord.accounts.models import User
from accord.cases.models import Case
from accord.organisations.models import Organisation
from tests.conftest import verified_client
from tests.reporting.conftest import NOW

PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}


@pytest.fixture
def manager(generated: dict[str, Organisation], staff: Callable[[str, str], User]) -> User:
    return staff("occs", "manager")


def test_the_page_shows_the_figures_and_charts(manager: User) -> None:
    client = verified_client(manager)
    with time_machine.travel(NOW, tick=False):
        response = client.get("/reports/annual/", PERIOD)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Resolved at an early stage" in page
    assert page.count('src="data:image/svg+xml;base64,') == 4
    assert "2024" in page  # the period before


def test_the_default_period_is_the_last_complete_year(manager: User) -> None:
    with time_machine.travel(NOW, tick=False):
        response = verified_client(manager).get("/reports/annual/")
    assert response.status_code == 200
    assert "Annual report: 2025" in response.content.decode()


def test_the_pdf_renders_with_its_charts(manager: User) -> None:
    with time_machine.travel(NOW, tick=False):
        response = verified_client(manager).get("/reports/annual.pdf", PERIOD)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    # SVG charts are drawn into the PDF as vector forms (XObjects), one per chart.
    assert pdf.count(b"/Subtype /Form") >= 4


def _csv(client, **params: str) -> list[dict[str, str]]:
    response = client.get("/reports/annual.csv", {**PERIOD, **params})
    assert response.status_code == 200
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_csv_export_holds_the_cases_behind_the_figures(manager: User) -> None:
    client = verified_client(manager)
    rows = _csv(client)
    occs_cases = Case.objects.filter(organisation__slug="occs")
    received = {c.reference for c in occs_cases if c.received_at.year == 2025}
    assert {r["case"] for r in rows if r["received_in_period"] == "true"} >= received
    assert "description" not in rows[0]
    assert all(r["case"].startswith("OCC-") for r in rows)


def test_pseudonymised_exports_carry_no_names_or_contact_details(manager: User) -> None:
    client = verified_client(manager)
    plain = _csv(client)
    pseudo = _csv(client, pseudonymised="1")
    assert len(plain) == len(pseudo)
    assert "handler" not in pseudo[0]
    assert "respondent" not in pseudo[0]
    assert _csv(client, pseudonymised="1") == pseudo  # the pseudonym is stable
    text = repr(pseudo)
    cases = Case.objects.filter(organisation__slug="occs").select_related("complainant")
    for case in cases[:100]:
        assert case.reference not in text
        assert case.complainant.name not in text
        assert case.complainant.email not in text
        assert case.complainant.phone not in text
    assert "synthetic" not in text  # no handler user names
    assert "@" not in text


def test_the_xlsx_export_opens_in_a_spreadsheet(manager: User) -> None:
    client = verified_client(manager)
    for params in ({}, {"pseudonymised": "1"}):
        response = client.get("/reports/annual.xlsx", {**PERIOD, **params})
        assert response.status_code == 200
        workbook = openpyxl.load_workbook(io.BytesIO(response.getvalue()))
        sheet = workbook["Cases"]
        header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
        assert header[0] == "case"
        assert sheet.max_row - 1 == len(_csv(client, **params))
        if params:
            assert "handler" not in header


def test_the_dashboard_page(manager: User) -> None:
    response = verified_client(manager).get("/reports/")
    assert response.status_code == 200
    assert "By stage and age" in response.content.decode()


@pytest.mark.parametrize("role", ["handler", "senior_handler"])
def test_only_managers_and_administrators_read_reports(
    generated: dict[str, Organisation], staff: Callable[[str, str], User], role: str
) -> None:
    client = verified_client(staff("occs", role))
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/annual.csv").status_code == 403


def test_an_administrator_reads_only_their_own_organisation(
    generated: dict[str, Organisation], staff: Callable[[str, str], User], api
) -> None:
    admin = staff("ocasa", "administrator")
    client = verified_client(admin)
    assert client.get("/reports/annual/", PERIOD).status_code == 200
    assert client.get("/reports/annual/", {**PERIOD, "organisation": "occs"}).status_code == 403
    as_api = api(admin)
    assert as_api.get("/reports/annual", organisation="occs").status_code == 403
    own = as_api.get("/reports/annual", **PERIOD)
    assert own.status_code == 200
    assert own.json()["organisation"] == "ocasa"


def test_without_the_second_factor_the_pages_ask_to_sign_in(manager: User) -> None:
    from django.test import Client

    client = Client()
    client.force_login(manager)
    assert client.get("/reports/annual/").status_code == 302


def test_the_api_serves_the_report_and_the_dashboard(manager: User, api) -> None:
    client = api(manager)
    with time_machine.travel(NOW, tick=False):
        report = client.get("/reports/annual", **PERIOD)
        board = client.get("/reports/dashboard")
    assert report.status_code == 200, report.content
    body = report.json()
    assert body["current"]["label"] == "2025"
    assert body["previous"]["label"] == "2024"
    assert board.status_code == 200
    assert board.json()["open"] >= 0


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-12-31", "to": "2025-01-01"}, "to"),
        ({"from": "31/12/2025", "to": "2025-12-31"}, "from"),
        ({"from": "2000-01-01", "to": "2025-12-31"}, "to"),
        ({"from": "2025-01-01"}, "to"),
        ({"organisation": "nobody"}, "organisation"),
    ],
)
def test_bad_input_is_a_clear_error(manager: User, api, params: dict[str, str], field: str) -> None:
    response = api(manager).get("/reports/annual", **params)
    assert response.status_code == 422
    assert response.json()["field"] == field
    page = verified_client(manager).get("/reports/annual/", params)
    assert page.status_code == 400
    for export in ("/reports/annual.csv", "/reports/annual.pdf", "/reports/annual.xlsx"):
        assert verified_client(manager).get(export, params).status_code == 400


def test_a_rare_free_text_category_is_not_in_the_pseudonymised_export(manager: User) -> None:
    """A category is free text a complainant may type; a pseudonymised export keeps only
    categories shared by several exported cases."""
    in_2025 = Case.objects.filter(
        organisation__slug="occs", received_at__year=2025, closed_at__isnull=False
    ).order_by("pk")
    one = in_2025.first()
    assert one is not None
    Case.objects.filter(pk=one.pk).update(category="Complaint by Jo Bloggs of 1 High St")
    client = verified_client(manager)
    plain = {row["category"] for row in _csv(client)}
    pseudo = [row["category"] for row in _csv(client, pseudonymised="1")]
    assert "Complaint by Jo Bloggs of 1 High St" in plain
    assert "Complaint by Jo Bloggs of 1 High St" not in pseudo
    assert "(other)" in pseudo
    common = {c for c in plain if c and c != "Complaint by Jo Bloggs of 1 High St"}
    assert common & set(pseudo)  # the ordinary categories are still there
