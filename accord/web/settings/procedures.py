"""The pages where an organisation writes its own procedure: the draft's overview (its
faults, each linked to the field it concerns, and the procedure in plain English), each
section and item edited in forms, the whole as YAML, the date simulator, publishing a
version, and the difference between any two versions."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from accord.cases.errors import ActionRefused
from accord.organisations.calendar import calendar_for
from accord.procedures import own
from accord.procedures.faults import ABOUT, SECTIONS, WORDING, Located
from accord.procedures.models import OwnProcedure, OwnVersion
from accord.procedures.simulation import SimulatedStep
from accord.procedures.simulation import simulate as run_simulation
from accord.quality.procedure_text import Body, describe
from accord.web.forms import add_refusal
from accord.web.resubmission import once_per_submission
from accord.web.settings.access import administrator, administrator_required, organisation_of
from accord.web.settings.forms import SIMULATED_STEPS, PublishForm, SimulatorForm
from accord.web.settings.procedure_forms import (
    MODELS,
    SECTION_TITLES,
    TEXT_SECTIONS,
    ItemForm,
    NewItemForm,
    as_post,
    fields_of,
    item_of,
    put_item,
    remove_item,
)
from accord.workdays.calendar import LONDON, Nation

EDITABLE = (ABOUT, *SECTIONS, WORDING)
WHOLE = (ABOUT, WORDING)  # edited as one form, not item by item


def _draft(request: HttpRequest, draft_id: int) -> OwnProcedure:
    found = OwnProcedure.objects.filter(organisation=organisation_of(request), pk=draft_id).first()
    if found is None:
        raise Http404("no such procedure")
    return found


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        f"web/settings/{template}",
        {"organisation": organisation_of(request), "titles": SECTION_TITLES, **context},
        status=status,
    )


def _today() -> dt.date:
    return timezone.localdate()


def _bodies(request: HttpRequest) -> list[Body]:
    return [
        Body(
            kind=b.kind,
            name=b.name,
            website=b.website,
            email=b.email,
            phone=b.phone,
            address=b.address,
            time_limit=b.time_limit,
        )
        for b in organisation_of(request).external_bodies.all()
    ]


def _grouped(faults: tuple[Located, ...]) -> list[tuple[Located, str]]:
    """Each fault with the page where it is fixed."""
    return [(fault, _where(fault)) for fault in faults]


def _where(fault: Located) -> str:
    return f"{fault.section}/{fault.item}/" if fault.item else f"{fault.section}/"


@administrator_required
def draft(request: HttpRequest, draft_id: int) -> HttpResponse:
    mine = _draft(request, draft_id)
    checked = own.check(mine, today=_today())
    data = checked.data or {}
    sections = [
        (name, SECTION_TITLES[name], len(data.get(name) or {}) if name not in WHOLE else None)
        for name in EDITABLE
    ]
    return _page(
        request,
        "draft.html",
        {
            "draft": mine,
            "checked": checked,
            "faults": _grouped(checked.faults),
            "sections": sections,
            "text": describe(checked.procedure, _bodies(request)) if checked.procedure else None,
            "versions": list(mine.versions.select_related("published_by", "approved_by")),
            "in_use": organisation_of(request).procedure_key == mine.key,
        },
    )


@administrator_required
def yaml_text(request: HttpRequest, draft_id: int) -> HttpResponse:
    mine = _draft(request, draft_id)
    text = request.POST.get("text", mine.draft) if request.method == "POST" else mine.draft
    error = ""
    if request.method == "POST":
        if "\x00" in text:
            error = "The text contains a NUL character: remove it."
        elif len(text) > 200_000:
            error = "The text is too long (more than 200,000 characters)."
        else:
            own.save_draft(mine, text, administrator(request), now=timezone.now())
            messages.success(request, "The draft is saved.")
            return HttpResponseRedirect(reverse("settings-draft-yaml", args=[mine.pk]), status=303)
    checked = own.check(mine, text if not error else mine.draft, today=_today())
    return _page(
        request,
        "yaml.html",
        {"draft": mine, "text": text, "error": error, "faults": _grouped(checked.faults)},
        status=422 if error else 200,
    )


def _section_or_404(section: str) -> str:
    if section not in EDITABLE:
        raise Http404("no such section")
    return section


@administrator_required
def section(request: HttpRequest, draft_id: int, section: str) -> HttpResponse:
    mine = _draft(request, draft_id)
    _section_or_404(section)
    if section in WHOLE:
        return item(request, draft_id, section, "")
    checked = own.check(mine, today=_today())
    data = checked.data
    form = NewItemForm(request.POST or None)
    if request.method == "POST" and data is not None and form.is_valid():
        key = form.cleaned_data["key"]
        items = data.setdefault(section, {}) or {}
        if key in items:
            form.add_error("key", "There is already one with this key.")
        else:
            put_item(data, section, key, _new_item(section, form.cleaned_data["label"]))
            own.save_draft(mine, own.dump(data), administrator(request), now=timezone.now())
            return HttpResponseRedirect(
                reverse("settings-draft-item", args=[mine.pk, section, key]), status=303
            )
    items = (data or {}).get(section) or {}
    faulty = {f.item for f in checked.faults if f.section == section}
    rows = [
        (key, value.get("label", key) if isinstance(value, dict) else str(value), key in faulty)
        for key, value in (items.items() if isinstance(items, dict) else [])
    ]
    return _page(
        request,
        "section.html",
        {
            "draft": mine,
            "section": section,
            "rows": rows,
            "form": form,
            "readable": data is not None,
            "section_faults": [f for f in checked.faults if f.section == section and not f.item],
        },
        status=422 if form.errors else 200,
    )


def _new_item(section: str, label: str) -> Any:
    if section in TEXT_SECTIONS:
        return {"description": label}
    starts: dict[str, dict[str, Any]] = {
        "transitions": {"label": label, "from": [], "roles": []},
        "rights": {"label": label, "body": "ombudsman"},
        "clocks": {"label": label, "amount": 10, "unit": "working_days"},
    }
    return starts.get(section, {"label": label})


@administrator_required
def item(request: HttpRequest, draft_id: int, section: str, item: str) -> HttpResponse:
    mine = _draft(request, draft_id)
    _section_or_404(section)
    checked = own.check(mine, today=_today())
    data = checked.data
    if data is None:
        messages.error(request, "The draft is not readable as a procedure: correct it as YAML.")
        return HttpResponseRedirect(reverse("settings-draft-yaml", args=[mine.pk]), status=303)
    current = item_of(data, section, item)
    if current is None:
        raise Http404("no such item")
    fields = fields_of(section)
    if request.method == "POST" and "delete" in request.POST and section not in WHOLE:
        remove_item(data, section, item)
        own.save_draft(mine, own.dump(data), administrator(request), now=timezone.now())
        messages.success(request, f"{item} is removed from the draft.")
        return HttpResponseRedirect(
            reverse("settings-draft-section", args=[mine.pk, section]), status=303
        )
    posted = request.method == "POST"
    form = ItemForm(
        request.POST if posted else as_post(fields, current),
        fields=fields,
        data_of_draft=data,
        current=current,
    )
    status = 200
    if form.is_valid():
        if posted:
            put_item(data, section, item, form.values())
            text = own.dump(data)
            own.save_draft(mine, text, administrator(request), now=timezone.now())
            checked = own.check(mine, text, today=_today())
            messages.success(request, "The draft is saved.")
        mine_faults = [
            f
            for f in checked.faults
            if f.section == section and (f.item == item or section == ABOUT)
        ]
        form.add_faults(mine_faults)
        if posted and not mine_faults:
            return HttpResponseRedirect(request.path, status=303)
    elif posted:
        status = 422
    return _page(
        request,
        "item.html",
        {
            "draft": mine,
            "section": section,
            "item": item,
            "heading": (current.get("label") if isinstance(current.get("label"), str) else "")
            or item
            or SECTION_TITLES[section],
            "form": form,
            "model": MODELS.get(section),
            "other_faults": [
                f for f in checked.faults if not (f.section == section and f.item == item)
            ],
        },
        status=status,
    )


# --- Trying it out ------------------------------------------------------------------


def _at(day: dt.date, time: dt.time | None) -> dt.datetime:
    return dt.datetime.combine(day, time or dt.time(12, 0), tzinfo=LONDON)


@administrator_required
def simulate(request: HttpRequest, draft_id: int) -> HttpResponse:
    mine = _draft(request, draft_id)
    organisation = organisation_of(request)
    checked = own.check(mine, today=_today())
    procedure = checked.procedure
    steps = [(k, t.label) for k, t in procedure.transitions.items()] if procedure else []
    asked = "received_on" in request.GET or "received_on_day" in request.GET
    form = SimulatorForm(
        request.GET if asked else None,
        steps=steps,
        initial={"nation": organisation.nation, "received_time": dt.time(10, 0)},
    )
    result = None
    if procedure is not None and asked and form.is_valid():
        data = form.cleaned_data
        calendar = dataclasses.replace(calendar_for(organisation), nation=Nation(data["nation"]))
        taken = []
        for n in range(1, SIMULATED_STEPS + 1):
            action = data.get(f"step_{n}")
            if not action:
                continue
            given = data.get(f"given_{n}")
            inputs = {
                name: given.isoformat()
                for name, spec in procedure.transitions[action].inputs.items()
                if spec.kind == "date" and given is not None
            }
            taken.append(SimulatedStep(action, _at(data[f"on_{n}"], data.get(f"time_{n}")), inputs))
        result = run_simulation(
            procedure, calendar, _at(data["received_on"], data["received_time"]), taken
        )
    return _page(
        request,
        "simulate.html",
        {"draft": mine, "form": form, "result": result, "checked": checked},
        status=422 if asked and form.errors else 200,
    )


# --- Publishing and versions --------------------------------------------------------


@administrator_required
@once_per_submission
def publish(request: HttpRequest, draft_id: int) -> HttpResponse:
    mine = _draft(request, draft_id)
    author = administrator(request)
    organisation = organisation_of(request)
    form = PublishForm(
        request.POST or None,
        organisation=organisation,
        author=author,
        initial={"effective_from": _today(), "use_now": True},
    )
    checked = own.check(mine, today=_today())
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                version = own.publish(
                    mine,
                    author,
                    own.Publication(
                        summary=data["summary"],
                        effective_from=data["effective_from"],
                        approved_by=data["approved_by"],
                        self_approval_reason=data["self_approval_reason"],
                        use_now=data["use_now"],
                    ),
                    now=timezone.now(),
                )
            except ActionRefused as exc:
                add_refusal(form, exc)
            else:
                messages.success(
                    request,
                    f"Version {version.version} is published. It takes effect on "
                    f"{version.effective_from:%d %B %Y}.",
                )
                return HttpResponseRedirect(reverse("settings-draft", args=[mine.pk]), status=303)
        return _page(
            request, "publish.html", {"draft": mine, "form": form, "checked": checked}, status=422
        )
    return _page(request, "publish.html", {"draft": mine, "form": form, "checked": checked})


def _text_of(mine: OwnProcedure, which: str) -> tuple[str, str]:
    if which == "draft":
        return "The draft", mine.draft
    try:
        version = mine.versions.get(version=int(which))
    except (ValueError, OwnVersion.DoesNotExist):
        raise Http404("no such version") from None
    return f"Version {version.version}", version.text


@administrator_required
def diff(request: HttpRequest, draft_id: int) -> HttpResponse:
    mine = _draft(request, draft_id)
    versions = [str(v) for v in mine.versions.values_list("version", flat=True)]
    options = [*versions, "draft"]
    before = request.GET.get("from") or (versions[-1] if versions else "draft")
    after = request.GET.get("to") or "draft"
    if before not in options or after not in options:
        raise Http404("no such version")
    before_label, before_text = _text_of(mine, before)
    after_label, after_text = _text_of(mine, after)
    lines = []
    for line in difflib.unified_diff(
        before_text.splitlines(),
        after_text.splitlines(),
        before_label,
        after_label,
        lineterm="",
        n=3,
    ):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "added", "-": "removed", "@": "where"}.get(line[:1], "same")
        lines.append((kind, line))
    return _page(
        request,
        "diff.html",
        {
            "draft": mine,
            "lines": lines,
            "options": options,
            "before": before,
            "after": after,
            "before_label": before_label,
            "after_label": after_label,
        },
    )
