"""The forms of the parties' pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from accord.accounts.models import User
from accord.mediation.choices import Answer, ProposalKind
from accord.policy.roles import staff_role
from accord.web.forms import AccessibleFormMixin


class BusinessLoginForm(AccessibleFormMixin, AuthenticationForm):
    """Sign-in for the people who act for a business. Staff sign in on the staff
    pages, with their second factor; complainants use the link we e-mail them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        self._describe_fields()

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        assert isinstance(user, User)
        if staff_role(user) is not None or user.is_superuser:
            raise forms.ValidationError(
                "Staff sign in on the staff pages, with their security code.", code="staff"
            )
        if user.business_id is None:
            raise forms.ValidationError(
                "This sign-in is for businesses. If you made a complaint, use the link we "
                "e-mailed you, or ask for a new one.",
                code="not_business",
            )


class LinkRequestForm(AccessibleFormMixin, forms.Form):
    email = forms.EmailField(
        label="Your e-mail address",
        help_text="The address you gave when you complained.",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    reference = forms.CharField(
        label="Your complaint reference",
        help_text="For example OCC-2026-000123.",
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class MessageForm(AccessibleFormMixin, forms.Form):
    body = forms.CharField(
        label="Your message",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class UploadForm(AccessibleFormMixin, forms.Form):
    file = forms.FileField(
        label="Choose a file",
        help_text="PDF, Word, Excel, plain text or a photo (JPEG, PNG, GIF, WebP, HEIC).",
    )

    def __init__(self, *args: Any, limit: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if limit:
            self.fields["file"].help_text += f" Up to {limit}."
        # Bound fields cached before the changes above would keep the old hints.
        self._bound_fields_cache.clear()  # type: ignore[attr-defined]
        self._describe_fields()


class ConsentForm(AccessibleFormMixin, forms.Form):
    form_version = forms.IntegerField(widget=forms.HiddenInput)
    ticked = forms.BooleanField(label="I give my consent as set out above")
    typed_name = forms.CharField(
        label="Type your full name to sign",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    share = forms.MultipleChoiceField(
        label="Details the business may see, to find your records",
        help_text="Your name is always shared once you sign. Choose any others.",
        choices=[
            ("address", "My address"),
            ("email", "My e-mail address"),
            ("phone", "My phone number"),
        ],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class WithdrawConsentForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why you are withdrawing your consent",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. Once withdrawn, no more records can be requested for your case.",
    )


class AnswerForm(AccessibleFormMixin, forms.Form):
    """Accept, reject, or counter with a proposal of one's own (the domain checks the
    counter's terms: `mediation.proposals.clean_terms`)."""

    answer = forms.ChoiceField(
        label="Your answer",
        choices=[
            (Answer.ACCEPT.value, "I accept"),
            (Answer.REJECT.value, "I do not accept"),
            (Answer.COUNTER.value, "I propose something else instead (fill in below)"),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Anything you want to add (only the mediator reads this)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    kind = forms.ChoiceField(
        label="What you propose instead",
        required=False,
        choices=[("", "Choose one"), *ProposalKind.choices],
        help_text="Only if you propose something else.",
    )
    description = forms.CharField(
        label="Describe what you propose",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    amount = forms.DecimalField(
        label="Amount in pounds, for a refund or goodwill payment",
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
    )
    answer_by = forms.DateField(
        label="The other side to answer by",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("answer") == Answer.COUNTER:
            for name in ("kind", "description", "answer_by"):
                if not data.get(name):
                    self.add_error(name, "Fill this in to propose something else.")
        return data


class OwnProposalForm(AccessibleFormMixin, forms.Form):
    """A party's own proposal, for the mediator (who decides whether and how to put it
    to the other side)."""

    kind = forms.ChoiceField(label="What you propose", choices=ProposalKind.choices)
    description = forms.CharField(
        label="Describe what you propose",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    amount = forms.DecimalField(
        label="Amount in pounds, for a refund or goodwill payment",
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=0,
    )
    answer_by = forms.DateField(
        label="The other side to answer by", widget=forms.DateInput(attrs={"type": "date"})
    )


class AgreementConfirmForm(AccessibleFormMixin, forms.Form):
    document_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    understood = forms.BooleanField(
        label="I have read the agreement and I understand it will be legally binding on both sides"
    )


class FeedbackForm(AccessibleFormMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label="How satisfied are you with how your case was handled?",
        coerce=int,
        choices=[
            (5, "Very satisfied"),
            (4, "Satisfied"),
            (3, "Neither satisfied nor dissatisfied"),
            (2, "Dissatisfied"),
            (1, "Very dissatisfied"),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="How could we do better?",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class StepForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label="Tell us why",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
