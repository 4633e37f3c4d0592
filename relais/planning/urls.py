"""Planning pages, included by relais.ui.urls (so their names read "ui:planning:<name>")."""

from django.urls import path

from relais.planning import notice_views, views

app_name = "planning"
urlpatterns = [
    path("clients/<str:client_id>/planning/", views.week, name="week"),
    path(
        "clients/<str:client_id>/planning/rendez-vous/nouveau/",
        views.appointment_new,
        name="appointment_new",
    ),
    path(
        "clients/<str:client_id>/planning/rendez-vous/<str:appointment_id>/",
        views.appointment_edit,
        name="appointment",
    ),
    path(
        "clients/<str:client_id>/planning/rendez-vous/<str:appointment_id>/annuler/",
        views.appointment_cancel_view,
        name="appointment_cancel",
    ),
    path("clients/<str:client_id>/planning/mouvements/", views.journal, name="journal"),
    path("clients/<str:client_id>/prevenir/", notice_views.notice_view, name="notice"),
    path("clients/<str:client_id>/activite/", views.activity, name="activity"),
    path("clients/<str:client_id>/activite/pdf/", views.activity_pdf, name="activity_pdf"),
    path(
        "messages/<str:message_id>/piece-jointe/",
        views.message_attachment_view,
        name="message_attachment",
    ),
    path("planning/motifs/", views.types, name="types"),
    path("planning/motifs/<str:type_id>/", views.type_edit, name="type_edit"),
]
