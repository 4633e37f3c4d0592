"""Staff home (client search as you type) and the client user's portal."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from relais.clients.selectors import access_client_by_id, client_list
from relais.messaging.selectors import message_list_shared_with
from relais.planning.notices import notice_allowed, notice_settings_of
from relais.ui.decorators import current_user, is_htmx, page
from relais.ui.views.clients import client_file_context, threads_context

HOME_RESULTS = 30


@page()
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if user.is_client_user:
        return portal(request)
    q = request.GET.get("q", "")[:100]
    clients = client_list(user=user, search=q, limit=HOME_RESULTS + 1)
    context = {
        "nav": "home",
        "q": q,
        "clients": clients[:HOME_RESULTS],
        "more": len(clients) > HOME_RESULTS,
    }
    if is_htmx(request):
        return render(request, "ui/home.html#results", context)
    return render(request, "ui/home.html", context)


def portal(request: HttpRequest) -> HttpResponse:
    """The client user's home: its own client's file, nothing else."""
    user = current_user(request)
    client = access_client_by_id(user, user.client_id)
    if is_htmx(request) and request.headers.get("HX-Target") == "threads":
        # The search box, the chips and « Plus anciens » replace the list only.
        context = threads_context(request, client)
        return render(request, "ui/partials/threads.html", context, status=context["status"])
    context = client_file_context(request, client)
    context["shared"] = message_list_shared_with(user=user)
    context["can_notify"] = notice_allowed(user, client, notice_settings_of(client))
    return render(request, "ui/portal.html", context, status=context["status"])
