from django.urls import include, path

from relais.api.api import api
from relais.events import stream

urlpatterns = [
    # The live event streams (async views: served by the ASGI server, docs/DECISIONS.md).
    path("api/v1/events", stream.api_events, name="api_events"),
    path("events", stream.page_events, name="events"),
    path("api/v1/", api.urls),
    path("delivery/", include("relais.delivery.urls")),
    path("ack/", include("relais.escalation.urls")),
    path("anymail/", include("anymail.urls")),
    path("", include("relais.ui.urls")),
]
