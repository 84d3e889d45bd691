"""The forms a complaints manager edits a procedure draft with, made from the procedure
format itself (`accord.procedures.definition`): one form per item of a section (a stage,
a step, a clock, an outcome, a right, a letter, a milestone) and one for the
procedure's own fields. Choices come from the draft (its stages, steps, clocks, letters,
outcomes, milestones) and the format's closed vocabularies (roles, guards, effects,
units), so what is picked is a real key. A field's value goes back into the draft as
the YAML would say it; the loader's faults are put on the fields they concern."""

from __future__ import annotations

import typing
from enum import StrEnum
from typing import Any

import yaml
from django import forms
from django.http import QueryDict
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from accord.letters.kinds import LetterKind
from accord.procedures.definition import (
    ANY_OPEN_STAGE,
    CLOCK_END_PREFIX,
    RECEIPT,
    RECEIVE,
    Clock,
    Input,
    Outcome,
    Procedure,
    Right,
    Stage,
    Transition,
)
from accord.procedures.faults import ABOUT, LETTER_WORDING, WORDING, Located
from accord.web.forms import AccessibleFormMixin

MODELS: dict[str, type[BaseModel]] = {
    "stages": Stage,
    "transitions": Transition,
    "clocks": Clock,
    "outcomes": Outcome,
    "rights": Right,
}
TEXT_SECTIONS = ("letters", "milestones")  # a key and its description
SECTION_TITLES = {
    ABOUT: "About the procedure",
    "stages": "Stages",
    "transitions": "Steps",
    "clocks": "Time limits",
    "outcomes": "Outcomes",
    "rights": "The complainant's rights",
    "letters": "Letters",
    "milestones": "Milestones",
    WORDING: "What the parties read",
}
ABOUT_FIELDS = (
    "name",
    "summary",
    "cites",
    "review_every_months",
    "raise_within",
    "initial_stage",
    "reopens_to",
)
LABELS = {
    "label": "Name shown to people",
    "name": "Name",
    "summary": "Summary",
    "review_every_months": "Review it every (months)",
    "raise_within": "Complaints should be raised within",
    "initial_stage": "A new complaint starts in",
    "reopens_to": "A reopened case goes back to",
    "terminal": "The case is closed in this stage",
    "separate_handler": "Needs someone who has not handled the case before",
    "cites": "Source: the rule this follows",
    "resolved": "Counts as resolved",
    "early": "Counts as resolved early",
    "upheld": "Counts as upheld",
    "disclosed_to_respondent": "The business complained about is told this outcome",
    "from": "Can be taken from these stages",
    "to": "Moves the case to",
    "roles": "Who may take it",
    "guards": "Only when",
    "effects": "It also",
    "marks": "It records the moment of",
    "outcomes": "The outcomes it may record",
    "reason_required": "A reason must be given",
    "inputs": "What must be entered with it",
    "within": "Only before these time limits end",
    "letters": "Letters it sends",
    "amount": "How long",
    "unit": "Counted in",
    "due_on_input": "Or: due on the date entered as",
    "basis": "Counted from",
    "due_time": "Due at",
    "starts_on": "Starts when",
    "stops_on": "Met when",
    "ends_on": "Ended without being met when",
    "pauses_on": "Paused when",
    "resumes_on": "Resumed when",
    "at_risk_lead": "Warn this many working days before",
    "pausable": "Staff may pause it, with a reason",
    "extendable": "Staff may extend it, with a reason",
    "extension_cap": "Extended by at most",
    "on_breach": "When it is missed, Accord takes the step",
    "letters_on_extension": "Letters needed when it is extended",
    "window": "A window to act in, not a duty (never missed)",
    "body": "Which body",
    "applies_if": "Only if",
    "opens_after": "Opens after (from receipt)",
    "opens_on": "Opens as soon as we",
    "closes_after": "Closes after",
    "closes_from": "Counted from when we",
    "description": "What it is",
    WORDING: "The parties' wording",
}
HELP = {
    WORDING: "As YAML, in the wording format: for each stage, step (done, action), "
    "time limit (a promise with {by} for its due date) and outcome, the words the "
    "complainant (and the business) read; for each letter, its default subject and "
    "body. Leave it empty to show the staff labels.",
    "inputs": "As YAML: each input's name, then its label, kind (date or text) and "
    "whether it is required. For example:\nanticipated_date:\n  label: When we expect "
    "to respond\n  kind: date",
    "cites": "",
}
# A letter's page: beside its description, what the wording declares of it.
LETTER_FIELDS: list[tuple[str, FieldInfo]] = [
    (
        "kind",
        FieldInfo(
            annotation=str,
            default="",
            title="Kind of letter",
            description="What it must contain and its standard wording. Leave it as — "
            "only when the letter's key is itself a kind (acknowledgement, final_response…).",
        ),
    ),
    (
        "subject",
        FieldInfo(
            annotation=str,
            default="",
            title="Its subject",
            description="Leave the subject and the text empty to send Accord's standard "
            "wording for its kind. For example: Your complaint ({{ case.reference }})",
        ),
    ),
    (
        "body",
        FieldInfo(
            annotation=str,
            default="",
            title="Its text",
            description="Paragraphs separated by a blank line. It may say {{ case.reference }}, "
            "{{ case.received_on }}, {{ complainant.name }}, {{ organisation.name }}, "
            "{{ next_steps }}, {{ reason }}, {{ outcome }}, {{ findings }}, {{ remedy }}; "
            "the letterhead, the greeting and the signature are added around it.",
        ),
    ),
]
PERIODS = ("raise_within", "extension_cap", "opens_after", "closes_after")


def _humanise(value: str) -> str:
    return value.replace("_", " ").capitalize()


def vocabulary(name: str, data: dict[str, Any]) -> list[tuple[str, str]] | None:
    """The choices of a field that names something, from the draft or the format."""

    def keys(section: str) -> list[tuple[str, str]]:
        items = data.get(section) or {}
        if not isinstance(items, dict):
            return []
        return [(str(k), _describe(v, str(k))) for k, v in items.items()]

    steps = keys("transitions")
    table: dict[str, list[tuple[str, str]]] = {
        "from": [(ANY_OPEN_STAGE, "Any open stage"), *keys("stages")],
        "to": [("", "Stays where it is"), *keys("stages")],
        "initial_stage": keys("stages"),
        "reopens_to": [("", "Never reopened"), *keys("stages")],
        "marks": keys("milestones"),
        "outcomes": keys("outcomes"),
        "letters": keys("letters"),
        "letters_on_extension": keys("letters"),
        "kind": [("", "—"), *((kind.value, str(kind.label)) for kind in LetterKind)],
        "within": keys("clocks"),
        "opens_on": steps,
        "closes_from": steps,
        "on_breach": [("", "None"), *steps],
        "basis": [(RECEIPT, "Receipt of the complaint")]
        + [(k, f"The milestone: {label}") for k, label in keys("milestones")]
        + [(CLOCK_END_PREFIX + k, f"The end of: {label}") for k, label in keys("clocks")],
    }
    for action in ("starts_on", "stops_on", "ends_on", "pauses_on", "resumes_on"):
        table[action] = [(RECEIVE, "The complaint is received"), *steps]
    return table.get(name)


def _describe(value: Any, key: str) -> str:
    if isinstance(value, dict) and value.get("label"):
        return f"{value['label']} ({key})"
    if isinstance(value, str):
        return f"{value} ({key})"
    return key


def _enum_of(annotation: Any) -> type[StrEnum] | None:
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, StrEnum):
            return arg
    return None


def _is_optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)


def _period_model(annotation: Any) -> type[BaseModel] | None:
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _field_name(name: str, info: FieldInfo) -> str:
    return info.alias or name


class ItemForm(AccessibleFormMixin, forms.Form):
    """One item of a section (or the procedure's own fields), made from its model."""

    def __init__(
        self,
        *args: Any,
        fields: list[tuple[str, FieldInfo]],
        data_of_draft: dict[str, Any],
        current: dict[str, Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.model_fields = fields
        self.periods: list[str] = []
        for name, info in fields:
            self._add(name, info, data_of_draft, current)
        self._describe_fields()

    def _add(
        self, name: str, info: FieldInfo, draft: dict[str, Any], current: dict[str, Any]
    ) -> None:
        annotation = info.annotation
        origin = typing.get_origin(annotation)
        label = info.title or LABELS.get(name, _humanise(name))
        help_text = info.description or HELP.get(name, "")
        required = info.is_required()
        choices = vocabulary(name, draft)
        enum = _enum_of(annotation)
        value = current.get(name)
        if annotation is bool:
            self.fields[name] = forms.BooleanField(label=label, required=False)
        elif name == "inputs":
            self.fields[name] = forms.CharField(
                label=label, help_text=help_text, required=False, widget=forms.Textarea({"rows": 4})
            )
        elif _period_model(annotation) is not None:
            self.periods.append(name)
            self.fields[f"{name}__amount"] = forms.IntegerField(
                label=f"{label}: how many", required=False, min_value=0, max_value=1000
            )
            self.fields[f"{name}__unit"] = forms.ChoiceField(
                label=f"{label}: counted in",
                required=False,
                choices=[("", "—")] + [(u.value, _humanise(u.value)) for u in _units()],
            )
        elif origin is tuple:
            options = choices or (
                [(e.value, _humanise(e.value)) for e in enum] if enum is not None else None
            )
            if options is None:  # free text, one a line (the procedure's sources)
                self.fields[name] = forms.CharField(
                    label=label,
                    help_text="One a line.",
                    required=False,
                    widget=forms.Textarea({"rows": 3}),
                )
            else:
                extra = [(v, v) for v in (value or []) if v not in {k for k, _ in options}]
                self.fields[name] = forms.MultipleChoiceField(
                    label=label,
                    required=False,
                    choices=options + extra,
                    widget=forms.CheckboxSelectMultiple,
                )
        elif choices is not None or enum is not None:
            options = choices or [(e.value, _humanise(e.value)) for e in (enum or [])]
            if value and value not in {k for k, _ in options}:
                options = [*options, (str(value), str(value))]
            if enum is not None and _is_optional(annotation):
                options = [("", "—"), *options]
            self.fields[name] = forms.ChoiceField(
                label=label, choices=options, required=required and not _is_optional(annotation)
            )
        elif annotation in (int, int | None):
            self.fields[name] = forms.IntegerField(
                label=label, required=required, min_value=0, max_value=100000
            )
        else:
            long = name in {"cites", "summary", "body", WORDING}
            self.fields[name] = forms.CharField(
                label=label,
                help_text=help_text,
                required=required,
                max_length={"body": 20000, "subject": 300}.get(name, 4000),
                widget=forms.Textarea({"rows": 20 if name in {"body", WORDING} else 3})
                if long
                else forms.TextInput(),
            )

    def values(self) -> dict[str, Any]:
        """The item as the YAML would say it (defaults left out)."""
        out: dict[str, Any] = {}
        data = self.cleaned_data
        for name, info in self.model_fields:
            if name in self.periods:
                amount, unit = data.get(f"{name}__amount"), data.get(f"{name}__unit")
                if amount is not None or unit:
                    out[name] = {"amount": amount, "unit": unit or None}
                continue
            value = data.get(name)
            if name == "inputs":
                value = _inputs(str(value or ""))
            elif isinstance(self.fields[name], forms.MultipleChoiceField):
                value = list(value or [])
            elif typing.get_origin(info.annotation) is tuple:
                value = [line.strip() for line in str(value or "").splitlines() if line.strip()]
            if value in ("", None, [], {}) and not info.is_required():
                continue
            if not info.is_required() and value == info.default:
                continue
            out[name] = value
        return out

    def clean_wording(self) -> str:
        text = str(self.cleaned_data.get(WORDING) or "")
        try:
            value = yaml.safe_load(text) if text.strip() else None
        except yaml.YAMLError as exc:
            raise forms.ValidationError(f"Not valid YAML: {exc}") from exc
        if value is not None and not isinstance(value, dict):
            raise forms.ValidationError("Give the wording of each section: stages, steps, …")
        return text

    def clean_inputs(self) -> str:
        text = str(self.cleaned_data.get("inputs") or "")
        try:
            _inputs(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return text

    def add_faults(self, faults: list[Located]) -> None:
        """The loader's faults on their fields (a fault on no field of this form: above it)."""
        for fault in faults:
            name = fault.field
            if name in self.periods:
                name = f"{name}__amount"
            message = fault.message[:1].upper() + fault.message[1:]
            self.add_error(name if name in self.fields else None, message)
        self._describe_fields()


def _units() -> list[Any]:
    from accord.workdays.deadlines import Unit

    return list(Unit)


def _inputs(text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"Not valid YAML: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError("Give each input's name, then its label and kind.")
    for name, spec in value.items():
        if not isinstance(spec, dict):
            raise ValueError(f"Input {name}: give its label and kind.")
        try:
            Input.model_validate(spec)
        except ValueError as exc:
            raise ValueError(f"Input {name}: {str(exc).splitlines()[-1]}") from exc
    return value


def fields_of(section: str) -> list[tuple[str, FieldInfo]]:
    if section == ABOUT:
        info = Procedure.model_fields
        return [(name, info[name]) for name in ABOUT_FIELDS]
    if section == "letters":
        return [("description", FieldInfo(annotation=str, default=...)), *LETTER_FIELDS]
    if section in TEXT_SECTIONS:
        return [("description", FieldInfo(annotation=str, default=...))]
    if section == WORDING:
        return [(WORDING, FieldInfo(annotation=str, default=""))]
    model = MODELS[section]
    return [(_field_name(name, info), info) for name, info in model.model_fields.items()]


def as_post(form_fields: list[tuple[str, FieldInfo]], current: dict[str, Any]) -> QueryDict:
    """The item's current values as a form would post them (to show its faults on it)."""
    data = QueryDict(mutable=True)
    for name, info in form_fields:
        value = current.get(name)
        if _period_model(info.annotation) is not None:
            if isinstance(value, dict):
                data[f"{name}__amount"] = str(value.get("amount", ""))
                data[f"{name}__unit"] = str(value.get("unit") or "")
            continue
        if value is None and info.annotation in (int, str, bool) and not info.is_required():
            value = info.default  # shown as the format's default (left out of the YAML)
        if value is None:
            continue
        if name == "inputs":
            data[name] = yaml.safe_dump(value, sort_keys=False) if value else ""
        elif info.annotation is bool:
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            if (
                name == "cites"
                and _enum_of(info.annotation) is None
                and vocabulary(name, {}) is None
            ):
                data[name] = "\n".join(str(v) for v in value)
            else:
                data.setlist(name, [str(v) for v in value])
        else:
            data[name] = str(value)
    return data


def item_of(draft: dict[str, Any], section: str, item: str) -> dict[str, Any] | None:
    """The item's current values (None: no such item)."""
    if section == ABOUT:
        return {name: draft.get(name) for name in ABOUT_FIELDS}
    if section == WORDING:
        wording = draft.get(WORDING)
        return {
            WORDING: yaml.safe_dump(wording, sort_keys=False, allow_unicode=True) if wording else ""
        }
    items = draft.get(section)
    if not isinstance(items, dict) or item not in items:
        return None
    value = items[item]
    if section == "letters":
        declared = _letter_wording(draft).get(item)
        declared = declared if isinstance(declared, dict) else {}
        return {
            "description": value,
            **{name: str(declared.get(name) or "") for name in LETTER_WORDING},
        }
    if section in TEXT_SECTIONS:
        return {"description": value}
    return dict(value) if isinstance(value, dict) else {}


def _letter_wording(draft: dict[str, Any]) -> dict[str, Any]:
    """What the draft's wording declares of its letters ({} if nothing)."""
    wording = draft.get(WORDING)
    letters = wording.get("letters") if isinstance(wording, dict) else None
    return letters if isinstance(letters, dict) else {}


def _put_letter_wording(draft: dict[str, Any], item: str, values: dict[str, Any]) -> None:
    """The letter's kind and own wording into the draft's wording (what else it
    declares of the letter — its parties, whether it may follow — stays)."""
    declared = _letter_wording(draft).get(item)
    entry = dict(declared) if isinstance(declared, dict) else {}
    for name in LETTER_WORDING:
        if values.get(name):
            entry[name] = values[name]
        else:
            entry.pop(name, None)
    if not entry and item not in _letter_wording(draft):
        return
    wording = draft.get(WORDING)
    if not isinstance(wording, dict):
        wording = draft[WORDING] = {}
    letters = wording.get("letters")
    if not isinstance(letters, dict):
        letters = wording["letters"] = {}
    if entry:
        letters[item] = entry
    else:
        del letters[item]
        if not letters:
            del wording["letters"]


def remove_item(draft: dict[str, Any], section: str, item: str) -> None:
    """Take the item out of the draft (a letter with what the wording says of it)."""
    del draft[section][item]
    if section == "letters" and item in _letter_wording(draft):
        del _letter_wording(draft)[item]


def put_item(draft: dict[str, Any], section: str, item: str, values: dict[str, Any]) -> None:
    if section == ABOUT:
        for name in ABOUT_FIELDS:
            if name in values:
                draft[name] = values[name]
            else:
                draft.pop(name, None)
        return
    if section == WORDING:
        text = str(values.get(WORDING) or "")
        wording = yaml.safe_load(text) if text.strip() else None
        if wording:
            draft[WORDING] = wording
        else:
            draft.pop(WORDING, None)
        return
    items = draft.setdefault(section, {})
    items[item] = values["description"] if section in TEXT_SECTIONS else values
    if section == "letters":
        _put_letter_wording(draft, item, values)


class NewItemForm(AccessibleFormMixin, forms.Form):
    key = forms.RegexField(
        label="Key",
        help_text="Lower case letters, digits and underscores, for example stage3_review. "
        "Steps and letters are named by it.",
        regex=r"^[a-z][a-z0-9_]*$",
        max_length=60,
        error_messages={"invalid": "Use lower case letters, digits and underscores only."},
    )
    label = forms.CharField(label="Name shown to people", max_length=300)
