"""URL map: the admin (with the read-only procedure views), the JSON API and its OpenAPI,
and the web pages."""

from django.contrib import admin
from django.urls import include, path

from accord.api import api
from accord.procedures.admin import admin_urls

urlpatterns = [
    path("admin/", include(admin_urls())),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("accord.web.urls")),
]
