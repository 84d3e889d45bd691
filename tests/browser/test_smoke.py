"""The browser harness itself: Chromium starts, the live server answers, axe-core runs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import assert_accessible, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_published_procedure_page_is_served_and_accessible(
    new_context: Any, organisations: Any
) -> None:
    page = new_context().new_page()
    response = page.goto("/static/web/accord.css")
    assert response is not None
    assert response.status == 200
    page.goto("/occs/procedure/")
    screenshot(page, "smoke")
    assert_accessible(page, "smoke")
