"""The staff pages' forms. They check the shape of what was typed; the rules (who may,
the verifier is not the owner, the cases exist at this organisation) are the actions'."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms

from accord.accounts.models import User
from accord.cleaning import StorableTextMixin
from accord.organisations.models import Organisation
from accord.quality.choices import OWNER_SETTABLE, SETTABLE, ActionFilter, LogFilter
from accord.quality.models import RootCause
from accord.web.forms import AccessibleFormMixin, DateParts

_REFERENCES = re.compile(r"[\s,;]+")


DateInput = DateParts


def _plausible(day: dt.date) -> None:
    if not dt.date(2000, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise forms.ValidationError("Enter a real date between 2000 and 2100.")


class LogFilterForm(StorableTextMixin, forms.Form):
    show = forms.ChoiceField(choices=LogFilter.choices, required=False, label="Show")


class ActionFilterForm(StorableTextMixin, forms.Form):
    show = forms.ChoiceField(choices=ActionFilter.choices, required=False, label="Show")


class RootCauseChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name) + ("" if obj.is_active else " (retired)")


def _root_causes(organisation: Organisation, current: int | None) -> Any:
    causes = RootCause.objects.filter(organisation=organisation)
    return causes.filter(is_active=True) | causes.filter(pk=current or 0)


class CaseQualityForm(AccessibleFormMixin, forms.Form):
    root_cause = RootCauseChoice(
        queryset=RootCause.objects.none(), required=False, empty_label="Not yet known"
    )
    lessons_learned = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=20_000,
        help_text="What should change so that this does not happen again.",
    )

    def __init__(self, *args: Any, organisation: Organisation, current: int | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["root_cause"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _root_causes(organisation, current)


class ActionForm(AccessibleFormMixin, forms.Form):
    what = forms.CharField(
        label="What is to be done",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none(), label="Owner")
    due_on = forms.DateField(label="Due date", widget=DateInput, validators=[_plausible])
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in SETTABLE], initial=SETTABLE[0].value
    )
    root_cause = RootCauseChoice(
        queryset=RootCause.objects.none(), required=False, empty_label="None"
    )
    cases = forms.CharField(
        label="Cases it concerns",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Case references, separated by spaces, commas or new lines.",
    )

    def __init__(self, *args: Any, organisation: Organisation, current: int | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        owner.queryset = (
            User.objects.filter(organisation=organisation, is_active=True)
            .exclude(staff_role="")
            .order_by("username")
        )
        root_cause = self.fields["root_cause"]
        assert isinstance(root_cause, forms.ModelChoiceField)
        root_cause.queryset = _root_causes(organisation, current)

    def references(self) -> tuple[str, ...]:
        return tuple(r for r in _REFERENCES.split(self.cleaned_data.get("cases", "")) if r)


class ProgressForm(AccessibleFormMixin, forms.Form):
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in OWNER_SETTABLE], label="Progress"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Shown on the same page as the action's own form, which has a status too.
        kwargs.setdefault("auto_id", "id_progress_%s")
        super().__init__(*args, **kwargs)


class RevisionForm(AccessibleFormMixin, forms.Form):
    version = forms.CharField(max_length=20, help_text="For example 2.1.")
    author = forms.CharField(max_length=200)
    review_date = forms.DateField(widget=DateInput, validators=[_plausible])
    approved_by = forms.CharField(max_length=200, required=False)
    summary = forms.CharField(
        label="Summary of changes",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Or say that the review changed nothing.",
    )
