"""The public complaint form: the questions the organisation's procedure needs."""

from __future__ import annotations

from typing import Any

from django import forms

from accord.cases import intake
from accord.cases.choices import Channel
from accord.organisations.models import Organisation
from accord.web.forms import AccessibleFormMixin

SHARE_CHOICES = [
    ("yes", "Yes, share it with the people dealing with my complaint"),
    ("no", "No, do not share it"),
]

# intake's field names (see accord.cases.intake) as this form calls them.
INTAKE_FIELDS = {"respondent_id": "respondent", "issue_arose_on": "issue_arose_on"}


class ComplaintForm(AccessibleFormMixin, forms.Form):
    """One complaint from the public. Fields depend on the procedure in force
    (`intake.Questions`): the business complained about, a microbusiness question, and
    whether the date the issue arose is needed."""

    respondent = forms.ChoiceField(label="Which practice or business is your complaint about?")
    description = forms.CharField(
        label="What happened?",
        help_text="Tell us what went wrong and what has been done about it so far.",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    issue_arose_on = forms.DateField(
        label="When did the problem arise?",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    desired_outcome = forms.CharField(
        label="What would you like to happen?",
        help_text="For example an apology, an explanation, a refund or a repair.",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    share_information = forms.ChoiceField(
        label="May we share what you tell us with the people who deal with your complaint?",
        help_text=(
            "We share it only with those dealing with the complaint. If you say no, we "
            "will record that, but it may limit how far we can look into it."
        ),
        choices=SHARE_CHOICES,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label="Your full name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="Your e-mail address",
        help_text="We send you a link to follow your complaint. Give this or a phone number.",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label="Your phone number",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(
        label="Your postal address",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    is_microbusiness = forms.BooleanField(
        label="I am complaining for a microbusiness (fewer than 10 staff)", required=False
    )
    business_name = forms.CharField(
        label="Business name",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    # Spam resistance: a field people never see, and the signed issue stamp.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=500)

    def __init__(
        self, organisation: Organisation, questions: intake.Questions, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.questions = questions
        if questions.businesses:
            field = self.fields["respondent"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [
                ("", "Choose one"),
                *((str(b.pk), b.name) for b in questions.businesses),
            ]
        else:
            del self.fields["respondent"]
        if questions.needs_issue_date:
            self.fields["issue_arose_on"].required = True
            self.fields["issue_arose_on"].help_text = (
                f"{organisation.name} asks for complaints to be raised within "
                f"{questions.raise_within} of the problem arising. If it was longer ago, "
                "tell us anyway: a member of staff will decide."
            )
        else:
            self.fields["issue_arose_on"].help_text = "If you know it."
        if not questions.asks_microbusiness:
            del self.fields["is_microbusiness"]
            del self.fields["business_name"]
        # Bound fields cached before the changes above would keep the old hints.
        self._bound_fields_cache.clear()  # type: ignore[attr-defined]
        self._describe_fields()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("email") and not cleaned.get("phone") and "email" not in self.errors:
            self.add_error(
                "email", "Give an e-mail address or a phone number so that we can reach you"
            )
        if cleaned.get("is_microbusiness") and not cleaned.get("business_name", "").strip():
            self.add_error("business_name", "Give the name of the microbusiness")
        return cleaned

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.data.get("website", "").strip())

    def complaint(self) -> intake.Complaint:
        data = self.cleaned_data
        return intake.Complaint(
            complainant=intake.ComplainantDetails(
                name=data["name"].strip(),
                email=data["email"].strip(),
                phone=data["phone"].strip(),
                address=data["address"].strip(),
                is_microbusiness=bool(data.get("is_microbusiness")),
                business_name=data.get("business_name", "").strip(),
            ),
            description=data["description"].strip(),
            desired_outcome=data["desired_outcome"].strip(),
            issue_arose_on=data.get("issue_arose_on"),
            respondent_id=int(data["respondent"]) if data.get("respondent") else None,
            channel=Channel.WEB_FORM,
            no_information_sharing=data["share_information"] == "no",
        )
