"""The staff workspace's forms. They parse and bound what a person types; every rule
about what may be done lives in the domain functions the views call."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms

from accord.accounts.models import User
from accord.cases.choices import Channel, ClockBadge, Source
from accord.cases.queue import SORTS, View
from accord.letters.models import Recipient
from accord.letters.rendering import FIELDS as LETTER_FIELDS
from accord.mediation.agreements import Term
from accord.mediation.choices import Party, ProposalKind, ProposalSource
from accord.mediation.proposals import ProposalTerms
from accord.organisations.models import Team
from accord.procedures.definition import InputKind, Procedure, Transition
from accord.web.forms import AccessibleFormMixin, DateParts
from accord.workdays.deadlines import Unit

DATE_INPUT = DateParts()


class PasswordForm(AccessibleFormMixin, forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        label="Password",
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(AccessibleFormMixin, forms.Form):
    code = forms.RegexField(
        label="Code from your authenticator app",
        help_text="The 6 digits your app shows for Accord.",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Enter the 6 digits your app shows."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "maxlength": "8",
                "class": "input-short",
            }
        ),
    )

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip()


HANDLER_ANY = ""


class QueueFilterForm(AccessibleFormMixin, forms.Form):
    """The queue's filters, read from the query string (works without JavaScript)."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        help_text="Reference, complainant, business or words from the complaint.",
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)
    handler = forms.ChoiceField(label="Handler", required=False)
    stage = forms.ChoiceField(label="Stage", required=False)
    clock_state = forms.ChoiceField(
        label="Deadline",
        required=False,
        choices=[("", "Any"), *ClockBadge.choices],
    )
    view = forms.ChoiceField(required=False, widget=forms.HiddenInput)
    sort = forms.ChoiceField(required=False, widget=forms.HiddenInput)
    cursor = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)

    def __init__(
        self,
        data: Any,
        *,
        teams: list[Team],
        handlers: list[User],
        stages: list[tuple[str, str]],
    ) -> None:
        super().__init__(data)
        self.fields["team"].choices = [("", "Any"), *((t.pk, t.name) for t in teams)]  # type: ignore[attr-defined]
        self.fields["handler"].choices = [  # type: ignore[attr-defined]
            (HANDLER_ANY, "Anyone"),
            ("me", "Mine"),
            ("none", "Unassigned"),
            *((h.username, str(h)) for h in handlers),
        ]
        self.fields["stage"].choices = [("", "Any"), *stages]  # type: ignore[attr-defined]
        self.fields["view"].choices = [("", "All open cases"), *View.choices]  # type: ignore[attr-defined]
        self.fields["sort"].choices = [("", "Next deadline"), *((s, s) for s in SORTS)]  # type: ignore[attr-defined]


class BulkAssignForm(AccessibleFormMixin, forms.Form):
    """The queue's bulk assignment: the chosen cases (checkboxes named `case`, read by
    the view) to a handler and/or a team."""

    handler = forms.ChoiceField(label="Assign the chosen cases to", required=False)
    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)

    def __init__(self, handlers: list[User], teams: list[Team], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="bulk", **kwargs)
        self.fields["handler"].choices = [  # type: ignore[attr-defined]
            ("", "Keep each case's handler"),
            *((h.username, str(h)) for h in handlers),
        ]
        self.fields["team"].choices = [  # type: ignore[attr-defined]
            ("", "Keep each case's team"),
            *((t.pk, t.name) for t in teams),
        ]


class StepForm(AccessibleFormMixin, forms.Form):
    """One procedure step, with the inputs the procedure declares for it and, for each
    letter it sends, only the fields that letter's kind uses (see `letter_fields`)."""

    def __init__(
        self,
        key: str,
        transition: Transition,
        *args: Any,
        procedure: Procedure | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, prefix=f"step-{key}", **kwargs)
        self.key = key
        self.transition = transition
        self.letter_groups: list[tuple[str, list[str]]] = []
        if len(transition.outcomes) > 1:
            self.fields["outcome"] = forms.ChoiceField(
                label="Outcome",
                choices=[("", "Choose the outcome"), *((o, o) for o in transition.outcomes)],
            )
        for name, declared in transition.inputs.items():
            field: forms.Field
            if declared.kind == InputKind.DATE:
                field = forms.DateField(label=declared.label, widget=DATE_INPUT)
            else:
                field = forms.CharField(
                    label=declared.label, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
                )
            field.required = declared.required
            self.fields[f"input_{name}"] = field
        self.fields["reason"] = forms.CharField(
            label="Reason" if transition.reason_required else "Note for the timeline",
            required=transition.reason_required,
            max_length=5000,
            # A staff reason fills the reasons of the step's letters to the complainant
            # (never the business's): say so wherever the step sends letters.
            help_text=(
                "Goes into the letters this step sends to the complainant."
                if transition.letters
                else ""
            ),
            widget=forms.Textarea(attrs={"rows": 3}),
        )
        if procedure is not None:
            self._add_letter_fields(procedure)
            self._describe_fields()

    def _add_letter_fields(self, procedure: Procedure) -> None:
        """Each letter the step sends: the fields its kind has the handler type (the
        step's reason and a date a clock is due on are the step's own fields), and,
        where the pack lets it follow the step, a choice to send it later."""
        from accord.letters.kinds import kind_of, typed_fields
        from accord.procedures.wording import party_wording

        wording = party_wording(procedure)
        dated = {
            str(clock.due_on_input)
            for clock in procedure.clocks.values()
            if self.key in clock.starts_on and clock.due_on_input
        }
        for name in self.transition.letters:
            kind = kind_of(procedure, name)
            if kind is None:
                continue
            label = procedure.letters.get(name, name)
            group: list[str] = []
            for typed in typed_fields(kind, mediates=wording.mediates):
                if typed.name == "reason":
                    if typed.required:
                        self.fields["reason"].required = True
                        self.fields["reason"].label = "Reasons (they go into the letter)"
                    continue
                if typed.name == "anticipated_date" and dated:
                    continue
                field_name = f"letter_{name}_{typed.name}"
                field: forms.Field
                if typed.name == "anticipated_date":
                    field = forms.DateField(label=typed.label, widget=DATE_INPUT)
                else:
                    field = forms.CharField(
                        label=typed.label,
                        max_length=5000,
                        widget=forms.Textarea(attrs={"rows": 3}),
                    )
                field.required = typed.required
                field.help_text = typed.help_text
                self.fields[field_name] = field
                group.append(field_name)
            if wording.letter(name).may_follow:
                self.fields[f"later_{name}"] = forms.BooleanField(
                    label="Send this letter later (it is recorded as owed)", required=False
                )
                group.append(f"later_{name}")
            self.letter_groups.append((label, group))

    def grouped(self) -> dict[str, Any]:
        """The step's own fields, then each letter's, for the template."""
        in_letters = {name for _, names in self.letter_groups for name in names}
        return {
            "own": [self[name] for name in self.fields if name not in in_letters],
            "letters": [
                {"label": label, "fields": [self[name] for name in names]}
                for label, names in self.letter_groups
            ],
        }

    def letters(self) -> Any:
        """What the handler gave the step's letters (`accord.letters.steps.StepLetters`)."""
        from accord.letters.steps import StepLetters

        typed: dict[str, dict[str, str]] = {}
        later = []
        for name in self.transition.letters:
            if self.cleaned_data.get(f"later_{name}"):
                later.append(name)
            prefix = f"letter_{name}_"
            for field_name, value in self.cleaned_data.items():
                if field_name.startswith(prefix) and value:
                    text = value.isoformat() if isinstance(value, dt.date) else str(value).strip()
                    typed.setdefault(name, {})[field_name.removeprefix(prefix)] = text
        return StepLetters(fields=typed, later=tuple(later))

    def set_outcome_labels(self, procedure: Procedure) -> None:
        if "outcome" in self.fields:
            self.fields["outcome"].choices = [  # type: ignore[attr-defined]
                ("", "Choose the outcome"),
                *((o, procedure.outcomes[o].label) for o in self.transition.outcomes),
            ]

    def step_data(self) -> dict[str, str]:
        data: dict[str, str] = {}
        for name in self.transition.inputs:
            value = self.cleaned_data.get(f"input_{name}")
            if isinstance(value, dt.date):
                data[name] = value.isoformat()
            elif value:
                data[name] = str(value)
        return data


# A domain refusal names intake's or the engine's field; the step form's name for it.
def step_fields(transition: Transition) -> dict[str, str]:
    fields = {name: f"input_{name}" for name in transition.inputs}
    for name in transition.letters:
        for item in ("findings", "remedy", "timeframe", "update", "summary", "outcome"):
            fields[f"letters.{name}.{item}"] = f"letter_{name}_{item}"
        fields[f"letters.{name}.anticipated_date"] = f"letter_{name}_anticipated_date"
        fields[f"letters.{name}.reasons"] = "reason"
    return fields


class NoteForm(AccessibleFormMixin, forms.Form):
    text = forms.CharField(
        label="Internal note",
        help_text="Staff only: never shown to the parties.",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="note", **kwargs)


class MessageForm(AccessibleFormMixin, forms.Form):
    body = forms.CharField(max_length=20_000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, party: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"message-{party}", **kwargs)
        self.fields["body"].label = f"Write to the {party}"
        self._bound_fields_cache.pop("body", None)  # type: ignore[attr-defined]  # made before the label was set


class RelayForm(AccessibleFormMixin, forms.Form):
    body = forms.CharField(
        label="Message as the other party will read it",
        help_text="Edit it if something should not be passed on.",
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, message_id: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"relay-{message_id}", **kwargs)


class AssignForm(AccessibleFormMixin, forms.Form):
    handler = forms.ChoiceField(label="Handler", required=False)
    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)

    def __init__(self, handlers: list[User], teams: list[Team], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="assign", **kwargs)
        self.fields["handler"].choices = [  # type: ignore[attr-defined]
            ("", "Unassigned"),
            *((h.username, f"{h} ({h.get_staff_role_display()})") for h in handlers),
        ]
        self.fields["team"].choices = [("", "Keep as it is"), *((t.pk, t.name) for t in teams)]  # type: ignore[attr-defined]


CLOCK_ACTIONS = [("pause", "Pause"), ("resume", "Resume"), ("extend", "Extend")]


class ClockForm(AccessibleFormMixin, forms.Form):
    action = forms.ChoiceField(choices=CLOCK_ACTIONS, widget=forms.HiddenInput)
    amount = forms.IntegerField(label="By how much", required=False, min_value=1, max_value=366)
    unit = forms.ChoiceField(
        label="Unit",
        required=False,
        choices=[(u.value, u.value.replace("_", " ")) for u in Unit],
    )
    reason = forms.CharField(
        label="Reason", max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, key: str, action: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"clock-{key}-{action}", **kwargs)
        self.fields["action"].initial = action
        if action != "extend":
            del self.fields["amount"]
            del self.fields["unit"]


class VerbalSummaryForm(AccessibleFormMixin, forms.Form):
    how = forms.CharField(
        label="How the complainant confirmed the summary",
        help_text="For example: replied by e-mail on 3 March confirming it.",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="verbal", **kwargs)


class LetterForm(AccessibleFormMixin, forms.Form):
    """Which letter, to whom, and what the handler adds to it (query string: previews
    are read-only; the same fields are posted to send)."""

    name = forms.ChoiceField(label="Letter")
    recipient = forms.ChoiceField(label="To", choices=Recipient.choices)
    step_seq = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, procedure: Procedure, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].choices = [("", "Choose a letter"), *procedure.letters.items()]  # type: ignore[attr-defined]
        # Only the fields the chosen letter's kind uses (none until a letter is chosen).
        from accord.letters.kinds import kind_of, typed_fields
        from accord.procedures.wording import party_wording

        chosen = str(self.data.get("name") or self.initial.get("name") or "")
        kind = kind_of(procedure, chosen) if chosen else None
        used = (
            {f.name: f for f in typed_fields(kind, mediates=party_wording(procedure).mediates)}
            if kind is not None
            else {}
        )
        for name in LETTER_FIELDS:
            if name not in used:
                continue
            self.fields[name] = forms.CharField(
                label=used[name].label,
                help_text=used[name].help_text,
                required=False,
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def letter_fields(self) -> dict[str, str]:
        return {
            name: self.cleaned_data[name].strip()
            for name in LETTER_FIELDS
            if self.cleaned_data.get(name, "").strip()
        }


LOGGED_CHANNELS = [(c.value, c.label) for c in Channel if c != Channel.WEB_FORM]
SHARE_CHOICES = [("yes", "Yes, it may be shared"), ("no", "No, it must not be shared")]


class LogComplaintForm(AccessibleFormMixin, forms.Form):
    """A complaint received by phone, letter, e-mail or in person, as the handler logs it."""

    channel = forms.ChoiceField(
        label="How was the complaint made?", choices=LOGGED_CHANNELS, widget=forms.RadioSelect
    )
    source = forms.ChoiceField(label="Who brought it", choices=Source.choices, initial="direct")
    received_at = forms.DateTimeField(
        label="When it was received",
        help_text="UK time. Leave empty for now; for a letter, the day it arrived.",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    respondent = forms.TypedChoiceField(
        label="Which practice or business it is about", coerce=int, required=False
    )
    name = forms.CharField(label="Complainant's full name", max_length=200)
    email = forms.EmailField(label="Complainant's e-mail address", required=False, max_length=254)
    phone = forms.CharField(label="Complainant's phone number", required=False, max_length=40)
    address = forms.CharField(
        label="Complainant's postal address",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_microbusiness = forms.BooleanField(
        label="The complainant is a microbusiness", required=False
    )
    business_name = forms.CharField(
        label="The complainant's business name", required=False, max_length=200
    )
    description = forms.CharField(
        label="What happened",
        help_text=(
            "For a call or visit, your written summary: the complainant is asked to confirm it."
        ),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    issue_arose_on = forms.DateField(
        label="When the problem arose", required=False, widget=DATE_INPUT
    )
    desired_outcome = forms.CharField(
        label="What the complainant would like to happen",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    category = forms.CharField(label="Category", required=False, max_length=100)
    share_information = forms.ChoiceField(
        label="May what they said be shared with those dealing with the complaint?",
        choices=SHARE_CHOICES,
        initial="yes",
        widget=forms.RadioSelect,
    )
    vulnerable = forms.BooleanField(
        label="The complainant may be vulnerable and need extra support", required=False
    )

    def __init__(self, businesses: list[tuple[int, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if businesses:
            self.fields["respondent"].choices = [("", "Choose"), *businesses]  # type: ignore[attr-defined]
            self.fields["respondent"].required = True
        else:
            del self.fields["respondent"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("email") and not cleaned.get("phone") and not cleaned.get("address"):
            self.add_error("email", "Give an e-mail address, a phone number or an address.")
        return cleaned


# intake's field names as the log form calls them.
LOG_FIELDS = {"respondent_id": "respondent", "received_at": "received_at"}


# --- Mediation ------------------------------------------------------------------------


class RecordsRequestForm(AccessibleFormMixin, forms.Form):
    what = forms.CharField(
        label="Which records are needed",
        help_text="For example: the optical records and the prescription of March 2026.",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    due_on = forms.DateField(label="Due by", widget=DATE_INPUT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="records", **kwargs)


class ButtonForm(AccessibleFormMixin, forms.Form):
    """A form that is only a button (its refusal is shown above it)."""

    def __init__(self, name: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix=name, **kwargs)


class ProposalForm(AccessibleFormMixin, forms.Form):
    source = forms.ChoiceField(label="Whose proposal is it", choices=ProposalSource.choices)
    kind = forms.ChoiceField(label="What it offers", choices=ProposalKind.choices)
    description = forms.CharField(
        label="The proposal as the parties will read it",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    amount = forms.DecimalField(
        label="Amount",
        help_text="A refund or goodwill payment only.",
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    currency = forms.CharField(
        label="Currency",
        help_text="ISO 4217 code; GBP if left empty.",
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"class": "input-short", "autocapitalize": "characters"}),
    )
    answer_by = forms.DateField(label="The parties answer by", widget=DATE_INPUT)

    def __init__(self, *args: Any, prefix: str = "proposal", **kwargs: Any) -> None:
        super().__init__(*args, prefix=prefix, **kwargs)

    def terms(self) -> ProposalTerms:
        data = self.cleaned_data
        return ProposalTerms(
            kind=data["kind"],
            description=data["description"],
            answer_by=data["answer_by"],
            amount=data.get("amount"),
            currency=data.get("currency") or None,
        )


class PutSubmissionForm(ProposalForm):
    """A party's held proposal, in the words the mediator puts to both sides (it opens
    with the party's own; change what should not reach the other side as written)."""

    def __init__(self, submission_id: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"put-{submission_id}", **kwargs)
        del self.fields["source"]


class DeclineSubmissionForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why, for the party who made it",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, submission_id: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"decline-{submission_id}", **kwargs)


AGREEMENT_ROWS = 3
PARTY_CHOICES = [("", "Choose"), *Party.choices]


class AgreementForm(AccessibleFormMixin, forms.Form):
    """The agreement of an accepted proposal and its obligations: up to three rows of
    who does what by when (a row left empty is not a term)."""

    proposal = forms.TypedChoiceField(label="The accepted proposal", coerce=int)

    def __init__(self, proposals: list[tuple[int, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="agreement", **kwargs)
        self.fields["proposal"].choices = proposals  # type: ignore[attr-defined]
        for row in range(1, AGREEMENT_ROWS + 1):
            first = row == 1
            self.fields[f"party_{row}"] = forms.ChoiceField(
                label=f"Obligation {row}: who does it",
                choices=PARTY_CHOICES,
                required=first,
            )
            self.fields[f"what_{row}"] = forms.CharField(
                label=f"Obligation {row}: what is to be done",
                max_length=5000,
                required=first,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"due_on_{row}"] = forms.DateField(
                label=f"Obligation {row}: due by", required=first, widget=DATE_INPUT
            )
        self.rows: list[int] = []

    def rows_of_fields(self) -> list[list[forms.BoundField]]:
        return [
            [self[f"party_{row}"], self[f"what_{row}"], self[f"due_on_{row}"]]
            for row in range(1, AGREEMENT_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.rows = []
        for row in range(1, AGREEMENT_ROWS + 1):
            names = (f"party_{row}", f"what_{row}", f"due_on_{row}")
            given = [name for name in names if cleaned.get(name) or name in self.errors]
            if not given:
                continue
            for name in names:
                if name not in given:
                    self.add_error(name, "Fill in who, what and by when, or leave the row empty.")
            self.rows.append(row)
        return cleaned

    def terms(self) -> list[Term]:
        data = self.cleaned_data
        return [
            Term(party=data[f"party_{row}"], what=data[f"what_{row}"], due_on=data[f"due_on_{row}"])
            for row in self.rows
        ]

    def refusal_fields(self) -> dict[str, str]:
        """The domain's field names (obligations.<index>.<name>) as this form's."""
        fields = {"proposal_id": "proposal", "obligations": "what_1"}
        for index, row in enumerate(self.rows):
            for name in ("party", "what", "due_on"):
                fields[f"obligations.{index}.{name}"] = f"{name}_{row}"
        return fields


class StaffUploadForm(AccessibleFormMixin, forms.Form):
    file = forms.FileField(
        label="Add a document",
        help_text="PDF, Word, Excel, plain text or a photo (JPEG, PNG, GIF, WebP, HEIC).",
    )

    def __init__(self, party: str, *args: Any, limit: str = "", **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"upload-{party}", **kwargs)
        self.fields["file"].label = f"Add a document to the {party}'s thread"
        if limit:
            self.fields["file"].help_text += f" Up to {limit}."
        self._bound_fields_cache.clear()  # type: ignore[attr-defined]
        self._describe_fields()
