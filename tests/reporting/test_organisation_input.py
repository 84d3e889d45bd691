"""An organisation asked for by a slug no organisation could have (a NUL byte, which
PostgreSQL refuses in any text, or other odd characters) is the same clear error as an
unknown one, never a 500."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accord.accounts.models import User
from accord.organisations.models import Organisation
from tests.conftest import verified_client


@pytest.mark.parametrize("slug", ["occs\x00", "\x00", "occs'; --", "o" * 5000, "ö"])
def test_an_impossible_slug_is_a_clear_error(
    organisations: dict[str, Organisation], staff: Callable[[str, str], User], api, slug: str
) -> None:
    manager = staff("occs", "manager")
    response = api(manager).get("/reports/annual", organisation=slug)
    assert response.status_code == 422
    assert response.json()["field"] == "organisation"
    assert api(manager).get("/reports/dashboard", organisation=slug).status_code == 422
    client = verified_client(manager)
    for url in ("/reports/", "/reports/annual/", "/reports/annual.csv", "/reports/annual.xlsx"):
        assert client.get(url, {"organisation": slug}).status_code == 400
