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
from django.db import IntegrityError, transaction
from django.template import Context
from django.template.defaultfilters import linebreaks_filter
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from accord.accounts.models import User
from accord.cases.choices import EventKind
from accord.cases.clocks import clocks_of
from accord.cases.errors import InvalidAction
from accord.cases.models import Case, Event
from accord.cases.rights import rights_of
from accord.cases.timeline import events_of
from accord.letters.kinds import FIELD_NAMES, LetterKind, Missing, kind_of, missing_items
from accord.letters.models import LetterTemplate, Recipient
from accord.letters.template_text import compile_template
from accord.mediation.choices import Party
from accord.organisations.calendar import calendar_for
from accord.policy.disclosure import told_in_letter
from accord.procedures.definition import Procedure, Role
from accord.procedures.wording import party_wording
from accord.workdays.wording import due_day_words, due_words, format_day

# What staff may add to a letter (each overrides what the case supplies).
FIELDS = FIELD_NAMES
MAX_FIELD = 5000
LETTER_EVENTS = frozenset({EventKind.TRANSITION, EventKind.CLOCK_EXTENDED})
_NO_FETCHING = weasyprint.URLFetcher(allowed_protocols=frozenset({"data"}))


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
    html: str  # the page the PDF is printed from
    body_html: str  # the letter on it, without the page (as an e-mail shows it)
    text: str
    context: dict[str, Any]
    missing: list[Missing]

    def pdf(self) -> bytes:
        return pdf_of(self.html)


def pdf_of(html: str) -> bytes:
    return bytes(weasyprint.HTML(string=html, url_fetcher=_NO_FETCHING).write_pdf())


def template_for(case: Case, procedure: Procedure, name: str, kind: LetterKind) -> LetterTemplate:
    """The wording of the letter `name` (of `kind`) on this case, most specific first:
    the organisation's own template for the case's procedure, then its own for any
    procedure (the newest version of each); then the procedure's own wording for this
    letter, as its pack declares it under the letter's name (whatever the name); then
    the default for the kind (for the procedure, else for any procedure)."""
    keys = [case.procedure_key, ""]
    own = list(
        LetterTemplate.objects.filter(
            kind=kind, organisation=case.organisation_id, procedure_key__in=keys
        )
    )
    if own:
        return max(own, key=lambda t: (t.procedure_key != "", t.version))
    declared = party_wording(procedure).letter(name)
    if declared.subject:
        return declared_template(case.procedure_key, kind, declared.subject, declared.body)
    defaults = list(
        LetterTemplate.objects.filter(kind=kind, organisation__isnull=True, procedure_key__in=keys)
    )
    if not defaults:
        raise InvalidAction(f"there is no template for the {kind.label.lower()}", field="name")
    return max(defaults, key=lambda t: (t.procedure_key != "", t.version))


def declared_template(
    procedure_key: str, kind: LetterKind, subject: str, body: str
) -> LetterTemplate:
    """The default template holding a procedure's own wording for a letter: the newest
    version with exactly this wording, else a new version of it (a letter keeps the
    version it was written from, so a procedure whose wording changes gets a new one)."""
    same = LetterTemplate.objects.filter(
        organisation__isnull=True,
        procedure_key=procedure_key,
        kind=kind,
        subject=subject,
        body=body,
    ).order_by("-version")
    for _attempt in range(3):
        found = same.first()
        if found is not None:
            return found
        try:
            with transaction.atomic():
                return LetterTemplate.objects.create(
                    organisation=None,
                    procedure_key=procedure_key,
                    kind=kind,
                    subject=subject,
                    body=body,
                )
        except IntegrityError:
            continue  # another request took that version number: look again
    raise InvalidAction(f"the wording of the {kind.label.lower()} could not be kept", field="name")


def _letter_kind(procedure: Procedure, name: str) -> LetterKind:
    kind = kind_of(procedure, name)
    if kind is None or (name not in procedure.letters and name not in LetterKind.values):
        raise InvalidAction(f"'{name}' is not a letter of this procedure", field="name")
    return kind


def _step(case: Case, name: str, seq: int | None) -> Event | None:
    # Steps, and clock extensions (which may require letters too).
    steps = [e for e in events_of(case) if e.kind in LETTER_EVENTS]
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


def _party(name: str, email: str, address_lines: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "email": email,
        "address": "\n".join(address_lines),
        "address_lines": address_lines,
    }


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def letterhead_lines(text: str) -> list[str]:
    """The letterhead's lines as typed (a comma stays within its line)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def parties_of(case: Case) -> dict[Recipient, dict[str, Any]]:
    """Each party as a letter addresses it: the complainant by their own name (their
    business, for a microbusiness, in the address block), the business by its name."""
    complainant = case.complainant
    respondent = case.respondent
    block = [complainant.business_name] if complainant.business_name else []
    return {
        Recipient.COMPLAINANT: _party(
            complainant.name or str(complainant),
            complainant.email,
            [*block, *_lines(complainant.address)],
        ),
        Recipient.RESPONDENT: _party(respondent.name, respondent.email, _lines(respondent.address)),
    }


def _body_of(external: Any) -> dict[str, str]:
    return {
        "name": external.name,
        "kind": external.kind,
        "website": external.website,
        "email": external.email,
        "phone": external.phone,
        "address": external.address,
        "time_limit": external.time_limit,
    }


def signposted_body(
    case: Case, procedure: Procedure, name: str, now: dt.datetime
) -> dict[str, str] | None:
    """The body a letter may send the complainant to, with its real time limit: the
    body of a right of the procedure open to them now (only once the in-house
    procedure allows it: never before), with the last day of the right when it has one;
    else the body the letter declares it signposts (e.g. the regulator); else none."""
    for right in rights_of(case, procedure, now):
        if right.get("body") and right["applies"] and right["open"]:
            body = {k: str(v or "") for k, v in right["body"].items()}
            body["from_right"] = "yes"
            if right.get("closes_text"):
                body["time_limit"] = gettext("You must contact {body} {by}.").format(
                    body=body["name"], by=right["closes_text"]
                )
            return body
    declared = party_wording(procedure).letter(name).signposts
    if declared is None:
        return None
    external = case.organisation.external_bodies.filter(kind=declared.value).first()
    return None if external is None else _body_of(external)


def _options(procedure: Procedure, stage: str, recipient: Recipient) -> list[str]:
    """What the complainant may choose at the stage the case is now in (e.g. accept the
    practice's response, or ask for a senior mediator), in their words."""
    if recipient != Recipient.COMPLAINANT or not procedure.stages.get(stage):
        return []
    wording = party_wording(procedure)
    return [
        wording.action(key)
        for key, transition in procedure.transitions.items()
        if Role.COMPLAINANT in transition.roles and stage in transition.from_
    ]


def _signatory(case: Case, actor: User | None) -> dict[str, str]:
    organisation = case.organisation
    if organisation.signatory_name:
        return {"name": organisation.signatory_name, "role": organisation.signatory_role}
    if actor is not None and actor.staff_role and actor.organisation_id == case.organisation_id:
        return {
            "name": actor.get_full_name() or actor.get_username(),
            "role": gettext("Complaints team"),
        }
    return {"name": "", "role": ""}


def build_context(
    case: Case,
    procedure: Procedure,
    kind: LetterKind,
    name: str,
    recipient: Recipient,
    step: Event | None,
    fields: dict[str, str],
    now: dt.datetime,
    actor: User | None = None,
) -> dict[str, Any]:
    """Everything a template may say, as plain values, in the reader's words (party
    wording, never a stage key, outcome key or a rule's arithmetic)."""
    organisation = case.organisation
    calendar = calendar_for(organisation)
    # What the letter may say of the case is the recipient's side's (the case policy):
    # the business reads the complainant's name and shared details only while consent
    # is on file, and never the complainant's own words or staff's reasons.
    told = told_in_letter(case, procedure, Party(recipient.value))
    parties = parties_of(case)
    if not told["step_reasons"]:
        shared = told["complainant_shared"]
        parties[Recipient.COMPLAINANT] = _party(
            told["complainant_name"], shared.get("email", ""), _lines(shared.get("address", ""))
        )
    wording = party_wording(procedure, recipient.value)
    inputs = {str(k): str(v) for k, v in (step.data.get("input", {}) if step else {}).items()}
    clocks = []
    for clock in sorted(clocks_of(case), key=lambda c: (c.due_at is None, c.due_at, c.key)):
        running = clock.status == "running" and not clock.is_window
        promise = (
            wording.next_step(clock.key, clock.due_at, calendar=calendar)
            if clock.due_at is not None and clock.key in procedure.clocks
            else ""
        )
        clocks.append(
            {
                "key": clock.key,
                "status": clock.status,
                "running": running,
                # "by {{ due_date }}" in a template reads as the formatter writes it:
                # "by the end of Friday 4 December 2026", "by 17:00 on ...".
                "due_date": due_words(clock.due_at, calendar=calendar).text.removeprefix("by ")
                if clock.due_at is not None
                else "",
                "promise": promise,
            }
        )
    next_clock = next((c for c in clocks if c["running"] and c["promise"]), None)
    stage_words = wording.stage(case.stage) if case.stage in procedure.stages else ""
    next_steps = next_clock["promise"] if next_clock else stage_words
    body = signposted_body(case, procedure, name, now)
    agreement = _agreement(case)
    today = calendar.local_date(now)
    given = {k: v.strip() for k, v in fields.items() if v and v.strip()}
    reason = given.get("reason") or (step.reason if step and told["step_reasons"] else "")
    anticipated = _day(given.get("anticipated_date") or _anticipated(procedure, step, inputs))
    outcome = (
        wording.outcome(case.outcome)
        if case.outcome in procedure.outcomes and told["outcome"]
        else ""
    )
    org = {
        "name": organisation.name,
        "address": organisation.address,
        "address_lines": _lines(organisation.address),
        "phone": organisation.phone,
        "email": organisation.email,
        "complaints_email": organisation.complaints_email,
        "website": organisation.website,
        # The organisation's own letterhead (Settings), line by line; empty: the layout
        # heads the letter with the name, address and contact details above.
        "letterhead": letterhead_lines(organisation.letterhead),
    }
    org["contact"] = [
        part
        for part in (
            gettext("Telephone {phone}").format(phone=organisation.phone)
            if organisation.phone
            else "",
            organisation.complaints_email or organisation.email,
            organisation.website,
        )
        if part
    ]
    signposting_reason = reason
    if not signposting_reason and body is not None and body.get("from_right"):
        signposting_reason = gettext(
            "If you remain dissatisfied with our response, you can now take your complaint "
            "to {body}."
        ).format(body=body["name"])
    return {
        "signposting_reason": signposting_reason,
        "letter": {
            "name": name,
            "kind": kind.value,
            "date": format_day(today),
        },
        "organisation": org,
        "signatory": _signatory(case, actor),
        "procedure": {"name": procedure.name, "mediates": wording.mediates},
        "case": {
            "reference": case.reference,
            "received_on": format_day(calendar.local_date(case.received_at)),
            "description": told["description"],
            "desired_outcome": told["desired_outcome"],
            "stage": stage_words,
            "is_open": case.is_open,
        },
        "complainant": parties[Recipient.COMPLAINANT],
        "respondent": parties[Recipient.RESPONDENT],
        "recipient": {**parties[recipient], "party": recipient.value},
        "step": None
        if step is None
        else {
            "done": wording.step(step.action) if step.action in procedure.transitions else "",
            "date": format_day(calendar.local_date(step.at)),
        },
        "reason": reason,
        "anticipated_date": anticipated,
        "outcome": given.get("outcome") or outcome,
        "findings": given.get("findings", ""),
        "remedy": given.get("remedy", ""),
        "timeframe": given.get("timeframe") or anticipated,
        "update": given.get("update") or reason,
        "summary": given.get("summary") or told["description"],
        "clocks": clocks,
        "next_clock": next_clock,
        "next_steps": next_steps,
        "options": _options(procedure, case.stage, recipient),
        "body": body,
        "agreement": agreement,
    }


def _anticipated(procedure: Procedure, step: Event | None, inputs: dict[str, str]) -> str:
    """The date a step gave that one of the procedure's clocks is due on (a holding
    response's anticipated date), whatever the pack calls the input."""
    if step is None:
        return ""
    for clock in procedure.clocks.values():
        if step.action in clock.starts_on and clock.due_on_input in inputs:
            return inputs[str(clock.due_on_input)]
    return ""


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


def language_for(case: Case, recipient: Recipient) -> str:
    """The language a letter to `recipient` is written in: its reader's, as the e-mail
    carrying it (the complainant's own)."""
    from accord.notifications.mail import language

    return language(case, recipient.value)


def render_letter(
    case: Case, request: LetterRequest, now: dt.datetime, actor: User | None = None
) -> Rendered:
    """Render the letter without storing or sending anything, in the reader's language."""
    from accord.cases.engine import procedure_of

    procedure = procedure_of(case)
    kind = _letter_kind(procedure, request.name)
    try:
        recipient = Recipient(request.recipient)
    except ValueError:
        raise InvalidAction(
            "the recipient must be complainant or respondent", field="recipient"
        ) from None
    unknown = set(request.fields) - set(FIELD_NAMES)
    if unknown:
        raise InvalidAction(f"'{sorted(unknown)[0]}' is not a letter field", field="fields")
    if any(len(v) > MAX_FIELD for v in request.fields.values()):
        raise InvalidAction(f"a field is longer than {MAX_FIELD} characters", field="fields")
    step = _step(case, request.name, request.step_seq)
    template = template_for(case, procedure, request.name, kind)
    with translation.override(language_for(case, recipient)):
        context = build_context(
            case, procedure, kind, request.name, recipient, step, request.fields, now, actor
        )
        # The shipped wording goes through the translation catalogue; an organisation's
        # own template is its own words.
        own = template.organisation_id is not None
        subject_text = template.subject if own else gettext(template.subject)
        body_text = template.body if own else gettext(template.body)
        subject = " ".join(
            compile_template(subject_text, autoescape=False).render(Context(context)).split()
        )
        text_body = _tidy(
            compile_template(body_text, autoescape=False).render(Context(context, autoescape=False))
        )
        html_body = _tidy(compile_template(body_text, autoescape=True).render(Context(context)))
        layout = {**context, "subject": subject}
        laid_out = render_to_string(
            "letters/letter.txt", {**layout, "body_text": text_body.strip()}
        )
        # The letter itself (what the e-mail carrying it shows, too), then the page the
        # PDF is printed from.
        body = render_to_string(
            "letters/_letter.html", {**layout, "body_html": _paragraphs(html_body)}
        )
        html = render_to_string("letters/letter.html", {**layout, "letter_body": SafeString(body)})
    text = "\n".join(line.rstrip() for line in laid_out.strip().splitlines()) + "\n"
    return Rendered(
        name=request.name,
        kind=kind,
        recipient=recipient,
        template=template,
        step_seq=step.seq if step else None,
        subject=subject,
        html=html,
        body_html=body,
        text=text,
        context=context,
        missing=missing_items(kind, context, text),
    )
