"""The quality log's staff pages, mounted at /quality/."""

from django.urls import URLPattern, URLResolver, path

from accord.quality import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.quality_log, name="quality-log"),
    path("actions/", views.action_list, name="quality-actions"),
    path("actions/new/", views.action_new, name="quality-action-new"),
    path("actions/<int:action_id>/", views.action_detail, name="quality-action"),
    path(
        "actions/<int:action_id>/progress/", views.action_progress, name="quality-action-progress"
    ),
    path("actions/<int:action_id>/verify/", views.action_verify, name="quality-action-verify"),
    path("cases/<str:reference>/", views.case_quality, name="quality-case"),
    path("procedures/", views.procedures, name="quality-procedures"),
]
