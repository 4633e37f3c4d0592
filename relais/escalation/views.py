"""The personal acknowledgement link's page: GET shows, only POST acknowledges (mail scanners
and link previews follow links). No login: the token is the key. Unknown, forged and expired
tokens answer the same 404 page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from relais.core.errors import NotFound
from relais.escalation.models import Escalation
from relais.escalation.services import ack_request_for_token, acknowledge_by_link


def _invalid(request: HttpRequest) -> HttpResponse:
    return render(request, "escalation/ack_invalid.html", status=404)


@never_cache
@require_http_methods(["GET", "POST"])
def ack_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "POST":
            ack, won = acknowledge_by_link(token=token)
        else:
            ack, won = ack_request_for_token(token), False
    except NotFound:
        return _invalid(request)
    escalation = Escalation.objects.filter(message_id=ack.message_id).first()
    context = {
        "ack": ack,
        "message": ack.message,
        "escalation": escalation,
        "won": won,
        "done": request.method == "POST",
    }
    response = render(request, "escalation/ack.html", context)
    # The token is in the URL: never send it to another site in a Referer. ("no-referrer"
    # would also make the browser send `Origin: null` with the form, which CSRF refuses.)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response
