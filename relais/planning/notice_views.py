"""« Prévenir d'un retard / d'une absence »: the form (from the icon beside a day of the week view,
in the planning's popup; a page of its own on the client portal and without script), its
preview table and the send.

The view authenticates, fetches the client through the access helper, reads the form and calls
one service (relais.planning.notices); the form carries an idempotency key made when it opened,
so a double click or a resent form sends once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from relais.clients.models import Client
from relais.clients.selectors import access_client_by_id
from relais.core.errors import ValidationFailed
from relais.planning.models import NoticeSettings
from relais.planning.notices import (
    ABSENCE,
    DELAY,
    MINUTES_MAX,
    MINUTES_MIN,
    PLACEHOLDERS,
    TEXT_MAX,
    NoticeInput,
    NoticePreview,
    NoticeSent,
    default_text,
    notice_deliveries,
    notice_preview,
    notice_send_with_copies,
    notice_settings_update,
    require_notice_right,
)
from relais.planning.views import head_context
from relais.tenancy import permissions as perms
from relais.ui.decorators import current_user, is_htmx, page

FIELDS = ("kind", "date", "from_time", "minutes", "to_date", "text")


def _initial(request: HttpRequest, config: NoticeSettings) -> dict[str, Any]:
    today = timezone.localdate()
    try:
        day = dt.date.fromisoformat(request.GET.get("date", "")[:10])
    except ValueError:
        day = today
    day = max(day, today)
    kind = ABSENCE if request.GET.get("kind") == ABSENCE else DELAY
    now = timezone.localtime()
    start = "08:00"
    if day == today:
        minutes = now.hour * 60 + now.minute
        minutes -= minutes % 30
        start = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return {
        "kind": kind,
        "date": day.isoformat(),
        "from_time": start,
        "minutes": "",
        "to_date": day.isoformat(),
        "cancel_appointments": False,
        "text": default_text(config, kind),
        "key": uuid.uuid4().hex,
    }


def _posted(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    values: dict[str, Any] = {name: post.get(name, "")[:3000] for name in FIELDS}
    values["cancel_appointments"] = post.get("cancel_appointments") == "on"
    values["key"] = post.get("key", "")[:120]
    return values


def _input(request: HttpRequest, values: dict[str, Any]) -> NoticeInput:
    # The preview's rows: each shown contact is told unless unticked.
    shown = request.POST.getlist("shown")[:1000]
    ticked = set(request.POST.getlist("contact"))
    return NoticeInput(
        kind=values["kind"],
        date=values["date"],
        from_time=values["from_time"],
        minutes=values["minutes"],
        to_date=values["to_date"] or values["date"],
        cancel_appointments=values["cancel_appointments"],
        text=values["text"],
        exclude=[c for c in shown if c not in ticked],
    )


def _context(
    request: HttpRequest,
    client: Client,
    config: NoticeSettings,
    values: dict[str, Any],
    *,
    preview: NoticePreview | None = None,
    errors: dict[str, list[str]] | None = None,
    saved_text: bool = False,
) -> dict[str, Any]:
    user = current_user(request)
    context: dict[str, Any] = {"client": client}
    if user.is_staff_user:
        context.update(head_context(user, client))
    context.update(
        {
            "v": values,
            "preview": preview,
            "errors": errors or {},
            "defaults": {
                DELAY: default_text(config, DELAY),
                ABSENCE: default_text(config, ABSENCE),
            },
            "placeholders": PLACEHOLDERS,
            "minutes_min": MINUTES_MIN,
            "minutes_max": MINUTES_MAX,
            "text_max": TEXT_MAX,
            "page": not is_htmx(request),
            "saved_text": saved_text,
            "can_settings": user.has_right(perms.CLIENTS_SETTINGS),
            "client_may_notify": config.client_may_notify,
            "tab": "planning",
        }
    )
    return context


def _render(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    template = "planning/partials/notice_form.html" if is_htmx(request) else "planning/notice.html"
    return render(request, template, context, status=status)


def _sent(request: HttpRequest, client: Client, sent: NoticeSent) -> HttpResponse:
    notice, created = sent.notice, sent.created
    context: dict[str, Any] = {
        "client": client,
        "notice": notice,
        "created": created,
        "subject": notice.message.subject if notice.message is not None else "",
        "deliveries": notice_deliveries(notice, sent.deliveries),
        "thread_url": reverse("ui:thread", args=[notice.message_id]),
        "week_url": reverse("ui:planning:week", args=[client.id]) + f"?semaine={notice.date}",
        "page": not is_htmx(request),
        "tab": "planning",
    }
    user = current_user(request)
    if user.is_staff_user:
        context.update(head_context(user, client))
    template = "planning/partials/notice_sent.html" if is_htmx(request) else "planning/notice.html"
    return render(request, template, context, status=201 if created else 200)


@page()
@require_http_methods(["GET", "POST"])
def notice_view(request: HttpRequest, client_id: str) -> HttpResponse:
    """GET: the form (?date=, ?kind=absence). POST action=preview: the form and the preview
    table; action=send: the notice is sent; action=save_text: the text becomes the client's
    default for that kind."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    config = require_notice_right(user, client)
    if request.method == "GET":
        return _render(request, _context(request, client, config, _initial(request, config)))
    values = _posted(request)
    action = request.POST.get("action", "preview")
    data = _input(request, values)
    try:
        if action == "send":
            sent = notice_send_with_copies(
                author=user, client=client, data=data, idempotency_key=values["key"]
            )
            return _sent(request, client, sent)
        if action == "save_text":
            config = notice_settings_update(
                user=user, client=client, kind=str(values["kind"]), text=values["text"]
            )
            return _render(request, _context(request, client, config, values, saved_text=True))
        if action == "client_may_notify":
            config = notice_settings_update(
                user=user,
                client=client,
                kind=str(values["kind"]) or DELAY,
                client_may_notify=request.POST.get("client_may_notify") == "on",
            )
            return _render(request, _context(request, client, config, values))
        preview = notice_preview(user=user, client=client, data=data)
    except ValidationFailed as exc:
        context = _context(request, client, config, values, errors=exc.errors)
        return _render(request, context, status=422)
    return _render(request, _context(request, client, config, values, preview=preview))
