"""The e-mail quarantine for staff, under /staff/quarantine/: the messages Accord could
not place, each with its reason; one message's parsed text (escaped, never the HTML as
sent) and attachments (downloaded, never shown inline); and the three ways to deal with
it — open a case from it, file it in a party's thread of a case, or discard it with a
reason (`accord.inbound.quarantine`). Forms work without JavaScript; bad input is shown
on its form."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.cases.errors import ActionRefused
from accord.inbound.choices import InboundStatus
from accord.inbound.models import InboundMessage
from accord.inbound.parsing import Attachment, Parsed, parse_leniently
from accord.inbound.quarantine import MAX_REASON, discard, release
from accord.mediation.choices import Party
from accord.mediation.documents import sanitise_name
from accord.organisations.models import Business
from accord.policy.roles import can_triage_email
from accord.web.forms import AccessibleFormMixin, add_refusal
from accord.web.resubmission import once_per_submission
from accord.web.staff.access import staff_required
from accord.web.staff.responses import staff_user

LISTED = 200
SHOWN_STATUSES = (InboundStatus.QUARANTINED, InboundStatus.RELEASED, InboundStatus.DISCARDED)


class OpenCaseForm(AccessibleFormMixin, forms.Form):
    business = forms.TypedChoiceField(
        label="The business the complaint is about", coerce=int, empty_value=None
    )

    def __init__(self, businesses: list[tuple[int, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="open", **kwargs)
        field = self.fields["business"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Choose the business"), *businesses]


class FileForm(AccessibleFormMixin, forms.Form):
    case_reference = forms.CharField(
        label="Case reference", max_length=40, help_text="For example, OCA-2026-000012"
    )
    party = forms.ChoiceField(label="Whose thread", choices=Party.choices, widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="file", **kwargs)

    def clean_case_reference(self) -> str:
        return str(self.cleaned_data["case_reference"]).strip().upper()


class DiscardForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why it is discarded", max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="discard", **kwargs)


def _triager(request: HttpRequest) -> Any:
    user = staff_user(request)
    if not can_triage_email(user, user.organisation_id):
        raise PermissionDenied("Only the organisation's staff deal with its e-mail.")
    return user


def _record(request: HttpRequest, inbound_id: int) -> InboundMessage:
    user = _triager(request)
    record = (
        InboundMessage.objects.select_related("case", "released_by", "discarded_by")
        .filter(pk=inbound_id, organisation_id=user.organisation_id, status__in=SHOWN_STATUSES)
        .first()
    )
    if record is None:
        raise Http404("no such quarantined message")
    return record


def _parsed(record: InboundMessage) -> Parsed | None:
    try:
        return parse_leniently(bytes(record.raw))
    except Exception:
        return None


def _businesses(request: HttpRequest) -> list[tuple[int, str]]:
    """The organisation's businesses a complaint may be about: itself (an in-house
    team), or the members of a mediation service."""
    organisation = staff_user(request).organisation
    assert organisation is not None
    return [
        (b.pk, f"{b.name} (the organisation itself)" if b.is_self else b.name)
        for b in Business.objects.filter(organisation=organisation).order_by("-is_self", "name")
    ]


@staff_required
def quarantine_list(request: HttpRequest) -> HttpResponse:
    user = _triager(request)
    records = list(
        InboundMessage.objects.filter(
            organisation_id=user.organisation_id, status=InboundStatus.QUARANTINED
        )
        .defer("raw")
        .order_by("-received_at", "-pk")[: LISTED + 1]
    )
    return render(
        request,
        "web/staff/quarantine_list.html",
        {"records": records[:LISTED], "more": len(records) > LISTED},
    )


def _detail(
    request: HttpRequest,
    record: InboundMessage,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    bound = bound or {}
    parsed = _parsed(record)
    attachments = parsed.attachments if parsed is not None else []
    open_form = bound.get("open") or OpenCaseForm(_businesses(request))
    context = {
        "record": record,
        "status_label": InboundStatus(record.status).label,
        "quarantined": record.status == InboundStatus.QUARANTINED,
        "parsed": parsed,
        "attachments": [
            {"number": n, "name": sanitise_name(a.name), "size": len(a.content)}
            for n, a in enumerate(attachments)
        ],
        "open_form": open_form,
        "file_form": bound.get("file") or FileForm(),
        "discard_form": bound.get("discard") or DiscardForm(),
        "any_errors": any(form.errors for form in bound.values()),
    }
    return render(request, "web/staff/quarantine_detail.html", context, status=status)


@staff_required
def quarantine_detail(request: HttpRequest, inbound_id: int) -> HttpResponse:
    return _detail(request, _record(request, inbound_id))


@staff_required
def quarantine_attachment(request: HttpRequest, inbound_id: int, number: int) -> HttpResponse:
    """One attachment as it arrived, always as a download under a safe name."""
    record = _record(request, inbound_id)
    parsed = _parsed(record)
    attachments: list[Attachment] = parsed.attachments if parsed is not None else []
    if not 0 <= number < len(attachments):
        raise Http404("no such attachment")
    attachment = attachments[number]
    name = sanitise_name(attachment.name)
    response = HttpResponse(attachment.content, content_type="application/octet-stream")
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _after(
    request: HttpRequest,
    record: InboundMessage,
    name: str,
    form: forms.Form,
    act: Any,
    fields: dict[str, str] | None = None,
) -> HttpResponse:
    if not form.is_valid():
        return _detail(request, record, {name: form}, status=400)
    try:
        return act(form.cleaned_data)  # type: ignore[no-any-return]
    except ActionRefused as exc:
        add_refusal(form, exc, fields)
        return _detail(request, _record(request, record.pk), {name: form}, status=exc.status)


def _to_case(request: HttpRequest, reference: str, text: str) -> HttpResponse:
    messages.success(request, text)
    return HttpResponseRedirect(reverse("staff-case", kwargs={"reference": reference}), status=303)


@require_POST
@staff_required
@once_per_submission
def quarantine_open(request: HttpRequest, inbound_id: int) -> HttpResponse:
    record = _record(request, inbound_id)
    user = staff_user(request)

    def act(data: dict[str, Any]) -> HttpResponse:
        released = release(record.pk, user, now=timezone.now(), respondent_id=data["business"])
        assert released.case is not None
        reference = released.case.reference
        return _to_case(request, reference, f"Case {reference} opened from the e-mail.")

    form = OpenCaseForm(_businesses(request), request.POST)
    return _after(request, record, "open", form, act, {"respondent_id": "business"})


@require_POST
@staff_required
@once_per_submission
def quarantine_file(request: HttpRequest, inbound_id: int) -> HttpResponse:
    record = _record(request, inbound_id)
    user = staff_user(request)

    def act(data: dict[str, Any]) -> HttpResponse:
        party = Party(data["party"])
        released = release(
            record.pk,
            user,
            now=timezone.now(),
            case_reference=data["case_reference"],
            party=party,
        )
        assert released.case is not None
        reference = released.case.reference
        text = f"The e-mail was filed in the {party.label.lower()}'s thread of {reference}."
        return _to_case(request, reference, text)

    return _after(request, record, "file", FileForm(request.POST), act)


@require_POST
@staff_required
@once_per_submission
def quarantine_discard(request: HttpRequest, inbound_id: int) -> HttpResponse:
    record = _record(request, inbound_id)
    user = staff_user(request)

    def act(data: dict[str, Any]) -> HttpResponse:
        discard(record.pk, user, reason=data["reason"], now=timezone.now())
        messages.success(request, "The e-mail was discarded.")
        return HttpResponseRedirect(reverse("staff-quarantine"), status=303)

    return _after(request, record, "discard", DiscardForm(request.POST), act)
