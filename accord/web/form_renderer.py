"""How form widgets render: through Jinja2 where a Jinja2 template exists (Django's own
widget templates for it, and accord/web/jinja2/ for Accord's), else through the
template language (the admin's widgets have no Jinja2 templates).

The same HTML as the template language's at about a third of the cost, which pages with
many forms (the staff case page: every step, clock and relay form) paid on every
request."""

from __future__ import annotations

from typing import Any

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(BaseRenderer):
    def __init__(self) -> None:
        self._jinja2 = Jinja2()
        self._templates = DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return self._jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self._templates.get_template(template_name)
