"""Whatever is typed into the queue's search box gives a page, never a 500: quotes,
SQL's special characters, web-search operators, a NUL byte, a very long string."""

from __future__ import annotations

import pytest

from accord.accounts.models import User
from tests.conftest import verified_client
from tests.web.test_staff_queue import cases, handler, queue  # noqa: F401 - fixtures

ODD = [
    "'",
    '"',
    '"unterminated',
    "O'Brien",
    "%",
    "_",
    "\\",
    "a%_\\b",
    "'; drop table cases_case; --",
    "-",
    "or",
    "!!! & | <-> :*",
    "boiler\x00",
    "\x00",
    "x" * 5000,
    "boiler " * 500,
    "é😀",
]


@pytest.mark.parametrize("text", ODD)
def test_odd_search_text_gives_a_page(handler: User, cases: dict[str, str], text: str) -> None:  # noqa: F811
    response = queue(verified_client(handler), q=text)
    assert response.status_code in {200, 400}
    if response.status_code == 200:
        assert cases["old"] not in response.content.decode() or text.strip() in {"-", "or"}


def test_percent_is_not_a_wildcard(handler: User, cases: dict[str, str]) -> None:  # noqa: F811
    html = queue(verified_client(handler), q="%").content.decode()
    assert cases["old"] not in html
    assert cases["new"] not in html
