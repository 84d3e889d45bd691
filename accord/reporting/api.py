"""JSON endpoints of reporting, under /api/reports/: the dashboard and the annual
report of an organisation (by default the caller's own). Managers and administrators
only; bad dates or an unknown organisation are a 422, another organisation a 403."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from accord.api_support import ERRORS
from accord.api_support import request_user as _user
from accord.auth import staff_or_party_auth
from accord.cases.errors import InvalidAction
from accord.reporting.access import report_organisation
from accord.reporting.annual import AnnualReport, annual_report
from accord.reporting.dashboards import Dashboard, dashboard
from accord.reporting.periods import LONDON, PeriodError, parse_period

router = Router(tags=["reports"], auth=staff_or_party_auth)

Slug = Annotated[str | None, Query(description="An organisation's slug (default: your own)")]


@router.get("/dashboard", response={200: Dashboard, **ERRORS})
def get_dashboard(request: HttpRequest, organisation: Slug = None) -> Dashboard:
    found = report_organisation(_user(request), organisation)
    return dashboard(found, timezone.now())


@router.get("/annual", response={200: AnnualReport, **ERRORS})
def get_annual_report(
    request: HttpRequest,
    organisation: Slug = None,
    first: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD")] = None,
    last: Annotated[str | None, Query(alias="to", description="YYYY-MM-DD")] = None,
) -> AnnualReport:
    """The period's figures beside the period before's (default: the last complete
    calendar year)."""
    found = report_organisation(_user(request), organisation)
    try:
        period = parse_period(first, last, timezone.now().astimezone(LONDON).date())
    except PeriodError as exc:
        raise InvalidAction(exc.message, field=exc.field) from None
    return annual_report(found, period)
