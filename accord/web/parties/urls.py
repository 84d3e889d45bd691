"""The parties' pages, under /my/: businesses sign in with a password, complainants
with the link we e-mail them."""

from django.contrib.auth.views import LogoutView
from django.urls import URLPattern, URLResolver, path, reverse_lazy

from accord.web.parties import case_page, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="party-home"),
    path("login/", views.BusinessLoginView.as_view(), name="party-login"),
    path("logout/", LogoutView.as_view(next_page=reverse_lazy("party-login")), name="party-logout"),
    path("link/", views.link_request, name="party-link-request"),
    path("link/<str:token>/", views.link_open, name="party-link-open"),
    path("cases/", views.case_list, name="party-cases"),
    path("cases/<str:reference>/", case_page.case_page, name="party-case"),
    path("cases/<str:reference>/message/", case_page.send_message, name="party-message"),
    path("cases/<str:reference>/upload/", case_page.upload, name="party-upload"),
    path("cases/<str:reference>/consent/", case_page.sign_consent, name="party-consent"),
    path(
        "cases/<str:reference>/consent/withdraw/",
        case_page.withdraw_consent,
        name="party-consent-withdraw",
    ),
    path("cases/<str:reference>/summary/", case_page.confirm_summary, name="party-summary"),
    path("cases/<str:reference>/steps/<str:action>/", case_page.take_step, name="party-step"),
    path("cases/<str:reference>/proposals/own/", case_page.own_proposal, name="party-own-proposal"),
    path(
        "cases/<str:reference>/proposals/<int:proposal_id>/answer/",
        case_page.answer_proposal,
        name="party-answer",
    ),
    path(
        "cases/<str:reference>/agreements/<int:agreement_id>/confirm/",
        case_page.confirm_agreement,
        name="party-agreement-confirm",
    ),
    path(
        "cases/<str:reference>/obligations/<int:obligation_id>/done/",
        case_page.obligation_done,
        name="party-obligation-done",
    ),
    path(
        "cases/<str:reference>/letters/<int:letter_id>/",
        case_page.letter_page,
        name="party-letter",
    ),
    path(
        "cases/<str:reference>/letters/<int:letter_id>/pdf/",
        case_page.letter_pdf,
        name="party-letter-pdf",
    ),
    path("cases/<str:reference>/feedback/", case_page.give_feedback, name="party-feedback"),
]
