"""The staff workspace's pages: the work queue, the case page and what it posts, the
letter preview, and logging a complaint received by phone, letter or in person.
Each view parses its form, calls the domain function the JSON API calls, and renders;
a refusal (`ActionRefused`) is shown on the form that was sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

from csp.decorators import csp_update
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accord.accounts.models import User
from accord.cases import actions, bulk_assignment, engine, intake, queue
from accord.cases.choices import VERBAL_CHANNELS, Channel, ClockBadge, Source
from accord.cases.clocks import badge
from accord.cases.errors import ActionRefused
from accord.cases.models import Case
from accord.letters import sending
from accord.letters.rendering import LetterRequest
from accord.mediation import threads
from accord.mediation.choices import Party
from accord.organisations.calendar import calendar_for
from accord.organisations.models import Organisation
from accord.policy.roles import can_assign_in_bulk
from accord.procedures.next_step import ends_unresolved
from accord.procedures.registry import registry
from accord.web.forms import add_refusal
from accord.web.resubmission import once_per_submission
from accord.web.staff.access import staff_required
from accord.web.staff.casepage import closing_words, handlers_of, teams_of
from accord.web.staff.forms import (
    LOG_FIELDS,
    AssignForm,
    BulkAssignForm,
    ClockForm,
    LetterForm,
    LogComplaintForm,
    MessageForm,
    NoteForm,
    QueueFilterForm,
    RelayForm,
    StepForm,
    VerbalSummaryForm,
    step_fields,
)
from accord.web.staff.responses import (
    case_page_with,
    done,
    invalid,
    refused,
    staff_case,
    staff_user,
)
from accord.web.templatetags.wording import due_html
from accord.workdays.deadlines import Unit, working_days_between
from accord.workdays.wording import due_words, short_day

PAGE_SIZE = 50


def _organisation(user: User) -> Organisation:
    assert user.organisation is not None  # staff_required: staff belong to one
    return user.organisation


# --- The work queue -------------------------------------------------------------------


def _stages(organisation: Organisation) -> list[tuple[str, str]]:
    """The open stages of every version of the organisation's procedure."""
    seen: dict[str, str] = {}
    for loaded in registry().versions_of(organisation.procedure_key):
        procedure = loaded.procedure
        for key, stage in procedure.stages.items():
            if not stage.terminal:
                seen.setdefault(key, stage.label)
    return list(seen.items())


@staff_required
def work_queue(request: HttpRequest) -> HttpResponse:
    return _queue(request)


def _queue(
    request: HttpRequest,
    bulk_form: BulkAssignForm | None = None,
    status: int = 200,
    params: Any = None,
) -> HttpResponse:
    """The queue page for the query string `params` (the request's by default), with
    the bulk assignment form that was sent, if any."""
    user = staff_user(request)
    organisation = _organisation(user)
    params = request.GET if params is None else params
    teams, handlers = teams_of(organisation.pk), handlers_of(organisation.pk)
    form = QueueFilterForm(params, teams=teams, handlers=handlers, stages=_stages(organisation))
    now = timezone.now()
    calendar = calendar_for(organisation)
    cases: list[Case] = []
    next_cursor: queue.Cursor | None = None
    sort = queue.DEFAULT_SORT
    view: queue.View | None = None
    if form.is_valid():
        data = form.cleaned_data
        sort = data["sort"] or queue.DEFAULT_SORT
        view = queue.View(data["view"]) if data["view"] else None
        try:
            cursor = queue.Cursor.decode(data["cursor"], text=True) if data["cursor"] else None
            cases, next_cursor = queue.page(
                user,
                queue.QueueFilters(
                    team_id=data["team"],
                    handler=data["handler"] or None,
                    stage=data["stage"] or None,
                    clock_state=ClockBadge(data["clock_state"]) if data["clock_state"] else None,
                    search=data["q"],
                    view=view,
                    tz=calendar.tz,
                ),
                now=now,
                cursor=cursor,
                limit=PAGE_SIZE,
                sort=sort,
            )
        except ActionRefused as exc:
            add_refusal(form, exc)
            status = 400
    else:
        status = 400
    today = calendar.local_date(now)
    rows = [_row(case, now, today, calendar) for case in cases]
    next_query = ""
    if next_cursor is not None:
        query = params.copy()
        query["cursor"] = next_cursor.encode()
        next_query = query.urlencode()
    may_bulk = can_assign_in_bulk(user, organisation.pk)
    context = {
        "form": form,
        "rows": rows,
        "next_query": next_query,
        "first_page": not params.get("cursor"),
        "organisation": organisation,
        "now": now,
        "calendar": calendar,  # the deadlines' wording reads it, not the database again
        "views": _view_links(params, view, queue.view_counts(user, now, calendar.tz)),
        "view_label": view.label if view else "All open cases",
        "columns": _sort_links(params, sort),
        "bulk_form": bulk_form or (BulkAssignForm(handlers, teams) if may_bulk else None),
        "may_bulk": may_bulk,
        "back": params.urlencode(),
    }
    template = "web/staff/_queue_results.html" if request.htmx else "web/staff/queue.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


def _view_links(
    params: Any, current: queue.View | None, counts: dict[queue.View, int]
) -> list[dict[str, Any]]:
    """Each view as a link that keeps the sort (and drops the other filters and the page)."""
    links = []
    for view in [None, *queue.View]:
        query = QueryDict(mutable=True)
        if view is not None:
            query["view"] = view.value
        if params.get("sort"):
            query["sort"] = params["sort"]
        links.append(
            {
                "label": view.label if view else "All open cases",
                "count": _count_words(counts[view]) if view else None,
                "query": query.urlencode(),
                "current": view == current,
            }
        )
    return links


def _count_words(count: int) -> str:
    return f"{queue.COUNT_CAP}+" if count >= queue.COUNT_CAP else str(count)


# The sortable columns: (heading, the sort its first click asks for, the other way).
SORTABLE = {
    "reference": ("Reference", "reference", "-reference"),
    "complainant": ("Complainant", "complainant", "-complainant"),
    "stage": ("Stage", "stage", "-stage"),
    "handler": ("Handler", "handler", "-handler"),
    "received": ("Received", "received", "-received"),
    "age": ("Age (working days)", "-received", "received"),
    "deadline": ("Next deadline", "deadline", "-deadline"),
}


def _sort_links(params: Any, sort: str) -> dict[str, dict[str, Any]]:
    """Each sortable column's heading: a link to sort by it (the other way round when
    it is the current sort), and its aria-sort."""
    columns = {}
    for name, (label, forwards, backwards) in SORTABLE.items():
        active = sort in (forwards, backwards)
        wanted = backwards if sort == forwards else forwards
        query = params.copy()
        query.pop("cursor", None)
        query["sort"] = wanted
        direction = ""
        if active:
            direction = "ascending" if sort == forwards else "descending"
        columns[name] = {"label": label, "query": query.urlencode(), "aria_sort": direction}
    return columns


def _row(case: Case, now: dt.datetime, today: dt.date, calendar: Any) -> dict[str, Any]:
    procedure = engine.procedure_of(case)
    state = badge(case.next_deadline_at, case.next_at_risk_at, now)
    received = calendar.local_date(case.received_at)
    due = case.next_deadline_at
    return {
        "case": case,
        "stage_label": procedure.stages[case.stage].label,
        "badge": state,
        "badge_label": ClockBadge(state).label,
        "badge_class": f"badge-{ClockBadge(state).value.replace('_', '-')}",
        "received": received,
        "received_words": short_day(received),
        "due": due_html(due_words(due, now=now, calendar=calendar)) if due else "",
        "age": working_days_between(received, today, calendar),
    }


@require_POST
@staff_required
@once_per_submission
def bulk_assign(request: HttpRequest) -> HttpResponse:
    """Assign the cases chosen on the queue page (`bulk_assignment.assign_many`)."""
    user = staff_user(request)
    organisation = _organisation(user)
    back = QueryDict(request.POST.get("back", "")[:2000])
    handlers, teams = handlers_of(organisation.pk), teams_of(organisation.pk)
    form = BulkAssignForm(handlers, teams, request.POST)
    if not can_assign_in_bulk(user, organisation.pk):
        form.is_valid()
        form.add_error(None, "Only managers, administrators and senior handlers assign cases.")
        return _queue(request, form, 403, back)
    if not form.is_valid():
        return _queue(request, form, 400, back)
    handler = next((h for h in handlers if h.username == form.cleaned_data["handler"]), None)
    team = next((t for t in teams if t.pk == form.cleaned_data["team"]), None)
    try:
        result = bulk_assignment.assign_many(
            request.POST.getlist("case"), user, handler=handler, team=team, now=timezone.now()
        )
    except ActionRefused as exc:
        add_refusal(form, exc, {"cases": "__all__"})
        return _queue(request, form, exc.status, back)
    note = f"Assigned {len(result.changed)} case{pluralize(len(result.changed))}."
    if result.unchanged:
        note += f" {len(result.unchanged)} already had that assignment."
    messages.success(request, note)
    for reference, why in result.refused:
        messages.error(request, f"{reference} was not assigned: {why}.")
    return HttpResponseRedirect(
        reverse("staff-queue") + (f"?{back.urlencode()}" if back else ""), status=303
    )


# --- The case page --------------------------------------------------------------------


@staff_required
def case_page(request: HttpRequest, reference: str) -> HttpResponse:
    return case_page_with(request, staff_case(request, reference))


@require_POST
@staff_required
@once_per_submission
def take_step(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    case = staff_case(request, reference)
    procedure = engine.procedure_of(case)
    transition = procedure.transitions.get(action)
    if transition is None:
        raise Http404("no such step")
    form = StepForm(action, transition, request.POST, procedure=procedure)
    name = f"step-{action}"
    confirming = ends_unresolved(procedure, transition)
    if confirming and request.POST.get("confirmed") != "yes":
        return _confirmation(request, case, action, StepForm(action, transition, request.POST))
    if not form.is_valid():
        if confirming:
            return _confirmation(request, case, action, form, status=400)
        return invalid(request, reference, name, form)
    try:
        engine.take_step(
            case.pk,
            staff_user(request),
            action,
            engine.StepRequest(
                reason=form.cleaned_data["reason"],
                outcome=form.cleaned_data.get("outcome") or None,
                data=form.step_data(),
                letters=form.letters(),
            ),
            now=timezone.now(),
        )
    except ActionRefused as exc:
        if confirming:
            add_refusal(form, exc, step_fields(transition))
            return _confirmation(request, case, action, form, status=exc.status)
        return refused(request, reference, name, form, exc, step_fields(transition))
    return done(reference, f"Done: {transition.label}.", request, "steps")


@staff_required
def confirm_step(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """The page that asks before a step that ends the case unresolved (withdrawing it,
    closing it out of remit): the step's form, sent with `confirmed`."""
    case = staff_case(request, reference)
    procedure = engine.procedure_of(case)
    transition = procedure.transitions.get(action)
    if transition is None or action not in engine.allowed_steps(
        case, staff_user(request), timezone.now()
    ):
        label = transition.label if transition else action
        messages.error(request, f"'{label}' is not a step you can take on this case now.")
        return HttpResponseRedirect(
            reverse("staff-case", kwargs={"reference": reference}) + "#steps", status=303
        )
    return _confirmation(request, case, action, StepForm(action, transition))


def _confirmation(
    request: HttpRequest, case: Case, action: str, form: StepForm, status: int = 200
) -> HttpResponse:
    procedure = engine.procedure_of(case)
    transition = procedure.transitions[action]
    form.set_outcome_labels(procedure)
    return render(
        request,
        "web/staff/confirm_step.html",
        {
            "case": case,
            "organisation": case.organisation,
            "label": transition.label,
            "action": action,
            "form": form,
            "closing": closing_words(procedure, transition),
            "letters": [procedure.letters.get(n, n) for n in transition.letters],
        },
        status=status,
    )


@require_POST
@staff_required
@once_per_submission
def add_note(request: HttpRequest, reference: str) -> HttpResponse:
    case = staff_case(request, reference)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return invalid(request, reference, "note", form)
    try:
        actions.add_note(
            case.pk, staff_user(request), form.cleaned_data["text"], now=timezone.now()
        )
    except ActionRefused as exc:
        return refused(request, reference, "note", form, exc, {"text": "text"})
    return done(reference, "Note added.", request, "notes")


@require_POST
@staff_required
@once_per_submission
def post_message(request: HttpRequest, reference: str, party: str) -> HttpResponse:
    case = staff_case(request, reference)
    if party not in Party.values:
        raise Http404("no such thread")
    name = f"message-{party}"
    form = MessageForm(party, request.POST)
    if not form.is_valid():
        return invalid(request, reference, name, form)
    try:
        threads.post_message(
            case.pk,
            staff_user(request),
            Party(party),
            form.cleaned_data["body"],
            now=timezone.now(),
        )
    except ActionRefused as exc:
        return refused(request, reference, name, form, exc)
    return done(reference, f"Message sent to the {party}.", request, "threads")


@require_POST
@staff_required
@once_per_submission
def relay(request: HttpRequest, reference: str, message_id: int) -> HttpResponse:
    case = staff_case(request, reference)
    name = f"relay-{message_id}"
    form = RelayForm(message_id, request.POST)
    if not form.is_valid():
        return invalid(request, reference, name, form)
    try:
        copy = threads.relay(
            case.pk,
            staff_user(request),
            message_id,
            body=form.cleaned_data["body"],
            now=timezone.now(),
        )
    except ActionRefused as exc:
        return refused(request, reference, name, form, exc, {"message_id": "body"})
    return done(reference, f"Relayed to the {copy.thread.party}.", request, "threads")


@require_POST
@staff_required
@once_per_submission
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    case = staff_case(request, reference)
    user = staff_user(request)
    handlers = handlers_of(case.organisation_id)
    if request.POST.get("take") == "me":
        form = AssignForm(
            handlers, teams_of(case.organisation_id), {"assign-handler": user.username}
        )
    else:
        form = AssignForm(handlers, teams_of(case.organisation_id), request.POST)
    if not form.is_valid():
        return invalid(request, reference, "assign", form)
    by_name = {h.username: h for h in handlers}
    handler = by_name.get(form.cleaned_data["handler"]) if form.cleaned_data["handler"] else None
    team = next(
        (t for t in teams_of(case.organisation_id) if t.pk == form.cleaned_data["team"]), None
    )
    try:
        assigned = actions.assign(case.pk, user, handler=handler, team=team, now=timezone.now())
    except ActionRefused as exc:
        return refused(request, reference, "assign", form, exc)
    if not assigned.changed:
        return done(
            reference, "Nothing changed: the assignment was already that.", request, "assignment"
        )
    return done(reference, "Assignment saved.", request, "assignment")


@require_POST
@staff_required
@once_per_submission
def change_clock(request: HttpRequest, reference: str, key: str, action: str) -> HttpResponse:
    case = staff_case(request, reference)
    if action not in {"pause", "resume", "extend"}:
        raise Http404("no such change")
    name = f"clock-{key}-{action}"
    form = ClockForm(key, action, request.POST)
    if not form.is_valid():
        return invalid(request, reference, name, form)
    user, now, reason = staff_user(request), timezone.now(), form.cleaned_data["reason"]
    try:
        if action == "pause":
            actions.pause_clock(case.pk, user, key, reason=reason, now=now)
        elif action == "resume":
            actions.resume_clock(case.pk, user, key, reason=reason, now=now)
        else:
            if not form.cleaned_data.get("amount") or not form.cleaned_data.get("unit"):
                form.add_error("amount", "Say by how much, and in which unit.")
                return invalid(request, reference, name, form)
            actions.extend_clock(
                case.pk,
                user,
                key,
                amount=form.cleaned_data["amount"],
                unit=Unit(form.cleaned_data["unit"]),
                reason=reason,
                now=now,
            )
    except ActionRefused as exc:
        return refused(request, reference, name, form, exc, {"clock": "reason"})
    return done(reference, "Clock changed.", request, "clocks")


@require_POST
@staff_required
@once_per_submission
def confirm_verbal_summary(request: HttpRequest, reference: str) -> HttpResponse:
    case = staff_case(request, reference)
    form = VerbalSummaryForm(request.POST)
    if not form.is_valid():
        return invalid(request, reference, "verbal", form)
    try:
        actions.confirm_verbal_summary(
            case.pk, staff_user(request), how=form.cleaned_data["how"], now=timezone.now()
        )
    except ActionRefused as exc:
        return refused(request, reference, "verbal", form, exc)
    return done(reference, "The complainant's confirmation is recorded.", request, "summary")


# --- Letters --------------------------------------------------------------------------


@staff_required  # type: ignore[type-var]
@once_per_submission
# The preview (a sandboxed srcdoc frame, no script) carries the letter's own <style>.
@csp_update({"style-src": ["'unsafe-inline'"]})  # type: ignore[arg-type]
def letter(request: HttpRequest, reference: str) -> HttpResponse:
    """GET: the letter form and, once a letter is chosen, its preview (nothing stored).
    POST: send it."""
    case = staff_case(request, reference)
    user = staff_user(request)
    procedure = engine.procedure_of(case)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = LetterForm(procedure, data, initial={"recipient": "complainant"})
    rendered = None
    status = 200
    if form.is_bound and form.is_valid():
        wanted = LetterRequest(
            name=form.cleaned_data["name"],
            recipient=form.cleaned_data["recipient"],
            step_seq=form.cleaned_data["step_seq"],
            fields=form.letter_fields(),
        )
        try:
            if request.method == "POST":
                sending.send(case.pk, user, wanted, timezone.now())
                return done(reference, "Letter sent.", request, "letters")
            rendered = sending.preview(case, user, wanted, timezone.now())
        except ActionRefused as exc:
            add_refusal(form, exc, {"fields": "name", "step_seq": "name"})
            status = exc.status
    elif form.is_bound:
        status = 400
    return render(
        request,
        "web/staff/letter.html",
        {"case": case, "form": form, "rendered": rendered, "organisation": case.organisation},
        status=status,
    )


# --- Logging a complaint --------------------------------------------------------------


def _received_at(form: LogComplaintForm, organisation: Organisation) -> dt.datetime | None:
    value: dt.datetime | None = form.cleaned_data.get("received_at")
    if value is None:
        return None
    tz = calendar_for(organisation).tz
    return value.replace(tzinfo=tz) if timezone.is_naive(value) else value.astimezone(tz)


@staff_required
@once_per_submission
def log_complaint(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    organisation = _organisation(user)
    now = timezone.now()
    questions = intake.questions_for(organisation, calendar_for(organisation).local_date(now))
    businesses = [(b.pk, b.name) for b in questions.businesses]
    if request.method != "POST":
        form = LogComplaintForm(
            businesses, initial={"source": "direct", "share_information": "yes"}
        )
        return render(request, "web/staff/log.html", {"form": form, "questions": questions})
    form = LogComplaintForm(businesses, request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        complaint = intake.Complaint(
            complainant=intake.ComplainantDetails(
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                address=data["address"],
                is_microbusiness=data["is_microbusiness"],
                business_name=data["business_name"],
            ),
            description=data["description"],
            channel=Channel(data["channel"]),
            source=Source(data["source"]),
            desired_outcome=data["desired_outcome"],
            issue_arose_on=data["issue_arose_on"],
            category=data["category"],
            respondent_id=data.get("respondent"),
            received_at=_received_at(form, organisation),
            vulnerable=data["vulnerable"],
            no_information_sharing=data["share_information"] == "no",
        )
        try:
            case, _ = intake.receive_complaint(
                organisation,
                complaint,
                now=now,
                actor=user,
                actor_role=str(user.staff_role),
            )
        except ActionRefused as exc:
            add_refusal(form, exc, LOG_FIELDS)
            status = exc.status
        else:
            note = f"Complaint {case.reference} logged."
            if case.channel in VERBAL_CHANNELS:
                note += (
                    " It was made verbally: send the complainant the written summary and "
                    "record their confirmation."
                )
            messages.success(request, note)
            return HttpResponseRedirect(
                reverse("staff-case", kwargs={"reference": case.reference}), status=303
            )
    return render(
        request, "web/staff/log.html", {"form": form, "questions": questions}, status=status
    )
