"""What a web process's first requests would otherwise make, made before it takes any
(`accord/wsgi.py`; gunicorn loads the application in each worker before it accepts).
A new worker's first public complaint cost 197 ms of CPU instead of 6, its first work
queue 75 ms instead of 20: importing the bank holidays' rules and the Redis client,
compiling the templates, the URL patterns and the e-mail address check's pattern. Every deploy, and every
worker gunicorn recycles (`--max-requests`), put those on somebody's request.

Nothing here reads the database or the cache server; a step that fails is logged and
left to the first request that needs it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import django.forms
from django.core.cache import caches
from django.core.validators import validate_email
from django.forms.renderers import get_default_renderer
from django.template import TemplateDoesNotExist, engines
from django.template.backends.django import DjangoTemplates
from django.urls import get_resolver
from django.utils import timezone

log = logging.getLogger("accord.operations")

ACCORD = Path(__file__).resolve().parent.parent
FORMS = Path(django.forms.__file__).resolve().parent / "jinja2"
SUFFIXES = {".html", ".txt", ".xml", ".svg"}


def _names(folder_name: str, root: Path = ACCORD) -> Iterator[str]:
    """The name of each template under a folder called `folder_name` below `root`."""
    for folder in sorted(root.rglob(folder_name)):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and path.suffix in SUFFIXES:
                    yield path.relative_to(folder).as_posix()


def templates() -> int:
    """Compile Accord's own templates, and the form widgets' (the form renderer's
    Jinja2 environment is its own), into the engines' cached loaders."""
    count = 0
    for engine in engines.all():
        folder = "templates" if isinstance(engine, DjangoTemplates) else "jinja2"
        for name in _names(folder):
            engine.get_template(name)
            count += 1
    renderer = get_default_renderer()
    for name in [*_names("jinja2", FORMS.parent), *_names("jinja2")]:
        try:
            renderer.get_template(name)
        except TemplateDoesNotExist:
            continue
        count += 1
    return count


def bank_holidays() -> int:
    """Every nation's bank holidays from last year to next (their rules are imported
    on first use)."""
    from accord.workdays.calendar import Nation, bank_holidays

    year = timezone.now().year
    for nation in Nation:
        for each in (year - 1, year, year + 1):
            bank_holidays(nation, each)
    return len(Nation)


def checks() -> int:
    """The URL patterns reversing reads (every page links somewhere), the e-mail address
    check's patterns, and the cache's client (Django's Redis cache imports redis for it;
    no connection is made until a request uses it)."""
    get_resolver().reverse_dict  # noqa: B018 - reading it builds it
    validate_email("warm-up@example.com")
    getattr(caches["default"], "_cache", None)
    return 1


STEPS: tuple[Callable[[], int], ...] = (templates, bank_holidays, checks)


def warm_up() -> None:
    for step in STEPS:
        try:
            step()
        except Exception:
            log.exception("warm-up: %s failed; the first request needing it does it", step.__name__)
