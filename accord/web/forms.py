"""What every web form shares: accessible field attributes, and the input-cleaning
rule (`accord.cleaning`: a field sent characters no database stores is an error on it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from accord.cases.errors import ActionRefused
from accord.cleaning import StorableTextMixin


class AccessibleFormMixin(StorableTextMixin):
    """Marks each field's hint and error for assistive technology.

    After validation, a field in error gets aria-invalid and every field names its hint
    and error message with aria-describedby (the ids `web/includes/field.html` renders).
    """

    def _describe_fields(self) -> None:
        form: forms.BaseForm = self  # type: ignore[assignment]
        for name, field in form.fields.items():
            bound = form[name]
            ids = []
            if field.help_text:
                ids.append(f"{bound.auto_id}_hint")
            # `_errors`, not `errors`: reading `errors` would validate the form now, in
            # __init__, before a subclass has finished setting up its fields.
            if form.is_bound and name in (getattr(form, "_errors", None) or {}):
                ids.append(f"{bound.auto_id}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        self._describe_fields()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._describe_fields()


def add_refusal(
    form: forms.BaseForm, exc: ActionRefused, fields: dict[str, str] | None = None
) -> None:
    """Show a domain refusal (`accord.cases.errors.ActionRefused`) on the form: on the
    field it names when the form has that field (through `fields`, intake's name ->
    the form's), else above the form."""
    name = (fields or {}).get(exc.field or "", exc.field)
    message = str(exc.message)
    message = message[:1].upper() + message[1:]
    form.add_error(name if name in form.fields else None, message)
    if isinstance(form, AccessibleFormMixin):
        form._describe_fields()


class DateParts(forms.MultiWidget):
    """The GOV.UK date pattern: a day, a month and a year in three labelled inputs inside
    a fieldset ("For example, 27 3 2026"), instead of a browser date picker whose own
    format (mm/dd/yyyy in some locales) disagrees with the hint. Works with a plain
    `forms.DateField`: the parts reach it as one ISO date. A value sent whole under the
    field's own name (`due_on=2026-03-27`, as links and scripts do) is taken as it is:
    the year input carries the field's own name, the day and month `<name>_day` and
    `<name>_month`."""

    template_name = "web/includes/date_parts.html"
    use_fieldset = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        numeric = {"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        super().__init__(
            {
                "day": forms.TextInput({**numeric, "class": "input-2", "maxlength": "2"}),
                "month": forms.TextInput({**numeric, "class": "input-2", "maxlength": "2"}),
                # The year keeps the field's own name, so a whole ISO date sent under
                # that name (links, scripts) still arrives as one value.
                "": forms.TextInput({**numeric, "class": "input-4", "maxlength": "4"}),
            },
            attrs,
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                return [None, None, None]
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        day = str(data.get(f"{name}_day", "") or "").strip()
        month = str(data.get(f"{name}_month", "") or "").strip()
        year = str(data.get(name, "") or "").strip()
        if f"{name}_day" not in data and f"{name}_month" not in data:
            return year  # a whole date under the field's own name
        if not (day or month or year):
            return ""
        if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
            return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
        return f"{day}/{month}/{year}"  # not a date: the field says so

    def format_value(self, value: Any) -> Any:
        return value

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        if isinstance(value, str) and "/" in value:
            # Given back as typed, so a mistake can be corrected rather than retyped.
            value = [(part or None) for part in value.split("/")]
        context = super().get_context(name, value, attrs)
        for sub, label in zip(
            context["widget"]["subwidgets"], ("Day", "Month", "Year"), strict=True
        ):
            sub["part_label"] = label
        return context
