"""The period form of the annual report and its exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from accord.reporting.periods import Period, PeriodError, parse_period
from accord.web.forms import AccessibleFormMixin, DateParts


class PeriodForm(AccessibleFormMixin, forms.Form):
    """From and to (inclusive); both empty means the last complete calendar year."""

    def __init__(
        self, data: Any, today: dt.date, default: tuple[Period, str] | None = None
    ) -> None:
        self.today = today
        self.default = default
        self.default_reason = ""
        super().__init__(data)
        # "from" is a Python keyword, so the fields are added by name.
        self.fields["from"] = forms.CharField(
            label="From",
            required=False,
            help_text="The first day, for example 1 1 2026",
            widget=DateParts,
        )
        self.fields["to"] = forms.CharField(
            label="To",
            required=False,
            help_text="The last day, for example 31 12 2026",
            widget=DateParts,
        )
        self.period: Period | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("from", "to"):
            if "/" in (cleaned.get(name) or ""):
                self.add_error(name, "Enter a real date, for example 27 3 2026")
                return cleaned
        if self.default is not None and not cleaned.get("from") and not cleaned.get("to"):
            self.period, self.default_reason = self.default
            return cleaned
        try:
            self.period = parse_period(cleaned.get("from"), cleaned.get("to"), self.today)
        except PeriodError as exc:
            self.add_error(exc.field, exc.message)
        return cleaned


class TrendForm(AccessibleFormMixin, forms.Form):
    """How many months the dashboard's trend covers."""

    months = forms.TypedChoiceField(
        label="Months shown",
        choices=[("3", "3 months"), ("6", "6 months"), ("12", "12 months"), ("24", "24 months")],
        coerce=int,
        initial="12",
    )
