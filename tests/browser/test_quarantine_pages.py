"""The e-mail quarantine in Chromium at 390 and 1280 px: the list and a message fit the
screen and pass axe; discarding without a reason is an error on the form, with one it
is done (no JavaScript needed: plain forms)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import assert_accessible, person, press, screenshot, sign_in
from tests.browser.test_every_page import held_email

pytestmark = pytest.mark.django_db(transaction=True)


def fits(page: Any, label: str) -> None:
    wide = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"{label}: {wide[0]} px wide in a {wide[1]} px viewport"


def test_the_quarantine_pages_at_both_widths(new_context: Any, organisations: Any) -> None:
    record = held_email()
    handler = person("ocasa", "handler", "quinn-ocasa")
    context = new_context()
    page = sign_in(context, handler)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto("/staff/quarantine/")
        assert "is of the old guessable form" in page.content()
        fits(page, f"list at {width}")
        assert_accessible(page, f"quarantine list at {width}")
        screenshot(page, f"quarantine-list-{width}")
        page.goto(f"/staff/quarantine/{record.pk}/")
        fits(page, f"message at {width}")
        assert_accessible(page, f"quarantine message at {width}")
        screenshot(page, f"quarantine-message-{width}")
    press(page, page.get_by_role("button", name="Discard"))
    assert page.get_by_role("alert").is_visible()
    assert_accessible(page, "discard without a reason")
    screenshot(page, "quarantine-discard-error-1280")
    page.get_by_label("Why it is discarded").fill("Sent to the wrong address; the sender was told.")
    press(page, page.get_by_role("button", name="Discard"))
    assert page.url.endswith("/staff/quarantine/")
    assert "No e-mail is waiting in the quarantine." in page.content()
    page.set_viewport_size({"width": 390, "height": 900})
    screenshot(page, "quarantine-empty-390")
