"""The Settings area, under /staff/settings/."""

from django.urls import URLPattern, URLResolver, path

from accord.web.settings import procedures, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="settings"),
    path("details/", views.details, name="settings-details"),
    path("letterhead/", views.letterhead, name="settings-letterhead"),
    path("closures/", views.closures, name="settings-closures"),
    path("closures/<int:day_id>/remove/", views.remove_closure, name="settings-remove-closure"),
    path("teams/", views.teams, name="settings-teams"),
    path("teams/<int:team_id>/", views.team, name="settings-team"),
    path("teams/<int:team_id>/remove/", views.remove_team, name="settings-remove-team"),
    path("staff/", views.staff, name="settings-staff"),
    path("staff/new/", views.new_staff, name="settings-new-staff"),
    path("staff/<int:user_id>/", views.member, name="settings-member"),
    path("staff/<int:user_id>/active/", views.member_active, name="settings-member-active"),
    path("bodies/", views.bodies, name="settings-bodies"),
    path("bodies/<int:body_id>/", views.body, name="settings-body"),
    path("bodies/<int:body_id>/remove/", views.remove_body, name="settings-remove-body"),
    path("procedure/", views.procedure, name="settings-procedure"),
    path("procedure/drafts/", views.copy_procedure, name="settings-copy-procedure"),
    path("procedure/drafts/<int:draft_id>/", procedures.draft, name="settings-draft"),
    path("procedure/drafts/<int:draft_id>/yaml/", procedures.yaml_text, name="settings-draft-yaml"),
    path(
        "procedure/drafts/<int:draft_id>/edit/<str:section>/",
        procedures.section,
        name="settings-draft-section",
    ),
    path(
        "procedure/drafts/<int:draft_id>/edit/<str:section>/<str:item>/",
        procedures.item,
        name="settings-draft-item",
    ),
    path(
        "procedure/drafts/<int:draft_id>/simulate/",
        procedures.simulate,
        name="settings-draft-simulate",
    ),
    path(
        "procedure/drafts/<int:draft_id>/publish/",
        procedures.publish,
        name="settings-draft-publish",
    ),
    path("procedure/drafts/<int:draft_id>/diff/", procedures.diff, name="settings-draft-diff"),
]
