"""The local outbox pages (staff with "MESSAGES / Boîte d'envoi") and the providers' callback."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from relais.audit.models import MessageRead
from relais.audit.services import message_read_record
from relais.core.errors import NotFound, ValidationFailed
from relais.delivery.models import Delivery
from relais.delivery.selectors import (
    OUTBOX_PAGE,
    access_outbox_attachment,
    access_outbox_copy_by_id,
    outbox_attachments,
    outbox_list,
)
from relais.delivery.services import delivery_receipt, status_key
from relais.delivery.sms import sms_info
from relais.inbound.brevo import REPLIED, brevo_callback_reply, brevo_event
from relais.ui.decorators import current_user, page


@page(staff_only=True)
@require_GET
def outbox_list_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    channel = request.GET.get("canal", "")
    try:
        page_number = max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        page_number = 1
    rows = outbox_list(user=user, channel=channel, offset=OUTBOX_PAGE * (page_number - 1))
    return render(
        request,
        "delivery/outbox_list.html",
        {
            "nav": "outbox",
            "copies": rows[:OUTBOX_PAGE],
            "channel": channel if channel in dict(Delivery.CHANNELS) else "",
            "channels": Delivery.CHANNELS,
            "page_number": page_number,
            "has_next": len(rows) > OUTBOX_PAGE,
        },
    )


@page(staff_only=True)
@require_GET
def outbox_copy_view(request: HttpRequest, copy_id: str) -> HttpResponse:
    user = current_user(request)
    copy = access_outbox_copy_by_id(user, copy_id)
    if copy.message_id is not None:
        message_read_record(
            user=user, message_id=copy.message_id, via=MessageRead.OUTBOX, request=request
        )
    context: dict[str, Any] = {
        "nav": "outbox",
        "copy": copy,
        "attachments": list(outbox_attachments(copy)),
        "headers": sorted(copy.headers.items()),
        "sms": sms_info(copy.text) if copy.channel == Delivery.SMS else None,
    }
    return render(request, "delivery/outbox_detail.html", context)


@page(staff_only=True)
@require_GET
def outbox_attachment_view(request: HttpRequest, copy_id: str, attachment_id: str) -> HttpResponse:
    user = current_user(request)
    attachment = access_outbox_attachment(user, copy_id, attachment_id)
    if attachment.copy.message_id is not None:
        message_read_record(
            user=user,
            message_id=attachment.copy.message_id,
            via=MessageRead.OUTBOX,
            request=request,
        )
    response = HttpResponse(bytes(attachment.content), content_type=attachment.content_type)
    response["Content-Disposition"] = f'inline; filename="{attachment.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _payload(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return request.POST.dict()


@csrf_exempt
@require_POST
def delivery_callback(request: HttpRequest, delivery_id: str, token: str) -> HttpResponse:
    """A provider's delivery receipt. Authenticated by the delivery's own token in the URL;
    an unknown delivery or a wrong token answer 404 alike. Brevo also posts here the SMS
    answering this copy (`msg_status` "replied", its text in `reply`): it becomes the reply
    of this very copy (relais.inbound.brevo)."""
    data = _payload(request)
    status = str(data.get("msg_status") or data.get("event") or data.get("status") or "")
    if status_key(status) == REPLIED:
        return _callback_reply(data, delivery_id, token)
    reason = str(data.get("reason") or data.get("description") or "")
    try:
        delivery = delivery_receipt(
            delivery_id=delivery_id, token=token, status=status, reason=reason
        )
    except NotFound:
        return JsonResponse({"detail": "Introuvable."}, status=404)
    return JsonResponse({"id": str(delivery.id), "status": delivery.status})


def _callback_reply(data: dict[str, Any], delivery_id: str, token: str) -> HttpResponse:
    try:
        event = brevo_event(data)
        outcome = brevo_callback_reply(delivery_id=delivery_id, token=token, event=event)
    except NotFound:
        return JsonResponse({"detail": "Introuvable."}, status=404)
    except ValidationFailed as exc:
        return JsonResponse({"detail": exc.detail, "errors": exc.errors}, status=422)
    message = str(outcome.message_id) if outcome.message_id else None
    return JsonResponse({"id": delivery_id, "result": outcome.sms_result, "message": message})
