"""Client list, client file (dossier), its thread list (polled), coordinates and settings."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from relais.calls.services import client_numbers_set, client_screen_pop_set
from relais.clients.models import Client
from relais.clients.selectors import access_client_by_id, client_list, contact_list
from relais.clients.services import client_update_coordinates, client_update_message_settings
from relais.core.errors import ValidationFailed
from relais.messaging import rules
from relais.messaging.selectors import template_list_for_client, thread_list_version
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right
from relais.ui.decorators import current_user, is_htmx, page
from relais.ui.views.search import results_context

CLIENT_LIST_LIMIT = 200
CONTACTS_SHOWN = 30


@page(staff_only=True)
def client_list_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    q = request.GET.get("q", "")[:100]
    clients = client_list(user=user, search=q, limit=CLIENT_LIST_LIMIT + 1)
    context = {
        "nav": "clients",
        "q": q,
        "clients": clients[:CLIENT_LIST_LIMIT],
        "more": len(clients) > CLIENT_LIST_LIMIT,
    }
    if is_htmx(request):
        return render(request, "ui/client_list.html#rows", context)
    return render(request, "ui/client_list.html", context)


def threads_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    """The file's thread list: its first page (polled), an older page, or search results
    (relais.ui.views.search); « status » is 422 when a search criterion is invalid."""
    # A client user's file is its portal (the home page).
    user = current_user(request)
    action = reverse("ui:home") if user.is_client_user else reverse("ui:client", args=[client.id])
    context, status = results_context(request, client=client, action=action)
    context["status"] = status
    return context


def client_file_context(request: HttpRequest, client: Client) -> dict[str, Any]:
    user = current_user(request)
    context = threads_context(request, client)
    context.update(
        {
            "nav": "clients",
            "contacts": contact_list(client=client, limit=CONTACTS_SHOWN + 1),
            "contacts_limit": CONTACTS_SHOWN,
            "can_write": rules.may_write_messages(user),
            "can_add_contact": user.is_client_user or user.has_right(perms.CONTACTS_ADD),
            "can_edit": user.has_right(perms.CLIENTS_EDIT),
            "can_settings": user.has_right(perms.CLIENTS_SETTINGS),
        }
    )
    return context


@page()
def client_file(request: HttpRequest, client_id: str) -> HttpResponse:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    if user.is_client_user:
        return redirect("ui:home")
    if is_htmx(request) and request.headers.get("HX-Target") == "threads":
        # The search box, the chips and « Plus anciens » replace the list only.
        context = threads_context(request, client)
        return render(request, "ui/partials/threads.html", context, status=context["status"])
    context = client_file_context(request, client)
    return render(request, "ui/client_file.html", context, status=context["status"])


@page()
def client_threads(request: HttpRequest, client_id: str) -> HttpResponse:
    """The thread list fragment, polled: 204 when nothing changed since version v."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    since = request.GET.get("v", "")
    if since and since == thread_list_version(user=user, client=client):
        return HttpResponse(status=204)
    return render(request, "ui/partials/threads.html", threads_context(request, client))


COORDINATE_FIELDS = ("name", "trade", "email", "mobile", "phone", "fax", "address")


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def client_edit(request: HttpRequest, client_id: str) -> HttpResponse:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_right(user, perms.CLIENTS_EDIT)
    values = {
        "name": client.name,
        "trade": client.trade,
        "email": client.email,
        "mobile": client.mobile_display,
        "phone": client.phone_display,
        "fax": client.fax_display,
        "address": client.address,
        "numbers": ", ".join(n.display for n in client.numbers.all()),
    }
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "")[:1000] for name in COORDINATE_FIELDS}
        numbers = request.POST.get("numbers", "")[:1000]
        try:
            with transaction.atomic():
                client_update_coordinates(user=user, client=client, **values)
                client_numbers_set(
                    user=user,
                    client=client,
                    numbers=[n for n in re.split(r"[,;\n]+", numbers) if n.strip()],
                )
        except ValidationFailed as exc:
            values["numbers"] = numbers
            errors, status = exc.errors, 422
        else:
            messages.success(request, _("Coordonnées enregistrées."))
            return redirect("ui:client", client.id)
    context = {"client": client, "values": values, "errors": errors}
    return render(request, "ui/client_edit.html", context, status=status)


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def client_settings(request: HttpRequest, client_id: str) -> HttpResponse:
    """Paramètres du compte / Message."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_right(user, perms.CLIENTS_SETTINGS)
    values: dict[str, Any] = {
        "default_copy_email": client.default_copy_email,
        "default_copy_sms": client.default_copy_sms,
        "default_copy_fax": client.default_copy_fax,
        "message_info": client.message_info,
        "default_template": str(client.default_template_id or ""),
        "screen_pop": client.screen_pop,
    }
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {
            "default_copy_email": request.POST.get("default_copy_email") == "on",
            "default_copy_sms": request.POST.get("default_copy_sms") == "on",
            "default_copy_fax": request.POST.get("default_copy_fax") == "on",
            "message_info": request.POST.get("message_info", "")[:1000],
            "default_template": request.POST.get("default_template", "")[:64],
            "screen_pop": request.POST.get("screen_pop", "")[:20] or client.screen_pop,
        }
        try:
            with transaction.atomic():
                client_screen_pop_set(user=user, client=client, page=values.pop("screen_pop"))
                client_update_message_settings(user=user, client=client, **values)
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, _("Paramètres du compte enregistrés."))
            return redirect("ui:client", client.id)
    values.setdefault("screen_pop", client.screen_pop)
    context = {
        "client": client,
        "values": values,
        "errors": errors,
        "screen_pops": Client.SCREEN_POPS,
        "templates": template_list_for_client(client=client),
        "tab": "message",
    }
    return render(request, "ui/client_settings.html", context, status=status)
