"""The Jinja2 environment for the few templates rendered through Jinja2 rather than the
template language: the rows of long lists (`{% jinja "…" %}`, accord.web.templatetags
.jinja), where the template language's per-variable lookups were most of a page's cost
(the work queue's 50 rows: 4.3 ms, against 0.6 ms through Jinja2). Autoescaping is on,
as Django's backend sets it; `url()` reverses as `{% url %}` does, remembering what it
gave (the queue's 50 links: 1.8 ms of reversing a page, the same cases page after page)."""

from __future__ import annotations

import functools
from typing import Any

from django.urls import get_script_prefix, get_urlconf, reverse
from jinja2 import Environment


@functools.lru_cache(maxsize=4096)
def _reversed(urlconf: str | None, prefix: str, name: str, args: tuple[Any, ...]) -> str:
    return reverse(name, urlconf=urlconf, args=args)


def url(name: str, *args: Any) -> str:
    # Keyed by the URLconf and script prefix too: reverse() answers under the request's.
    return _reversed(get_urlconf(), get_script_prefix(), name, args)


def environment(**options: Any) -> Environment:
    env = Environment(**options)  # noqa: S701 - Django's backend passes autoescape=True
    env.globals["url"] = url
    return env
