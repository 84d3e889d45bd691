"""The public pages of each organisation, at the site root: /<slug>/..."""

from django.urls import URLPattern, URLResolver, path

from accord.web.public import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:slug>/", views.landing, name="public-landing"),
    path("<slug:slug>/complain/", views.complain, name="public-complain"),
    path(
        "<slug:slug>/complain/received/<str:reference>/",
        views.received,
        name="public-received",
    ),
]
