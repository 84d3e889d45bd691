"""The work queue on a 390 px phone and a 1280 px screen: on the phone each case is a
stacked card — its reference first, then its next deadline, every other cell labelled
with its column's heading — and nothing is wider than the screen; on the wide screen it
is the table it always was. axe-core and the Nu HTML Checker at both widths.
Screenshots: test-artifacts/screenshots/queue-390.png and queue-1280.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accord.organisations.models import Team
from tests.browser.conftest import assert_accessible, person, screenshot, sign_in, vnu_errors
from tests.conftest import ApiClient, complaint_body, verified_client

pytestmark = pytest.mark.django_db(transaction=True)


def submit(**overrides: Any) -> str:
    response = ApiClient().post("/organisations/ocasa/complaints", complaint_body(**overrides))
    assert response.status_code == 201, response.content
    return str(response.json()["reference"])


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return dict(found)


@pytest.mark.parametrize("width", [390, 1280])
def test_the_queue_fits_a_phone_as_stacked_cases_and_a_wide_screen_as_a_table(
    browser: Any, live_server: Any, organisations: Any, tmp_path: Path, width: int
) -> None:
    manager = person("ocasa", "manager", "morgan-ocasa")  # sees the bulk checkboxes
    handler = person("ocasa", "handler", "casey-ocasa")
    handler.last_name = "Featherstonehaugh-Cholmondeley"
    handler.save()
    team = Team.objects.create(organisation=organisations["ocasa"], name="Deposits and repairs")
    first = submit(
        complainant={
            "name": "Bartholomew Montgomery-Fitzwilliam",
            "email": "bart@example.com",
        },
    )
    for name in ("Priya Shah", "Sam Lee"):
        submit(complainant={"name": name, "email": f"{name.split()[0].lower()}@example.com"})
    assigned = ApiClient(manager).post(
        f"/cases/{first}/assign", {"handler": handler.username, "team_id": team.pk}
    )
    assert assigned.status_code == 200, assigned.content

    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(10_000)
    try:
        page = sign_in(context, manager)
        page.goto("/staff/?sort=reference")
        scroll, inner = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll <= inner, f"{scroll} px wide in a {inner} px viewport"
        assert_accessible(page, f"work queue at {width} px")
        screenshot(page, f"queue-{width}")
        row = "table.queue tbody tr:first-child"
        reference = box(page, f"{row} td.reference")
        deadline = box(page, f"{row} td.deadline")
        complainant = box(page, f'{row} td[data-label="Complainant"]')
        display = page.locator(row).evaluate("(tr) => getComputedStyle(tr).display")
        if width == 390:
            # Reference, then deadline, then the rest; all of it on the screen.
            assert display == "flex"
            assert reference["y"] < deadline["y"] < complainant["y"]
            for cell in (reference, deadline, complainant):
                assert cell["x"] >= 0
                assert cell["x"] + cell["width"] <= width
            label = page.locator(f"{row} td.deadline").evaluate(
                "(td) => getComputedStyle(td, '::before').content"
            )
            assert label == '"Next deadline"'
        else:
            assert display == "table-row"
            assert reference["y"] == deadline["y"] == complainant["y"]
            assert reference["x"] < complainant["x"] < deadline["x"]
    finally:
        context.close()
    # What the server sent, not the DOM after scripts ran.
    html = tmp_path / f"queue-{width}.html"
    html.write_bytes(verified_client(manager).get("/staff/?sort=reference").content)
    assert vnu_errors([html]) in ({}, {html: []})
