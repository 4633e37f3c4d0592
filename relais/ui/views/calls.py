"""Calls in the pages: « Journal des appels », one call, the ringing calls of the strip,
« Prendre », and the telephone settings (the CTI address, the operators' extensions)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relais.api.calls import integrations_out
from relais.calls.models import Call
from relais.calls.screen_pop import screen_pop
from relais.calls.selectors import access_call_by_id, call_list, ringing_calls
from relais.calls.services import (
    call_data,
    call_take,
    integration_secret_regenerate,
    require_integrations_right,
    user_extension_set,
)
from relais.clients.models import Client
from relais.clients.selectors import access_client_by_id, instruction_list
from relais.core.errors import Conflict, NotFound, RelaisError, ValidationFailed
from relais.tenancy.access import access_user_by_id
from relais.tenancy.models import User
from relais.ui.decorators import current_user, is_htmx, page

PAGE_SIZE = 50


def _day(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@page(staff_only=True)
@require_GET
def journal_view(request: HttpRequest) -> HttpResponse:
    """The permanence's call journal (right « APPELS / Journal »), or one client's
    (`?client=`: staff who read its messages), filterable by day, operator, missed calls."""
    user = current_user(request)
    get = request.GET
    client = access_client_by_id(user, get["client"]) if get.get("client") else None
    operator = None
    if get.get("operateur"):
        try:
            operator = access_user_by_id(user, get["operateur"])
        except NotFound:
            operator = None
    day = _day(get.get("jour", ""))
    missed = get.get("manques") == "1"
    try:
        page_no = max(1, min(int(get.get("page", "1")), 1000))
    except ValueError:
        page_no = 1
    rows = call_list(
        user=user,
        client=client,
        day=day,
        missed=True if missed else None,
        operator=operator,
        limit=PAGE_SIZE + 1,
        offset=(page_no - 1) * PAGE_SIZE,
    )
    context: dict[str, Any] = {
        "nav": "calls",
        "calls": rows[:PAGE_SIZE],
        "has_next": len(rows) > PAGE_SIZE,
        "page_no": page_no,
        "client": client,
        "operator": operator,
        "day": day,
        "missed": missed,
        "clients": list(
            Client.objects.filter(permanence_id=user.permanence_id)
            .order_by("name")
            .values("id", "name")[:500]
        ),
        "operators": list(
            User.objects.filter(
                permanence_id=user.permanence_id, kind=User.STAFF, is_active=True
            ).order_by("first_name")
        ),
    }
    if is_htmx(request) and get.get("fragment") == "client":
        return render(request, "ui/calls/client_calls.html", context)
    return render(request, "ui/calls/journal.html", context)


@page(staff_only=True)
@require_GET
def call_view(request: HttpRequest, call_id: str) -> HttpResponse:
    """One call: its client, caller, who took it, when, how long, the messages written during
    it and the client's « Levée de fiche » instructions."""
    user = current_user(request)
    call = access_call_by_id(user, call_id)
    instructions = []
    if call.client is not None:
        instructions = [i for i in instruction_list(user=user, client=call.client) if i.show_sheet]
    return render(
        request,
        "ui/calls/call.html",
        {"nav": "calls", "call": call, "instructions": instructions},
    )


def _strip_row(call: Call) -> dict[str, Any]:
    return call_data(call)


@page(staff_only=True)
@require_GET
def ringing_view(request: HttpRequest) -> JsonResponse:
    """The calls ringing now, for the strip of a page that just opened (oldest first)."""
    user = current_user(request)
    return JsonResponse({"calls": [_strip_row(c) for c in ringing_calls(user=user)]})


@page(staff_only=True)
@require_POST
def take_view(request: HttpRequest, call_id: str) -> JsonResponse:
    """« Prendre »: the first operator gets the call and its screen pop; the others a 409
    saying who took it."""
    user = current_user(request)
    try:
        call = access_call_by_id(user, call_id)
        call = call_take(user=user, call=call)
    except Conflict as exc:
        return JsonResponse({"detail": exc.detail}, status=409)
    except NotFound:
        return JsonResponse({"detail": "Appel introuvable."}, status=404)
    pop = screen_pop(call) if call.client is not None else None
    return JsonResponse({"call": str(call.id), "screen_pop": pop})


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def telephony_view(request: HttpRequest) -> HttpResponse:
    """« Standard téléphonique » (gérant): the CTI address to give the PBX, the inbound
    address, their regeneration, and the staff's extensions."""

    user = current_user(request)
    require_integrations_right(user)
    staff = list(
        User.objects.filter(
            permanence_id=user.permanence_id, kind=User.STAFF, is_active=True
        ).order_by("first_name", "last_name")
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        which = request.POST.get("regenerate", "")
        if which:
            integration_secret_regenerate(user=user, which=which)
            messages.success(request, _("Nouvelle adresse créée : l'ancienne ne répond plus."))
            return redirect("ui:telephony")
        for member in staff:
            value = request.POST.get(f"extension-{member.id}")
            if value is None or value.strip() == member.extension:
                continue
            try:
                user_extension_set(user=user, target=member, extension=value)
            except ValidationFailed as exc:
                errors[str(member.id)] = exc.detail
        if not errors:
            messages.success(request, _("Postes enregistrés."))
            return redirect("ui:telephony")
    return render(
        request,
        "ui/calls/telephony.html",
        {
            "nav": "telephony",
            "urls": integrations_out(user.permanence_id),
            "staff": staff,
            "errors": errors,
        },
        status=422 if errors else 200,
    )


__all__ = ["RelaisError"]
