"""Every HTML page carries a Content-Security-Policy that allows scripts only from
Accord's own static files; no page has inline script; the API docs use django-ninja's
bundled Swagger UI, not a CDN; `/` leads somewhere."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import verified_client

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)


def _check(response: Any) -> str:
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html)
    for src in re.findall(r'<script[^>]*\bsrc="([^"]+)"', html):
        assert src.startswith("/static/"), src
    return html


def test_public_staff_and_docs_pages_have_the_policy(
    client: Any, organisations: Any, staff: Any
) -> None:
    _check(client.get("/ocasa/complain/"))
    _check(client.get("/staff/login/"))
    _check(client.get("/my/link/"))
    html = _check(client.get("/api/docs"))
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    staff_client = verified_client(staff("ocasa", "handler"))
    _check(staff_client.get("/staff/"))


def test_home_redirects(client: Any, organisations: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
