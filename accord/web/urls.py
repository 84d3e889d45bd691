"""The web pages' URL map: one module per audience, each owning its own prefix."""

from django.urls import include, path

urlpatterns = [
    path("staff/settings/", include("accord.web.settings.urls")),
    path("staff/", include("accord.web.staff.urls")),
    path("my/", include("accord.web.parties.urls")),
    path("", include("accord.web.public.urls")),
]
