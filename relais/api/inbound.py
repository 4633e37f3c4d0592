"""Replies taken in: raw e-mail from the permanence's mail server, SMS from the provider,
and « Réponses à vérifier » (API.md, "Replies by e-mail and SMS")."""

from __future__ import annotations

import json
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from relais.api.auth import current_user
from relais.api.errors import (
    ERROR_RESPONSES,
    MALFORMED_JSON,
    NOT_JSON,
    ErrorOut,
    error_body,
    is_json_type,
)
from relais.api.schemas import ReplyOut, local, reply_out
from relais.core.errors import RelaisError, ValidationFailed
from relais.inbound.brevo import brevo_account_events
from relais.inbound.mime import MalformedMail
from relais.inbound.models import InboundItem
from relais.inbound.selectors import access_held_by_id, held_list, permanence_for_inbound_token
from relais.inbound.services import (
    email_ingest,
    held_attach,
    held_discard,
    max_raw_bytes,
    sms_ingest,
)
from relais.messaging.selectors import access_message_by_id

router = Router(tags=["Réponses reçues"])

RFC822 = {"message/rfc822", "application/octet-stream", "text/plain"}


class InboundEmailOut(Schema):
    result: Literal["reply", "held", "ignored", "bounce"]
    message: str | None


class InboundSmsIn(Schema):
    """The generic shape: `from` and `to` in any written form, the text received."""

    sender: str = Field("", alias="from", max_length=40)
    to: str = Field("", max_length=40)
    text: str = Field("", max_length=2000)


class InboundSmsOut(Schema):
    result: Literal["ack", "reply", "held"]
    message: str | None


class HeldOut(Schema):
    id: str
    channel: Literal["email", "sms"]
    sender: str
    sender_name: str
    subject: str
    text: str
    received_at: Any


class HeldPage(Schema):
    items: list[HeldOut]
    next: str | None = None


class HeldAttachIn(Schema):
    message: str


def _read_raw(request: HttpRequest) -> bytes:
    """The body, read from the stream with a cap (not request.body, whose cap is for forms)."""
    cap = max_raw_bytes()
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > cap:
        raise ValidationFailed.on(
            "email", f"E-mail trop volumineux : {cap // (1024 * 1024)} Mo au maximum."
        )
    raw = request.read(cap + 1)
    if len(raw) > cap:
        raise ValidationFailed.on(
            "email", f"E-mail trop volumineux : {cap // (1024 * 1024)} Mo au maximum."
        )
    return raw


@router.post(
    "/inbound/email/{token}",
    auth=None,
    response={202: InboundEmailOut, 413: ErrorOut, 415: ErrorOut, **ERROR_RESPONSES},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
def inbound_email(request: HttpRequest, token: str) -> Any:
    """One raw e-mail (`Content-Type: message/rfc822`), e.g. piped by Postfix with curl. The
    token is the permanence's inbound secret. `result`: `reply` (now in its thread), `held`
    (« Réponses à vérifier »), `ignored` (an auto-reply) or `bounce` (its copy failed)."""
    permanence = permanence_for_inbound_token(token)
    content_type = (request.content_type or "").lower()
    if content_type not in RFC822:
        return Status(
            415,
            {
                "detail": "Envoyez l'e-mail brut avec « Content-Type: message/rfc822 ».",
                "errors": {},
            },
        )
    raw = _read_raw(request)
    if not raw.strip():
        raise ValidationFailed.on("email", "E-mail vide.")
    try:
        outcome = email_ingest(raw=raw, source=InboundItem.RAW, permanence=permanence)
    except MalformedMail as exc:
        raise ValidationFailed.on("email", str(exc)) from exc
    result = outcome.result if outcome.result != InboundItem.DISCARDED else "held"
    return Status(
        202,
        {"result": result, "message": str(outcome.message_id) if outcome.message_id else None},
    )


@router.post(
    "/inbound/sms/{token}",
    auth=None,
    response={202: InboundSmsOut, **ERROR_RESPONSES},
)
def inbound_sms(request: HttpRequest, token: str, payload: InboundSmsIn) -> Any:
    """An SMS received: `{from, to, text}`. « OK » acknowledges the last copy that asked it of
    that number (48 h); other text is a reply in the latest thread sent to that number (48 h),
    else it waits in « Réponses à vérifier »."""
    permanence = permanence_for_inbound_token(token)
    outcome = sms_ingest(
        permanence=permanence, sender=payload.sender, to=payload.to, text=payload.text
    )
    return Status(
        202,
        {
            "result": outcome.sms_result,
            "message": str(outcome.message_id) if outcome.message_id else None,
        },
    )


class BrevoEventOut(Schema):
    event: str
    result: Literal["ack", "reply", "held", "receipt", "ignored"]
    message: str | None


class BrevoEventsOut(Schema):
    items: list[BrevoEventOut]


BREVO_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "msg_status": {"type": "string", "example": "replied"},
        "messageId": {"type": "integer", "example": 1511882900176220},
        "to": {"type": "string", "example": "33612345678"},
        "reply": {"type": "string", "example": "OK"},
        "date": {"type": "string", "example": "2026-12-07 10:42:03"},
        "tag": {"type": "string"},
    },
    "required": ["msg_status"],
}


@router.post(
    "/inbound/sms/brevo/{token}",
    auth=None,
    summary="Événements SMS de Brevo (réponses et accusés de réception)",
    response={202: BrevoEventsOut, **ERROR_RESPONSES},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            BREVO_EVENT_SCHEMA,
                            {"type": "array", "items": BREVO_EVENT_SCHEMA},
                        ]
                    }
                }
            },
        }
    },
)
def inbound_sms_brevo(request: HttpRequest, token: str) -> Any:
    """Brevo's transactional SMS webhook (one event, or a list when batched). A `replied`
    event is the SMS reply of the copy Brevo names by its `messageId`: « OK » acknowledges
    it, other text is a reply in its thread; a copy Relais does not know follows the
    number's rule (`to`, 48 h). Other events (delivered, bounces…) update that copy's
    status, or are ignored. Nothing is recorded when one event is malformed."""
    permanence = permanence_for_inbound_token(token)
    if not is_json_type(request.content_type or ""):
        return Status(415, error_body(NOT_JSON))
    try:
        data = json.loads(request.body or b"")
    except ValueError as exc:
        raise RelaisError(MALFORMED_JSON) from exc
    outcomes = brevo_account_events(permanence=permanence, data=data)
    items = [
        {
            "event": o.event,
            "result": o.result,
            "message": str(o.message_id) if o.message_id else None,
        }
        for o in outcomes
    ]
    return Status(202, {"items": items})


def _held_out(item: InboundItem) -> dict[str, Any]:
    return {
        "id": str(item.id),
        "channel": item.channel,
        "sender": item.sender,
        "sender_name": item.sender_name,
        "subject": item.subject,
        "text": item.text[:2000],
        "received_at": local(item.created_at),
    }


@router.get("/replies/held", response={200: HeldPage, **ERROR_RESPONSES})
def replies_held(request: HttpRequest) -> Any:
    """« Réponses à vérifier »: what came in from a sender or for a thread Relais could not
    match, newest first (right « MESSAGES / Réponses à vérifier »)."""
    user = current_user(request)
    return {"items": [_held_out(i) for i in held_list(user=user)], "next": None}


@router.post(
    "/replies/held/{item_id}",
    response={201: ReplyOut, 409: ErrorOut, **ERROR_RESPONSES},
)
def replies_held_attach(request: HttpRequest, item_id: str, payload: HeldAttachIn) -> Any:
    """Attaches a held reply to a thread: it becomes a reply there."""
    user = current_user(request)
    item = access_held_by_id(user, item_id)
    message = access_message_by_id(user, payload.message)
    reply = held_attach(user=user, item=item, message=message)
    return Status(201, reply_out(reply, list(reply.attachments.all())))


@router.delete(
    "/replies/held/{item_id}",
    response={204: None, 409: ErrorOut, **ERROR_RESPONSES},
)
def replies_held_discard(request: HttpRequest, item_id: str) -> Any:
    """Discards a held reply (it is kept, marked « Écartée »)."""
    user = current_user(request)
    held_discard(user=user, item=access_held_by_id(user, item_id))
    return Status(204, None)
