"""The Settings pages for the organisation itself: its details and working days, closure
days, teams, staff and their roles, the external bodies it signposts, and the procedure
new complaints follow. Each view parses its form, calls a domain function and redirects
(303) with a note of what was done; bad input is the form again with its errors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.accounts.choices import StaffRole
from accord.accounts.models import User
from accord.cases.errors import ActionRefused
from accord.organisations import configuration, staffing
from accord.organisations.models import ClosureDay, ExternalBody, Organisation, Team
from accord.procedures import own
from accord.procedures.models import OwnProcedure
from accord.procedures.registry import registry
from accord.web.forms import add_refusal
from accord.web.resubmission import once_per_submission
from accord.web.settings.access import administrator, administrator_required, organisation_of
from accord.web.settings.forms import (
    ClosureForm,
    DetailsForm,
    ExternalBodyForm,
    LetterheadForm,
    NewStaffForm,
    ProcedureChoiceForm,
    StaffChangeForm,
    TeamForm,
)


def _done(request: HttpRequest, name: str, note: str, **kwargs: Any) -> HttpResponseRedirect:
    messages.success(request, note)
    return HttpResponseRedirect(reverse(name, kwargs=kwargs or None), status=303)


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(
        request,
        f"web/settings/{template}",
        {"organisation": organisation_of(request), **context},
        status=status,
    )


def _invalid(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return _page(request, template, context, status=422)


@administrator_required
def index(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    return _page(
        request,
        "index.html",
        {
            "procedure": _procedure_in_force(organisation),
            "counts": {
                "teams": organisation.teams.count(),
                "staff": len(staffing.staff_of(organisation)),
                "closures": organisation.closure_days.count(),
                "bodies": organisation.external_bodies.count(),
            },
        },
    )


def _procedure_in_force(organisation: Organisation) -> Any:
    try:
        return registry().in_force(organisation.procedure_key, timezone.localdate())
    except LookupError:
        return None


@administrator_required
def details(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    form = DetailsForm(request.POST or None, instance=organisation)
    if request.method == "POST":
        if not form.is_valid():
            organisation.refresh_from_db()
            return _invalid(request, "details.html", {"form": form})
        form.save()
        configuration.details_saved(organisation, form.changed_data)
        return _done(request, "settings-details", "The organisation's details are saved.")
    return _page(request, "details.html", {"form": form})


@administrator_required
def letterhead(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    form = LetterheadForm(request.POST or None, instance=organisation)
    if request.method == "POST":
        if not form.is_valid():
            organisation.refresh_from_db()
            return _invalid(request, "letterhead.html", {"form": form})
        form.save()
        return _done(request, "settings-letterhead", "The letterhead and signatory are saved.")
    return _page(request, "letterhead.html", {"form": form})


# --- Closure days -------------------------------------------------------------------


@administrator_required
@once_per_submission
def closures(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    form = ClosureForm(request.POST or None, organisation=organisation)
    if request.method == "POST":
        if not form.is_valid():
            return _invalid(request, "closures.html", _closures(organisation, form))
        configuration.add_closure(organisation, form.save(commit=False))
        return _done(request, "settings-closures", "The closure day is added.")
    return _page(request, "closures.html", _closures(organisation, form))


def _closures(organisation: Organisation, form: ClosureForm) -> dict[str, Any]:
    return {"form": form, "days": list(organisation.closure_days.order_by("date"))}


@require_POST
@administrator_required
def remove_closure(request: HttpRequest, day_id: int) -> HttpResponse:
    organisation = organisation_of(request)
    day = ClosureDay.objects.filter(organisation=organisation, pk=day_id).first()
    if day is None:
        raise Http404("no such closure day")
    configuration.remove_closure(organisation, day)
    return _done(request, "settings-closures", f"{day.name} ({day.date:%d %B %Y}) is removed.")


# --- Teams --------------------------------------------------------------------------


def _team(organisation: Organisation, team_id: int) -> Team:
    team = Team.objects.filter(organisation=organisation, pk=team_id).first()
    if team is None:
        raise Http404("no such team")
    return team


@administrator_required
def teams(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    form = TeamForm(request.POST or None, organisation=organisation)
    if request.method == "POST":
        if not form.is_valid():
            return _invalid(request, "teams.html", _teams(organisation, form))
        team = form.save(commit=False)
        team.organisation = organisation
        team.save()
        return _done(request, "settings-teams", f"The team {team.name} is added.")
    return _page(request, "teams.html", _teams(organisation, form))


def _teams(organisation: Organisation, form: TeamForm) -> dict[str, Any]:
    return {
        "form": form,
        "teams": list(organisation.teams.order_by("name").prefetch_related("members")),
    }


@administrator_required
def team(request: HttpRequest, team_id: int) -> HttpResponse:
    organisation = organisation_of(request)
    instance = _team(organisation, team_id)
    form = TeamForm(request.POST or None, instance=instance, organisation=organisation)
    if request.method == "POST":
        if not form.is_valid():
            return _invalid(
                request, "team.html", {"form": form, "team": _team(organisation, team_id)}
            )
        form.save()
        return _done(request, "settings-teams", "The team is renamed.")
    return _page(request, "team.html", {"form": form, "team": instance})


@require_POST
@administrator_required
def remove_team(request: HttpRequest, team_id: int) -> HttpResponse:
    instance = _team(organisation_of(request), team_id)
    instance.delete()  # cases of the team keep their handler; the team is cleared
    return _done(request, "settings-teams", f"The team {instance.name} is removed.")


# --- Staff --------------------------------------------------------------------------


def _member(organisation: Organisation, user_id: int) -> User:
    user = User.objects.filter(organisation=organisation, pk=user_id).exclude(staff_role="").first()
    if user is None:
        raise Http404("no such member of staff")
    return user


@administrator_required
def staff(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    return _page(request, "staff.html", {"people": staffing.staff_of(organisation)})


@administrator_required
@once_per_submission
def new_staff(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    form = NewStaffForm(request.POST or None, organisation=organisation)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = staffing.add_staff(
                    organisation,
                    staffing.NewStaff(
                        username=data["username"],
                        first_name=data["first_name"],
                        last_name=data["last_name"],
                        email=data["email"],
                        role=StaffRole(data["role"]),
                        password=data["password"],
                        teams=tuple(data["teams"]),
                    ),
                )
            except ActionRefused as exc:
                add_refusal(form, exc)
            else:
                return _done(
                    request,
                    "settings-staff",
                    f"{user.get_full_name()} can now sign in as {user.username}.",
                )
        return _invalid(request, "new_staff.html", {"form": form})
    return _page(request, "new_staff.html", {"form": form})


@administrator_required
def member(request: HttpRequest, user_id: int) -> HttpResponse:
    organisation = organisation_of(request)
    person = _member(organisation, user_id)
    initial = {"role": person.staff_role, "teams": list(person.teams.all())}
    form = StaffChangeForm(request.POST or None, initial=initial, organisation=organisation)
    if request.method == "POST":
        if form.is_valid():
            try:
                staffing.change_staff(
                    organisation,
                    person,
                    role=StaffRole(form.cleaned_data["role"]),
                    teams=form.cleaned_data["teams"],
                )
            except ActionRefused as exc:
                add_refusal(form, exc)
            else:
                return _done(request, "settings-staff", f"{person} is saved.")
        return _invalid(request, "member.html", {"form": form, "person": person})
    return _page(request, "member.html", {"form": form, "person": person})


@require_POST
@administrator_required
def member_active(request: HttpRequest, user_id: int) -> HttpResponse:
    organisation = organisation_of(request)
    person = _member(organisation, user_id)
    active = request.POST.get("active") == "1"
    try:
        staffing.set_active(organisation, person, active=active)
    except ActionRefused as exc:
        messages.error(request, f"{person} is still active: {exc.message}.")
        return HttpResponseRedirect(reverse("settings-member", args=[person.pk]), status=303)
    note = f"{person} can sign in again." if active else f"{person} can no longer sign in."
    return _done(request, "settings-staff", note)


# --- External bodies ----------------------------------------------------------------


def _body(organisation: Organisation, body_id: int) -> ExternalBody:
    body = ExternalBody.objects.filter(organisation=organisation, pk=body_id).first()
    if body is None:
        raise Http404("no such external body")
    return body


@administrator_required
@once_per_submission
def bodies(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    form = ExternalBodyForm(request.POST or None)
    context = {"form": form, "bodies": list(organisation.external_bodies.order_by("kind", "name"))}
    if request.method == "POST":
        if not form.is_valid():
            return _invalid(request, "bodies.html", context)
        body = form.save(commit=False)
        body.organisation = organisation
        body.save()
        return _done(request, "settings-bodies", f"{body.name} is added.")
    return _page(request, "bodies.html", context)


@administrator_required
def body(request: HttpRequest, body_id: int) -> HttpResponse:
    organisation = organisation_of(request)
    instance = _body(organisation, body_id)
    form = ExternalBodyForm(request.POST or None, instance=instance)
    if request.method == "POST":
        if not form.is_valid():
            return _invalid(
                request, "body.html", {"form": form, "body": _body(organisation, body_id)}
            )
        form.save()
        return _done(request, "settings-bodies", f"{instance.name} is saved.")
    return _page(request, "body.html", {"form": form, "body": instance})


@require_POST
@administrator_required
def remove_body(request: HttpRequest, body_id: int) -> HttpResponse:
    instance = _body(organisation_of(request), body_id)
    instance.delete()
    return _done(request, "settings-bodies", f"{instance.name} is removed.")


# --- The procedure ------------------------------------------------------------------


def _choices(organisation: Organisation) -> list[Any]:
    """The latest version of every shipped pack, and the organisation's own procedures
    with a published version."""
    latest: dict[str, Any] = {}
    for loaded in registry().all():
        latest[loaded.procedure.key] = loaded.procedure
    for mine in OwnProcedure.objects.filter(
        organisation=organisation, versions__isnull=False
    ).distinct():
        versions = registry().versions_of(mine.key)
        if versions:
            latest[mine.key] = versions[-1].procedure
    return list(latest.values())


@administrator_required
def procedure(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    choices = _choices(organisation)
    form = ProcedureChoiceForm(
        request.POST or None,
        initial={"procedure_key": organisation.procedure_key},
        keys=[p.key for p in choices],
    )
    context = {
        "form": form,
        "choices": choices,
        "drafts": list(OwnProcedure.objects.filter(organisation=organisation)),
    }
    if request.method == "POST":
        if not form.is_valid():
            return _invalid(request, "procedure.html", context)
        key = form.cleaned_data["procedure_key"]
        try:
            chosen = registry().in_force(key, timezone.localdate())
        except LookupError:
            form.add_error("procedure_key", "No version of it is in force yet.")
            return _invalid(request, "procedure.html", context)
        organisation.procedure_key = key
        organisation.save(update_fields=["procedure_key"])
        return _done(request, "settings-procedure", f"New complaints follow {chosen.name}.")
    return _page(request, "procedure.html", context)


@require_POST
@administrator_required
@once_per_submission
def copy_procedure(request: HttpRequest) -> HttpResponse:
    organisation = organisation_of(request)
    source = request.POST.get("source", "") or None
    try:
        draft = own.start_draft(
            organisation, administrator(request), source=source, now=timezone.now()
        )
    except ActionRefused as exc:
        messages.error(request, f"No draft was started: {exc.message}.")
        return HttpResponseRedirect(reverse("settings-procedure"), status=303)
    return _done(
        request,
        "settings-draft",
        "Your draft is started. Nothing changes for complaints until you publish it.",
        draft_id=draft.pk,
    )
