"""URL map: the admin (with the read-only procedure views), the JSON API and its OpenAPI,
and the web pages."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import include, path

from accord.api import api
from accord.organisations.models import Organisation
from accord.procedures.admin import admin_urls

handler400 = "accord.web.errors.bad_request"


def home(request: HttpRequest) -> HttpResponseRedirect:
    """`/`: the one organisation's landing page when Accord serves one, else the staff
    workspace (which asks anyone not signed in to sign in)."""
    slugs = list(Organisation.objects.values_list("slug", flat=True)[:2])
    if len(slugs) == 1:
        return HttpResponseRedirect(f"/{slugs[0]}/")
    return HttpResponseRedirect("/staff/")


urlpatterns = [
    path("", home, name="home"),
    path("", include("accord.operations.urls")),
    path("admin/", include(admin_urls())),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("quality/", include("accord.quality.urls")),
    path("reports/", include("accord.reporting.urls")),
    path("", include("accord.quality.public_urls")),
    path("", include("accord.web.urls")),
]
