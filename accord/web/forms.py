"""What every web form shares: accessible field attributes."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.cases.errors import ActionRefused


class AccessibleFormMixin:
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
