"""Form widgets render through Jinja2 where it has the template, through the template
language otherwise (the admin's widgets), with the HTML the template language gave."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.forms.renderers import DjangoTemplates

from accord.web.forms import DateParts


class _Form(forms.Form):
    text = forms.CharField(label="What happened", widget=forms.Textarea)
    choice = forms.ChoiceField(choices=[("a", "A & B"), ("b", "O'Brien")])
    on = forms.DateField(widget=DateParts())
    when = forms.SplitDateTimeField(widget=AdminSplitDateTime())


def _squeezed(html: str) -> str:
    return "".join(html.split()).replace("&#39;", "&#x27;")


def test_widgets_render_as_the_template_language_rendered_them() -> None:
    data = {"text": "O'Brien <b>&", "choice": "b", "on": "2026-03-27"}
    ours = _Form(data)
    theirs = _Form(data, renderer=DjangoTemplates())
    for name in ("text", "choice", "when"):  # "when": the admin's, in the template language
        assert _squeezed(str(ours[name])) == _squeezed(str(theirs[name])), name
    assert "O&#39;Brien &lt;b&gt;&amp;" in str(ours["text"])  # escaped once
    parts = str(ours["on"])  # Accord's own widget template, in Jinja2 alone
    assert parts.startswith('<div class="date-input">')
    for name, value in (("on_day", "27"), ("on_month", "3"), ("on", "2026")):
        assert f'name="{name}" value="{value}"' in parts
    assert ours.is_valid() is False  # the admin's widget needs its two parts
    whole = _Form({**data, "when_0": "2026-03-27", "when_1": "10:00"})
    assert whole.is_valid(), whole.errors
    assert whole.cleaned_data["on"] == dt.date(2026, 3, 27)
