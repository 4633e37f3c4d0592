"""« Prévenir d'un retard / d'une absence » through the API: the preview and the send.

Same right and services as the pages (relais.planning.notices): staff holding « Possibilité de
prévenir d'un retard ou d'une absence », or a client user for its own client (unless the
permanence turned it off for that client).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Header, Router, Schema, Status

from relais.api.auth import current_user
from relais.api.errors import ERROR_RESPONSES
from relais.api.schemas import Ref, Text, local, ref
from relais.clients.selectors import access_client_by_id
from relais.delivery.models import Delivery
from relais.planning.models import Appointment, Notice
from relais.planning.notices import (
    NoticeInput,
    NoticePreview,
    NoticeRecipient,
    notice_deliveries,
    notice_preview,
    notice_send_with_copies,
)

router = Router(tags=["Notices"])


class NoticeIn(Schema):
    kind: Text = Field(description="delay or absence.")
    date: Text = Field(description="YYYY-MM-DD: the day (of the delay, or the absence's first).")
    from_time: Text | None = Field(None, description="HH:MM, a delay only: from that time on.")
    minutes: int | None = Field(None, description="A delay only: 5 to 240.")
    to_date: Text | None = Field(None, description="YYYY-MM-DD, an absence's last day.")
    cancel_appointments: bool = Field(False, description="An absence only.")
    text: Text | None = Field(
        None,
        description="The text, with {contact}, {client}, {date}, {heure}, {retard}; the "
        "client's default text for that kind when left out.",
    )


class NoticeSendIn(NoticeIn):
    exclude: list[Text] = Field(default_factory=list, description="Contact ids not to tell.")


class AppointmentRef(Schema):
    id: str
    date: dt.date
    start: str = Field(description="HH:MM, Paris time.")


class NoticeRecipientOut(Schema):
    contact: Ref
    appointment: AppointmentRef
    channel: str = Field(description="sms, email or call (no mobile nor e-mail: to phone).")
    to: str = Field(description="The mobile, the e-mail address, or the phone to call.")
    text: str
    sms_segments: int
    excluded: bool


class PreviewOut(Schema):
    recipients: list[NoticeRecipientOut]
    sms_total: int = Field(description="SMS segments × recipients, GSM-7 / UCS-2 aware.")
    cancels: list[str] = Field(description="Ids of the appointments the send would cancel.")


class NoticeDeliveryOut(Schema):
    id: str
    contact: Ref | None
    channel: str
    to: str
    status: str
    text: str


class NoticeOut(Schema):
    id: str
    message: str = Field(description="The summary message written on the client's file.")
    kind: str
    date: dt.date
    to_date: dt.date
    subject: str
    deliveries: list[NoticeDeliveryOut]
    to_call: list[dict[str, str]]
    cancelled: list[str] = Field(description="Ids of the appointments cancelled.")
    created_at: dt.datetime


def _appointment(a: Appointment) -> dict[str, Any]:
    return {"id": str(a.id), "date": a.date, "start": a.start.strftime("%H:%M")}


def _recipient(r: NoticeRecipient) -> dict[str, Any]:
    return {
        "contact": ref(r.contact),
        "appointment": _appointment(r.appointment),
        "channel": r.channel,
        "to": r.to,
        "text": r.text,
        "sms_segments": r.sms_segments,
        "excluded": not r.included,
    }


def preview_out(preview: NoticePreview) -> dict[str, Any]:
    return {
        "recipients": [_recipient(r) for r in preview.recipients],
        "sms_total": preview.sms_total,
        "cancels": (
            [str(a.id) for a in preview.appointments] if preview.cancel_appointments else []
        ),
    }


def _delivery(d: Delivery) -> dict[str, Any]:
    return {
        "id": str(d.id),
        "contact": {"id": str(d.contact_id), "name": d.to_name} if d.contact_id else None,
        "channel": d.channel,
        "to": d.to,
        "status": d.status,
        "text": d.text,
    }


def notice_out(
    notice: Notice, subject: str, written: list[Delivery] | None = None
) -> dict[str, Any]:
    """The notice as the API shows it; `written`: its copies when a send just made them."""
    return {
        "id": str(notice.id),
        "message": str(notice.message_id),
        "kind": notice.kind,
        "date": notice.date,
        "to_date": notice.to_date,
        "subject": subject,
        "deliveries": [_delivery(d) for d in notice_deliveries(notice, written)],
        "to_call": notice.to_call,
        "cancelled": notice.cancelled,
        "created_at": local(notice.created_at),
    }


@router.post("/clients/{client_id}/notices/preview", response={200: PreviewOut, **ERROR_RESPONSES})
def notices_preview(request: HttpRequest, client_id: str, payload: NoticeIn) -> Any:
    """Who would be told of the delay or the absence, by which channel, with which text, and
    the SMS count. Nothing is written."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    preview = notice_preview(user=user, client=client, data=NoticeInput(**payload.dict()))
    return preview_out(preview)


@router.post(
    "/clients/{client_id}/notices",
    response={200: NoticeOut, 201: NoticeOut, **ERROR_RESPONSES},
)
def notices_send(
    request: HttpRequest,
    response: HttpResponse,
    client_id: str,
    payload: NoticeSendIn,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        max_length=120,
        description="Any unique string per notice: a retry with the same key returns the "
        "first notice and sends nothing more.",
    ),
) -> Any:
    """Sends the notice: one copy per contact (through the outbox), the summary message on the
    client's file, the cancellations and the journal lines. **201**; a replayed
    `Idempotency-Key` answers **200** with the first notice (`Idempotent-Replayed: true`).
    Invalid values answer 422 and nothing is sent or cancelled."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    sent = notice_send_with_copies(
        author=user,
        client=client,
        data=NoticeInput(**payload.dict()),
        idempotency_key=idempotency_key or "",
    )
    notice, created = sent.notice, sent.created
    if not created:
        response["Idempotent-Replayed"] = "true"
    subject = notice.message.subject if notice.message is not None else ""
    return Status(201 if created else 200, notice_out(notice, subject, sent.deliveries))
