"""Reporting pages, under /reports/."""

from django.urls import URLPattern, URLResolver, path

from accord.reporting import views

app_name = "reporting"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.dashboard_page, name="dashboard"),
    path("annual/", views.annual_page, name="annual"),
    path("annual.pdf", views.annual_pdf, name="annual_pdf"),
    path("annual.csv", views.export_csv, name="export_csv"),
    path("annual.xlsx", views.export_xlsx, name="export_xlsx"),
]
