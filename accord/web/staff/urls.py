"""The staff workspace, under /staff/."""

from django.urls import URLPattern, URLResolver, path

from accord.web.staff import mediation_views, quarantine, signin, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("login/", signin.login, name="staff-login"),
    path("login/code/", signin.code, name="staff-login-code"),
    path("login/enrol/", signin.enrol, name="staff-enrol"),
    path("logout/", signin.logout, name="staff-logout"),
    path("", views.work_queue, name="staff-queue"),
    path("log/", views.log_complaint, name="staff-log"),
    path("quarantine/", quarantine.quarantine_list, name="staff-quarantine"),
    path(
        "quarantine/<int:inbound_id>/",
        quarantine.quarantine_detail,
        name="staff-quarantine-message",
    ),
    path(
        "quarantine/<int:inbound_id>/attachments/<int:number>/",
        quarantine.quarantine_attachment,
        name="staff-quarantine-attachment",
    ),
    path(
        "quarantine/<int:inbound_id>/open/",
        quarantine.quarantine_open,
        name="staff-quarantine-open",
    ),
    path(
        "quarantine/<int:inbound_id>/file/",
        quarantine.quarantine_file,
        name="staff-quarantine-file",
    ),
    path(
        "quarantine/<int:inbound_id>/discard/",
        quarantine.quarantine_discard,
        name="staff-quarantine-discard",
    ),
    path("assign/", views.bulk_assign, name="staff-bulk-assign"),
    path("cases/<str:reference>/", views.case_page, name="staff-case"),
    path("cases/<str:reference>/steps/<str:action>/", views.take_step, name="staff-step"),
    path(
        "cases/<str:reference>/steps/<str:action>/confirm/",
        views.confirm_step,
        name="staff-step-confirm",
    ),
    path("cases/<str:reference>/notes/", views.add_note, name="staff-note"),
    path("cases/<str:reference>/threads/<str:party>/", views.post_message, name="staff-message"),
    path("cases/<str:reference>/relay/<int:message_id>/", views.relay, name="staff-relay"),
    path("cases/<str:reference>/assign/", views.assign, name="staff-assign"),
    path(
        "cases/<str:reference>/clocks/<str:key>/<str:action>/",
        views.change_clock,
        name="staff-clock",
    ),
    path(
        "cases/<str:reference>/verbal-summary/",
        views.confirm_verbal_summary,
        name="staff-verbal-summary",
    ),
    path("cases/<str:reference>/letter/", views.letter, name="staff-letter"),
    path(
        "cases/<str:reference>/records-requests/",
        mediation_views.request_records,
        name="staff-records-request",
    ),
    path(
        "cases/<str:reference>/records-requests/<int:request_id>/arrived/",
        mediation_views.records_arrived,
        name="staff-records-arrived",
    ),
    path("cases/<str:reference>/proposals/", mediation_views.put_proposal, name="staff-proposal"),
    path(
        "cases/<str:reference>/open-to-respondent/",
        mediation_views.open_to_respondent,
        name="staff-open-to-respondent",
    ),
    path(
        "cases/<str:reference>/proposal-submissions/<int:submission_id>/put/",
        mediation_views.put_submission,
        name="staff-put-submission",
    ),
    path(
        "cases/<str:reference>/proposal-submissions/<int:submission_id>/decline/",
        mediation_views.decline_submission,
        name="staff-decline-submission",
    ),
    path(
        "cases/<str:reference>/agreements/",
        mediation_views.draw_up_agreement,
        name="staff-agreement",
    ),
    path(
        "cases/<str:reference>/threads/<str:party>/documents/",
        mediation_views.upload_document,
        name="staff-upload",
    ),
]
