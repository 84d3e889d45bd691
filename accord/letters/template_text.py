"""The template text of letters (a template's subject and body, or a procedure's own
wording for a letter): compiled by its own engine, with no loaders and no extra
libraries, so a template can say only what the letter's context gives it. Pure: no
database."""

from __future__ import annotations

from django.template import Engine, Template, TemplateSyntaxError

_ENGINES = {
    True: Engine(autoescape=True, loaders=[], app_dirs=False),
    False: Engine(autoescape=False, loaders=[], app_dirs=False),
}


def compile_template(text: str, *, autoescape: bool) -> Template:
    return _ENGINES[autoescape].from_string(text)


def syntax_fault(text: str) -> str | None:
    """Why `text` is not valid template text (None: it is)."""
    try:
        compile_template(text, autoescape=True)
    except TemplateSyntaxError as error:
        return f"not valid template text: {error}"
    return None
