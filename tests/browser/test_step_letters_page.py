"""The staff step form carries its letters: only the fields each letter uses, and taking
the step sends them. Screenshots at 390 and 1280 px; axe on the page."""

from __future__ import annotations

from typing import Any

import pytest

from accord.letters.models import Letter
from tests.browser.conftest import assert_accessible, person, screenshot, sign_in, take_step
from tests.browser.test_staff_workspace import submit

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_step_form_writes_and_sends_its_letter(new_context: Any, organisations: Any) -> None:
    handler = person("optimised", "handler", "casey-optimised")
    reference = submit("optimised", description="The lenses were scratched.")
    page = sign_in(new_context(), handler)
    page.goto(f"/staff/cases/{reference}/")
    take_step(page, "acknowledge")
    assert Letter.objects.filter(case__reference=reference, name="acknowledgement").exists()
    form = page.locator("#step-propose_resolution")
    assert form.get_by_role(
        "group", name="Proposed resolution and timeframe (3.1.7.3): what goes into the letter"
    ).is_visible()
    assert form.get_by_label("What we found").count() == 0  # not a field of this letter
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"staff-step-letters-{width}")
    assert_accessible(page, "case page with step letters")
    take_step(
        page,
        "propose_resolution",
        {
            "The resolution we propose": "New lenses, free of charge.",
            "By when it will be done": "Within 10 working days.",
        },
    )
    letter = Letter.objects.get(case__reference=reference, name="proposed_resolution")
    assert "New lenses, free of charge." in letter.text
    assert "sent" in page.locator("#letters").inner_text()
