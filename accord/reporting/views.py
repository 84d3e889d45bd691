"""The staff pages of reporting: the dashboard, the annual report (HTML and PDF) and
its exports. Managers and administrators of the organisation only; each page looks the
organisation up, computes the figures and renders them."""

from __future__ import annotations

import datetime as dt
from typing import cast
from urllib.parse import urlencode

from django.core.exceptions import BadRequest, PermissionDenied
from django.db.models import Max
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from accord.cases.errors import ActionRefused, NotPermitted
from accord.cases.models import Case
from accord.letters.rendering import pdf_of
from accord.organisations.models import Organisation
from accord.reporting import exports
from accord.reporting.access import report_organisation
from accord.reporting.annual import annual_report
from accord.reporting.charts import charts, dashboard_charts
from accord.reporting.dashboards import TREND_MONTHS, dashboard
from accord.reporting.forms import PeriodForm, TrendForm
from accord.reporting.periods import LONDON, Period, default_period
from accord.web.staff.access import staff_required


def _organisation(request: HttpRequest) -> Organisation:
    try:
        return report_organisation(request.user, request.GET.get("organisation"))
    except NotPermitted as exc:
        raise PermissionDenied(exc.message) from None
    except ActionRefused as exc:
        raise BadRequest(exc.message) from None


def _period(request: HttpRequest, organisation: Organisation) -> tuple[PeriodForm, Period | None]:
    today = timezone.now().astimezone(LONDON).date()
    this_year = dt.datetime(today.year, 1, 1, tzinfo=LONDON)
    latest = Case.objects.filter(organisation=organisation, received_at__lt=this_year).aggregate(
        latest=Max("received_at")
    )["latest"]
    default = default_period(today, latest.astimezone(LONDON).date() if latest else None)
    form = PeriodForm(request.GET, today, default)
    form.is_valid()
    return form, form.period


@staff_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    form = TrendForm(request.GET or None)
    months = int(form.cleaned_data["months"]) if form.is_valid() else TREND_MONTHS
    figures = dashboard(organisation, timezone.now(), months)
    return render(
        request,
        "reporting/dashboard.html",
        {
            "organisation": organisation,
            "dashboard": figures,
            "charts": dashboard_charts(figures),
            "form": form if form.is_bound else TrendForm(),
            "months": months,
        },
        status=200 if form.is_valid() or not form.is_bound else 400,
    )


@staff_required
def annual_page(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    form, period = _period(request, organisation)
    context = {"organisation": organisation, "form": form, "query": request.GET.urlencode()}
    if period is None:
        return render(request, "reporting/annual.html", context, status=400)
    report = annual_report(organisation, period)
    if form.default_reason:
        # The exports and the PDF cover exactly the period shown.
        context["query"] = urlencode({"from": period.first, "to": period.last})
    context.update(
        {"report": report, "charts": charts(report), "default_reason": form.default_reason}
    )
    return render(request, "reporting/annual.html", context)


@staff_required
def annual_pdf(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    form, period = _period(request, organisation)
    if period is None:
        return HttpResponse(_errors(form), status=400, content_type="text/plain; charset=utf-8")
    report = annual_report(organisation, period)
    html = render_to_string(
        "reporting/annual_pdf.html",
        {"organisation": organisation, "report": report, "charts": charts(report)},
    )
    response = HttpResponse(pdf_of(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{organisation.slug}-annual-report-{period.first}-{period.last}.pdf"'
    )
    return response


def _errors(form: PeriodForm) -> str:
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)


def _export_name(organisation: Organisation, period: Period, pseudonymised: bool, ext: str) -> str:
    kind = "-pseudonymised" if pseudonymised else ""
    return f"{organisation.slug}-cases-{period.first}-{period.last}{kind}.{ext}"


@staff_required
def export_csv(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    form, period = _period(request, organisation)
    if period is None:
        return HttpResponse(_errors(form), status=400, content_type="text/plain; charset=utf-8")
    pseudonymised = request.GET.get("pseudonymised") in {"1", "true", "yes", "on"}
    response = StreamingHttpResponse(
        exports.csv_lines(organisation, period, pseudonymised=pseudonymised),
        content_type="text/csv; charset=utf-8",
    )
    name = _export_name(organisation, period, pseudonymised, "csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # staff_required types its views as returning HttpResponse; a streamed one is too.
    return cast(HttpResponse, response)


@staff_required
def export_xlsx(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    form, period = _period(request, organisation)
    if period is None:
        return HttpResponse(_errors(form), status=400, content_type="text/plain; charset=utf-8")
    pseudonymised = request.GET.get("pseudonymised") in {"1", "true", "yes", "on"}
    response = FileResponse(
        exports.xlsx_file(organisation, period, pseudonymised=pseudonymised),
        as_attachment=True,
        filename=_export_name(organisation, period, pseudonymised, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return cast(HttpResponse, response)
