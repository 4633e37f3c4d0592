"""Mounted under "delivery/" by config/urls.py."""

from django.urls import path

from relais.delivery import views

app_name = "delivery"
urlpatterns = [
    path("boite-envoi/", views.outbox_list_view, name="outbox"),
    path("boite-envoi/<str:copy_id>/", views.outbox_copy_view, name="outbox_copy"),
    path(
        "boite-envoi/<str:copy_id>/pieces/<str:attachment_id>/",
        views.outbox_attachment_view,
        name="outbox_attachment",
    ),
    path("callback/<str:delivery_id>/<str:token>/", views.delivery_callback, name="callback"),
]
