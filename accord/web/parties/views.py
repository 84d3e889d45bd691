"""Signing in as a party: businesses with their password, complainants with the link
we e-mail them (and a new link on request); then the list of their cases."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accord.cases.complainant_links import (
    LinkRefused,
    remember_link,
    send_link_on_request,
    user_for_token,
)
from accord.cases.presentation import where_it_stands
from accord.policy.disclosure import cases_visible_to
from accord.policy.roles import standing
from accord.throttles import AnonAllowance
from accord.web.parties.access import party_required, party_user
from accord.web.parties.forms import BusinessLoginForm, LinkRequestForm


class LinkRequestThrottle(AnonAllowance):
    """Requests for a new link, per client address."""

    scope = "complainant_link"

    def __init__(self) -> None:
        super().__init__(settings.ACCORD_LINK_REQUEST_RATE)


class BusinessLoginView(LoginView):
    template_name = "web/parties/login.html"
    authentication_form = BusinessLoginForm

    def get_default_redirect_url(self) -> str:
        return reverse("party-cases")


def link_request(request: HttpRequest) -> HttpResponse:
    """Ask for a new link: always the same answer, whether or not the case exists."""
    form = LinkRequestForm(request.POST or None)
    if request.method == "POST":
        if not LinkRequestThrottle().allow_request(request):
            return render(request, "web/parties/link_throttled.html", status=429)
        if form.is_valid():
            send_link_on_request(
                form.cleaned_data["email"],
                form.cleaned_data["reference"],
                base_url=request.build_absolute_uri("/"),
            )
            return render(request, "web/parties/link_sent.html")
    return render(request, "web/parties/link_request.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
def link_open(request: HttpRequest, token: str) -> HttpResponse:
    """The complainant's link. Opening it (GET) only asks them to confirm; the button
    (a POST with the CSRF check) signs them in for this session and opens their case.
    So a link someone else sends you cannot silently sign your browser into their
    account, and a mail scanner that follows links signs nobody in. A browser already
    signed in as that complainant goes straight to the case."""
    try:
        user, case = user_for_token(token)
    except LinkRefused as refused:
        return render(
            request,
            "web/parties/link_invalid.html",
            {"message": refused.message, "gone": refused.gone},
            status=410 if refused.gone else 400,
        )
    to_case = HttpResponseRedirect(reverse("party-case", args=[case.reference]), status=303)
    if request.method == "POST":
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        remember_link(request.session, case)
        return to_case
    if request.user.is_authenticated and request.user.pk == user.pk:
        return to_case
    return render(
        request,
        "web/parties/link_confirm.html",
        {"case": case, "organisation": case.organisation},
    )


@party_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = party_user(request)
    cases = list(
        cases_visible_to(user)
        .select_related("organisation", "respondent")
        .order_by("-received_at", "-id")[:200]
    )
    rows = []
    for case in cases:
        party = standing(user, case).party
        if party is not None:
            rows.append({"case": case, "stage": where_it_stands(case, party)})
    return render(
        request,
        "web/parties/case_list.html",
        {"rows": rows, "business": user.business},
    )


def home(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(reverse("party-cases"))
