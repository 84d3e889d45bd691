"""Rendering a letter: choose the template, build the context from the case, and render
the HTML e-mail (autoescaped), the plain text and the PDF (WeasyPrint).

The template text an administrator edits is rendered by its own template engine with
no loaders and no extra libraries, and its context holds plain values only (strings,
lists and dicts, never model instances), so a template can say only what the letter is
given to say.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import weasyprint
from django.db.models import Q
from django.template import Context, Engine, Template
from django.template.defaultfilters import linebreaks_filter
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accord.cases.choices import EventKind
from accord.cases.errors import InvalidAction
from accord.cases.models import Case, Event
from accord.cases.rights import rights_of
from accord.letters.kinds import LetterKind, Missing, kind_of, missing_items
from accord.letters.models import LetterTemplate, Recipient
from accord.mediation.choices import Party
from accord.organisations.calendar import calendar_for
from accord.policy.disclosure import told_in_letter
from accord.procedures.definition import Procedure
from accord.procedures.registry import registry
from accord.workdays.wording import due_day_words, due_words, format_day

_ENGINES = {
    True: Engine(autoescape=True, loaders=[], app_dirs=False),
    False: Engine(autoescape=False, loaders=[], app_dirs=False),
}
# What staff may add to a letter (each overrides what the case supplies).
FIELDS = ("reason", "outcome", "remedy", "timeframe", "update", "summary", "anticipated_date")
MAX_FIELD = 5000
LETTER_EVENTS = frozenset({EventKind.TRANSITION, EventKind.CLOCK_EXTENDED})
_NO_FETCHING = weasyprint.URLFetcher(allowed_protocols=frozenset({"data"}))


def compile_template(text: str, *, autoescape: bool) -> Template:
    return _ENGINES[autoescape].from_string(text)


@dataclass(frozen=True)
class LetterRequest:
    """What staff ask for: the letter's name (as the procedure calls it, or a kind),
    the party it goes to, optionally the step it answers (its timeline seq; by default
    the latest step that requires it) and fields they add."""

    name: str
    recipient: str = Recipient.COMPLAINANT
    step_seq: int | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    name: str
    kind: LetterKind
    recipient: Recipient
    template: LetterTemplate
    step_seq: int | None
    subject: str
    html: str
    text: str
    context: dict[str, Any]
    missing: list[Missing]

    def pdf(self) -> bytes:
        return pdf_of(self.html)


def pdf_of(html: str) -> bytes:
    return bytes(weasyprint.HTML(string=html, url_fetcher=_NO_FETCHING).write_pdf())


def template_for(case: Case, kind: LetterKind) -> LetterTemplate:
    """The newest version of the most specific template: the organisation's own for
    the case's procedure, its own for any procedure, the default for the procedure,
    the default for any procedure."""
    candidates = list(
        LetterTemplate.objects.filter(kind=kind)
        .filter(Q(organisation=case.organisation_id) | Q(organisation__isnull=True))
        .filter(procedure_key__in=[case.procedure_key, ""])
    )

    def rank(template: LetterTemplate) -> tuple[int, int, int]:
        return (
            template.organisation_id is not None,
            template.procedure_key != "",
            template.version,
        )

    if not candidates:
        raise InvalidAction(f"there is no template for the {kind.label.lower()}", field="name")
    return max(candidates, key=rank)


def _letter_kind(procedure: Procedure, name: str) -> LetterKind:
    kind = kind_of(name)
    if kind is None or (name not in procedure.letters and name not in LetterKind.values):
        raise InvalidAction(f"'{name}' is not a letter of this procedure", field="name")
    return kind


def _step(case: Case, name: str, seq: int | None) -> Event | None:
    # Steps, and clock extensions (which may require letters too).
    steps = [e for e in case.events.all() if e.kind in LETTER_EVENTS]
    if seq is not None:
        for event in steps:
            if event.seq == seq:
                return event
        raise InvalidAction("no such step on this case", field="step_seq")
    for event in reversed(steps):
        if name in event.data.get("letters_required", ()):
            return event
    return None


def _day(value: str | None) -> str:
    if not value:
        return ""
    try:
        return format_day(dt.date.fromisoformat(value))
    except ValueError:
        return value


def _party(name: str, email: str, address: str) -> dict[str, str]:
    return {"name": name, "email": email, "address": address}


def build_context(
    case: Case,
    procedure: Procedure,
    kind: LetterKind,
    name: str,
    recipient: Recipient,
    step: Event | None,
    fields: dict[str, str],
    now: dt.datetime,
) -> dict[str, Any]:
    """Everything a template may say, as plain values."""
    organisation = case.organisation
    respondent = case.respondent
    # What the letter may say of the case is the recipient's side's (the case policy).
    told = told_in_letter(case, procedure, Party(recipient.value))
    shared = told["complainant_shared"]
    parties = {
        Recipient.COMPLAINANT: _party(
            told["complainant_name"], shared.get("email", ""), shared.get("address", "")
        ),
        Recipient.RESPONDENT: _party(respondent.name, respondent.email, respondent.address),
    }
    inputs = {str(k): str(v) for k, v in (step.data.get("input", {}) if step else {}).items()}
    clocks = []
    for clock in sorted(case.clocks.all(), key=lambda c: (c.due_at is None, c.due_at, c.key)):
        explanation = clock.explanation or {}
        clocks.append(
            {
                "key": clock.key,
                "label": clock.label,
                "status": clock.status,
                "running": clock.status == "running" and not clock.is_window,
                # "by {{ due_date }}" in a template reads as the formatter writes it:
                # "by the end of Friday 4 December 2026", "by 17:00 on ...".
                "due_date": due_words(clock.due_at).text.removeprefix("by ")
                if clock.due_at is not None
                else "",
                "due": due_words(clock.due_at).text if clock.due_at is not None else "",
                "lines": [str(line) for line in explanation.get("lines", [])],
            }
        )
    next_clock = next((c for c in clocks if c["running"] and c["due_date"]), None)
    shown_rights = [r for r in rights_of(case, procedure, now) if r.get("body")]
    right = shown_rights[0] if shown_rights else None
    if right is not None:
        body: dict[str, str] | None = {k: str(v or "") for k, v in right["body"].items()}
    else:
        external = next(iter(organisation.external_bodies.all()), None)
        body = (
            None
            if external is None
            else {
                "name": external.name,
                "kind": external.kind,
                "website": external.website,
                "email": external.email,
                "phone": external.phone,
                "address": external.address,
                "time_limit": external.time_limit,
            }
        )
    agreement = _agreement(case)
    today = calendar_for(organisation).local_date(now)
    given = {k: v.strip() for k, v in fields.items() if v and v.strip()}
    step_reason = step.reason if step is not None and told["step_reasons"] else ""
    reason = given.get("reason") or step_reason
    anticipated = _day(given.get("anticipated_date") or inputs.get("anticipated_date"))
    return {
        "letter": {
            "name": name,
            "kind": kind.value,
            "title": kind.label,
            "description": procedure.letters.get(name, kind.label),
            "date": format_day(today),
        },
        "organisation": {
            "name": organisation.name,
            "address": organisation.address,
            "phone": organisation.phone,
            "email": organisation.email,
            "complaints_email": organisation.complaints_email,
            "website": organisation.website,
        },
        "procedure": {"key": procedure.key, "name": procedure.name, "version": procedure.version},
        "case": {
            "reference": case.reference,
            "received_on": format_day(calendar_for(organisation).local_date(case.received_at)),
            "description": told["description"],
            "desired_outcome": told["desired_outcome"],
            "stage": told["stage"],
            "is_open": case.is_open,
        },
        "complainant": parties[Recipient.COMPLAINANT],
        "respondent": parties[Recipient.RESPONDENT],
        "recipient": {**parties[recipient], "party": recipient.value},
        "step": None
        if step is None
        else {
            "action": step.action,
            "label": procedure.transitions[step.action].label
            if step.action in procedure.transitions
            else EventKind(step.kind).label,
            "date": format_day(calendar_for(organisation).local_date(step.at)),
            "reason": step_reason,
            "inputs": inputs,
        },
        "reason": reason,
        "inputs": inputs,
        "anticipated_date": anticipated,
        "outcome": given.get("outcome") or told["outcome"],
        "remedy": given.get("remedy", ""),
        "timeframe": given.get("timeframe") or anticipated,
        "update": given.get("update") or reason,
        "summary": given.get("summary") or told["description"],
        "clocks": clocks,
        "next_clock": next_clock,
        "body": body,
        "right": None
        if right is None
        else {"label": right["label"], "lines": [str(line) for line in right["lines"]]},
        "agreement": agreement,
    }


def _agreement(case: Case) -> dict[str, Any] | None:
    from accord.mediation.choices import AgreementStatus
    from accord.mediation.models import Agreement

    current = Agreement.objects.filter(case=case, superseded_at__isnull=True)
    agreement = (
        current.filter(status=AgreementStatus.BINDING).order_by("-drawn_up_at", "-id").first()
        or current.order_by("-drawn_up_at", "-id").first()
    )
    if agreement is None:
        return None
    names = {"complainant": str(case.complainant), "respondent": case.respondent.name}
    return {
        "binding": agreement.status == AgreementStatus.BINDING,
        "terms": [
            f"{names.get(o.party, o.party)}: {o.what} ({due_day_words(o.due_on).text})"
            for o in agreement.obligations.all()
        ],
    }


_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


def _tidy(body: str) -> str:
    """Paragraphs left empty by a condition collapse into one blank line."""
    return _BLANK_LINES.sub("\n\n", body.replace("\r\n", "\n")).strip()


def _paragraphs(escaped: str) -> SafeString:
    # The body was rendered with autoescape on: only the layout's markup is added here.
    return SafeString(linebreaks_filter(escaped.strip(), autoescape=False))


def render_letter(case: Case, request: LetterRequest, now: dt.datetime) -> Rendered:
    """Render the letter without storing or sending anything."""
    procedure = registry().get(case.procedure_key, case.procedure_version)
    kind = _letter_kind(procedure, request.name)
    try:
        recipient = Recipient(request.recipient)
    except ValueError:
        raise InvalidAction(
            "the recipient must be complainant or respondent", field="recipient"
        ) from None
    unknown = set(request.fields) - set(FIELDS)
    if unknown:
        raise InvalidAction(f"'{sorted(unknown)[0]}' is not a letter field", field="fields")
    if any(len(v) > MAX_FIELD for v in request.fields.values()):
        raise InvalidAction(f"a field is longer than {MAX_FIELD} characters", field="fields")
    step = _step(case, request.name, request.step_seq)
    template = template_for(case, kind)
    context = build_context(
        case, procedure, kind, request.name, recipient, step, request.fields, now
    )
    subject = " ".join(
        compile_template(template.subject, autoescape=False).render(Context(context)).split()
    )
    text_body = _tidy(
        compile_template(template.body, autoescape=False).render(Context(context, autoescape=False))
    )
    html_body = _tidy(compile_template(template.body, autoescape=True).render(Context(context)))
    layout = {**context, "subject": subject}
    laid_out = render_to_string("letters/letter.txt", {**layout, "body_text": text_body.strip()})
    html = render_to_string("letters/letter.html", {**layout, "body_html": _paragraphs(html_body)})
    text = "\n".join(line.rstrip() for line in laid_out.strip().splitlines()) + "\n"
    return Rendered(
        name=request.name,
        kind=kind,
        recipient=recipient,
        template=template,
        step_seq=step.seq if step else None,
        subject=subject,
        html=html,
        text=text,
        context=context,
        missing=missing_items(kind, context, text_body),
    )
