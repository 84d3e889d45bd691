"""`{% jinja "web/staff/queue_rows.html" %}`: a Jinja2 template (accord/web/jinja2/, see
accord.web.jinja2_env) rendered inside a page of the template language, with the page's
context."""

from __future__ import annotations

from typing import Any

from django import template
from django.template import engines
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context: template.Context, name: str) -> SafeString:
    found = engines["jinja2"].get_template(name)
    request = context.get("request")
    # Jinja2 escapes what it prints (autoescape), so what it gives back is safe HTML.
    variables: dict[str, Any] = {str(k): v for k, v in context.flatten().items()}
    return mark_safe(found.render(variables, request))  # noqa: S308
