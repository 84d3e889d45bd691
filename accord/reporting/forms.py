"""The period form of the annual report and its exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from accord.reporting.periods import Period, PeriodError, parse_period
from accord.web.forms import AccessibleFormMixin


class PeriodForm(AccessibleFormMixin, forms.Form):
    """From and to (inclusive); both empty means the last complete calendar year."""

    def __init__(self, data: Any, today: dt.date) -> None:
        self.today = today
        super().__init__(data)
        # "from" is a Python keyword, so the fields are added by name.
        self.fields["from"] = forms.CharField(
            label="From", required=False, help_text="The first day, YYYY-MM-DD", max_length=20
        )
        self.fields["to"] = forms.CharField(
            label="To", required=False, help_text="The last day, YYYY-MM-DD", max_length=20
        )
        self.fields["from"].widget.input_type = "date"
        self.fields["to"].widget.input_type = "date"
        self.period: Period | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            self.period = parse_period(cleaned.get("from"), cleaned.get("to"), self.today)
        except PeriodError as exc:
            self.add_error(exc.field, exc.message)
        return cleaned
