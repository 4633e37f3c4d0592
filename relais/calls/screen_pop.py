"""Where an answered call takes its operator: the client's « levée de fiche par défaut »."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from relais.calls.models import Call


def screen_pop(call: Call) -> dict[str, Any]:
    """`{client, contact, page, url}`: the page opens on the operator's screen."""
    client = call.client
    assert client is not None
    page = client.screen_pop or "messages"
    file_url = reverse("ui:client", args=[client.id])
    if page == "messages":
        url = f"{file_url}?{urlencode({'appel': str(call.id)})}"
    elif page == "planning":
        url = reverse("ui:planning:week", args=[client.id])
    elif page == "contacts":
        url = f"{file_url}?{urlencode({'appel': str(call.id)})}#contacts"
    else:
        url = reverse("ui:call", args=[call.id])
    return {
        "client": str(client.id),
        "contact": str(call.contact_id) if call.contact_id else None,
        "page": page,
        "url": url,
        "composer": reverse("ui:composer", args=[client.id]) + f"?appel={call.id}"
        if page == "messages"
        else None,
    }
