"""URL map: the admin (with the read-only procedure views), the JSON API and its OpenAPI,
and the web pages."""

from django.contrib import admin
from django.urls import include, path

from accord.api import api
from accord.procedures.admin import admin_urls

handler400 = "accord.web.errors.bad_request"

urlpatterns = [
    path("admin/", include(admin_urls())),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("quality/", include("accord.quality.urls")),
    path("reports/", include("accord.reporting.urls")),
    path("", include("accord.quality.public_urls")),
    path("", include("accord.web.urls")),
]
