"""Charts people can read at a glance (issue 15): counts never run below zero, every
label appears whole, months are written "Jan 2026", the dashboard has its charts and a
choice of how many months it shows, and the annual report opens on the latest
complete year that has cases, or the year to date on a new installation, saying which."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from xml.etree import ElementTree

import pytest
import time_machine

from accord.accounts.models import User
from accord.organisations.models import Organisation
from accord.reporting.charts import bar_chart
from tests.conftest import ApiClient, complaint_body, london, verified_client

pytestmark = pytest.mark.django_db

MINUS = "\N{MINUS SIGN}"  # how matplotlib writes a negative tick
LONG = "The practice's response to the complaint was not what was promised at the time"


def svg_text(uri: str) -> str:
    """Every piece of text in an inline SVG chart, lines joined by spaces."""
    svg = base64.b64decode(uri.removeprefix("data:image/svg+xml;base64,")).decode()
    root = ElementTree.fromstring(svg)  # noqa: S314 (an SVG this test just drew)
    return " ".join(
        " ".join("".join(node.itertext()).split())
        for node in root.iter()
        if node.tag.endswith("text")
    )


def svg_uris(html: str) -> list[str]:
    return re.findall(r'src="(data:image/svg\+xml;base64,[^"]+)"', html)


def test_every_label_appears_whole() -> None:
    uri = bar_chart("Outcomes", [LONG, "Upheld"], [3, 1], [2, 0], ("2026", "2025"))
    text = svg_text(uri)
    assert LONG in text
    assert "Upheld" in text


def test_counts_of_nothing_start_at_zero() -> None:
    text = svg_text(bar_chart("Outcomes", ["Upheld"], [0], [0], ("2026", "2025")))
    assert MINUS not in text
    assert "-0" not in text
    assert "0.04" not in text
    assert re.search(r"\b0\b", text)


@pytest.fixture
def manager(ocasa: Organisation, staff: Callable[[str, str], User]) -> User:
    return staff("ocasa", "manager")


def test_the_dashboard_draws_its_charts_with_months_as_words(manager: User) -> None:
    with time_machine.travel(london(2026, 1, 20, 10), tick=False):
        ApiClient().post("/organisations/ocasa/complaints", complaint_body())
    client = verified_client(manager)
    with time_machine.travel(london(2026, 3, 2, 10), tick=False):
        page = client.get("/reports/").content.decode()
        six = client.get("/reports/", {"months": "6"}).content.decode()
        bad = client.get("/reports/", {"months": "7"})
    assert len(svg_uris(page)) == 4
    assert "Jan 2026" in page
    assert "2026-01" not in page
    assert "Mar 2026" in svg_text(svg_uris(page)[-1])
    assert "Apr 2025" in page  # twelve months back
    assert "Oct 2025" in six
    assert "Sep 2025" not in six
    assert bad.status_code == 400


def test_a_new_installation_opens_on_the_year_to_date(manager: User) -> None:
    with time_machine.travel(london(2026, 3, 2, 10), tick=False):
        page = verified_client(manager).get("/reports/annual/").content.decode()
    assert "Showing the year to date" in page
    assert "1 Jan 2026 to 2 Mar 2026" in page
    for uri in svg_uris(page):
        assert MINUS not in svg_text(uri)


def test_the_report_opens_on_the_latest_complete_year_with_cases(manager: User) -> None:
    with time_machine.travel(london(2024, 6, 3, 10), tick=False):
        ApiClient().post("/organisations/ocasa/complaints", complaint_body())
    with time_machine.travel(london(2026, 3, 2, 10), tick=False):
        client = verified_client(manager)
        page = client.get("/reports/annual/").content.decode()
        chosen = client.get(
            "/reports/annual/",
            {
                "from_day": "1",
                "from_month": "1",
                "from": "2025",
                "to_day": "31",
                "to_month": "12",
                "to": "2025",
            },
        )
        wrong = client.get(
            "/reports/annual/",
            {
                "from_day": "31",
                "from_month": "2",
                "from": "2025",
                "to_day": "31",
                "to_month": "12",
                "to": "2025",
            },
        )
    assert "Annual report: 2024" in page
    assert "Showing 2024, the latest complete year with cases" in page
    assert 'href="/reports/annual.pdf?from=2024-01-01&amp;to=2024-12-31"' in page
    assert "Annual report: 2025" in chosen.content.decode()
    assert wrong.status_code == 400
    # Three inputs, each labelled, in a fieldset: no browser date picker.
    assert 'type="date"' not in page
    assert '<label for="id_from_0">Day</label>' in page


def test_staff_date_inputs_are_day_month_year(manager: User) -> None:
    page = verified_client(manager).get("/quality/actions/new/").content.decode()
    assert 'type="date"' not in page
    assert "For example, 27 3 2026" in page
