from django.urls import include, path

from relais.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("delivery/", include("relais.delivery.urls")),
    path("ack/", include("relais.escalation.urls")),
    path("anymail/", include("anymail.urls")),
    path("", include("relais.ui.urls")),
]
