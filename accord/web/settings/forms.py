"""The Settings area's forms. They parse and bound what an administrator types (Django's
text fields refuse NUL characters, so PostgreSQL never sees one); the rules live in
the domain functions the views call."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from accord.accounts.choices import StaffRole
from accord.accounts.models import User
from accord.organisations.models import ClosureDay, ExternalBody, Organisation, Team
from accord.web.forms import AccessibleFormMixin, DateParts


class DetailsForm(AccessibleFormMixin, forms.ModelForm[Organisation]):
    class Meta:
        model = Organisation
        fields = [
            "name",
            "kind",
            "nation",
            "closing_time",
            "closures_published_through",
            "address",
            "phone",
            "email",
            "complaints_email",
            "website",
        ]
        labels = {
            "kind": "What the organisation does",
            "nation": "Bank holidays of",
            "closing_time": "Closing time",
            "closures_published_through": "Closure days are published up to",
            "complaints_email": "Complaints e-mail address",
        }
        help_texts = {
            "closing_time": "Anything received at or after this time counts as received "
            "the next working day. For example, 17:00.",
            "closures_published_through": "Due dates after this day are shown as provisional.",
        }
        widgets = {
            "closing_time": forms.TimeInput(format="%H:%M", attrs={"class": "input-short"}),
            "closures_published_through": DateParts(),
            "address": forms.Textarea(attrs={"rows": 3}),
        }


class ClosureForm(AccessibleFormMixin, forms.ModelForm[ClosureDay]):
    class Meta:
        model = ClosureDay
        fields = ["date", "name"]
        labels = {"date": "Day closed", "name": "Why (for example, staff training day)"}
        widgets = {"date": DateParts()}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_date(self) -> Any:
        date = self.cleaned_data["date"]
        if ClosureDay.objects.filter(organisation=self.organisation, date=date).exists():
            raise forms.ValidationError("That day is already a closure day.")
        return date


class TeamForm(AccessibleFormMixin, forms.ModelForm[Team]):
    class Meta:
        model = Team
        fields = ["name"]
        labels = {"name": "Team name"}

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        clash = Team.objects.filter(organisation=self.organisation, name__iexact=name)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("There is already a team with this name.")
        return name


class ExternalBodyForm(AccessibleFormMixin, forms.ModelForm[ExternalBody]):
    class Meta:
        model = ExternalBody
        fields = ["kind", "name", "time_limit", "website", "email", "phone", "address"]
        labels = {
            "kind": "What it is",
            "time_limit": "The complainant's time limit",
            "email": "E-mail address",
        }
        help_texts = {
            "time_limit": "In words, as the complainant is told it. For example, "
            "within 12 months of our final response.",
        }
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "time_limit": forms.Textarea(attrs={"rows": 2}),
        }


def _team_choices(form: forms.Form, organisation: Organisation) -> None:
    field = form.fields["teams"]
    assert isinstance(field, forms.ModelMultipleChoiceField)
    field.queryset = Team.objects.filter(organisation=organisation).order_by("name")


class StaffChangeForm(AccessibleFormMixin, forms.Form):
    role = forms.ChoiceField(label="Role", choices=StaffRole.choices)
    teams = forms.ModelMultipleChoiceField(
        label="Teams",
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _team_choices(self, organisation)


class NewStaffForm(StaffChangeForm):
    username = forms.RegexField(
        label="Username",
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": "Use letters, digits and . @ + - _ only."},
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    email = forms.EmailField(label="E-mail address")
    password = forms.CharField(
        label="First password",
        help_text="Give it to them privately. They set up their authenticator app the "
        "first time they sign in.",
        strip=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = ["first_name", "last_name", "email", "username", "role", "teams", "password"]

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        password_validation.validate_password(password)
        return password


class ProcedureChoiceForm(AccessibleFormMixin, forms.Form):
    procedure_key = forms.ChoiceField(label="The procedure new complaints follow")

    def __init__(self, *args: Any, keys: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["procedure_key"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(key, key) for key in keys]


class PublishForm(AccessibleFormMixin, forms.Form):
    summary = forms.CharField(
        label="What changed",
        help_text="The revision table's summary of this version.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    approved_by = forms.ModelChoiceField(
        label="Approved by",
        help_text="Someone other than you. Leave it empty only if you must approve it "
        "yourself, and say why below.",
        queryset=User.objects.none(),
        required=False,
    )
    self_approval_reason = forms.CharField(
        label="Why you approve it yourself",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    effective_from = forms.DateField(
        label="Takes effect on",
        help_text="Complaints received from this day follow it; those received before "
        "keep the version they were received under. For example, 27 3 2026.",
        widget=DateParts(),
    )
    use_now = forms.BooleanField(
        label="New complaints follow this procedure from that day",
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, organisation: Organisation, author: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["approved_by"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            User.objects.filter(organisation=organisation, is_active=True)
            .exclude(staff_role="")
            .exclude(pk=author.pk)
            .order_by("last_name", "first_name")
        )


SIMULATED_STEPS = 6


class SimulatorForm(AccessibleFormMixin, forms.Form):
    nation = forms.ChoiceField(label="Bank holidays of")
    received_on = forms.DateField(label="The complaint arrives on", widget=DateParts())
    received_time = forms.TimeField(
        label="At",
        help_text="24-hour clock, for example 09:30.",
        widget=forms.TimeInput(format="%H:%M", attrs={"class": "input-short"}),
    )

    def __init__(self, *args: Any, steps: list[tuple[str, str]], **kwargs: Any) -> None:
        from accord.organisations.choices import NationChoice

        super().__init__(*args, **kwargs)
        nation = self.fields["nation"]
        assert isinstance(nation, forms.ChoiceField)
        nation.choices = NationChoice.choices
        for n in range(1, SIMULATED_STEPS + 1):
            self.fields[f"step_{n}"] = forms.ChoiceField(
                label=f"Step {n}", choices=[("", "—"), *steps], required=False
            )
            self.fields[f"on_{n}"] = forms.DateField(
                label=f"Step {n} taken on", widget=DateParts(), required=False
            )
            self.fields[f"time_{n}"] = forms.TimeField(
                label=f"Step {n} at",
                required=False,
                widget=forms.TimeInput(format="%H:%M", attrs={"class": "input-short"}),
            )
            self.fields[f"given_{n}"] = forms.DateField(
                label=f"Step {n}: a date it asks for (if any)",
                widget=DateParts(),
                required=False,
            )
        self._describe_fields()

    def rows(self) -> list[list[Any]]:
        return [
            [self[f"{part}_{n}"] for part in ("step", "on", "time", "given")]
            for n in range(1, SIMULATED_STEPS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for n in range(1, SIMULATED_STEPS + 1):
            if data.get(f"step_{n}") and not data.get(f"on_{n}"):
                self.add_error(f"on_{n}", "Say when this step is taken.")
            if data.get(f"on_{n}") and not data.get(f"step_{n}"):
                self.add_error(f"step_{n}", "Choose the step taken on this day.")
        return data


class LetterheadForm(AccessibleFormMixin, forms.ModelForm[Organisation]):
    class Meta:
        model = Organisation
        fields = ["letterhead", "signatory_name", "signatory_role"]
        labels = {
            "letterhead": "Letterhead",
            "signatory_name": "Letters are signed by",
            "signatory_role": "Their role",
        }
        help_texts = {"signatory_role": "For example, Head of Customer Resolution."}
        widgets = {"letterhead": forms.Textarea(attrs={"rows": 5})}
