"""« Droit à l'effacement » (erase one message, traced) and « droit d'accès » (everything held
about a contact or a client, as JSON and as a PDF)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.audit.services import audit_record
from relais.clients.models import Client, Contact
from relais.core.errors import ValidationFailed
from relais.exports.pdf import html_to_pdf
from relais.messaging.models import Message
from relais.planning.models import Appointment
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right, require_staff
from relais.tenancy.models import User

REASON_MIN, REASON_MAX = 3, 500
# The PDF is for a person to read: past this many messages it says the rest is in the JSON.
PDF_MAX_MESSAGES = 500


def require_data_officer(user: User) -> None:
    require_staff(user)
    require_right(user, perms.DATA_POLICY)


def message_erase(*, user: User, message: Message, reason: Any, ip: str | None = None) -> None:
    """Erases a message (fetched through access_message_by_id) with everything that hangs on it:
    replies, history, copies, outbox bodies and PDFs, read states. What stays is the trace: who
    erased which message of which client, when and why; never its content."""
    require_data_officer(user)
    text = " ".join(str(reason or "").split()) if isinstance(reason, str) else ""
    if len(text) < REASON_MIN:
        raise ValidationFailed.on("reason", "Indiquez le motif de l'effacement.")
    if len(text) > REASON_MAX:
        raise ValidationFailed.on("reason", f"{REASON_MAX} caractères au plus.")
    with transaction.atomic():
        deleted = Message.objects.filter(pk=message.pk, permanence_id=user.permanence_id).delete()
        audit_record(
            permanence_id=user.permanence_id,
            actor=user,
            kind=AuditEvent.MESSAGE_ERASED,
            target=f"message:{message.pk}",
            detail={
                "client": str(message.client_id),
                "client_name": message.client.name,
                "created_at": message.created_at.isoformat(),
                "reason": text,
                "rows": deleted[1],
            },
            ip=ip,
        )


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _message_data(message: Message) -> dict[str, Any]:
    return {
        "id": str(message.id),
        "created_at": _iso(message.created_at),
        "author": message.author.name,
        "subject": message.subject,
        "body": message.body,
        "status": message.status,
        "due_date": _iso(message.due_date),
        "is_urgent": message.is_urgent,
        "is_private": message.is_private,
        "is_vad": message.is_vad,
        "contact": str(message.contact_id) if message.contact_id else None,
        "replies": [
            {"at": _iso(r.created_at), "author": r.sender_label, "body": r.body}
            for r in message.replies.all()
        ],
        "copies": [
            {"channel": d.channel, "to": d.to, "status": d.status, "at": _iso(d.created_at)}
            for d in message.deliveries.all()
        ],
    }


def _messages(qs: Any) -> list[dict[str, Any]]:
    rows = (
        qs.select_related("author")
        .prefetch_related("replies__author", "replies__sender_contact", "deliveries")
        .order_by("created_at", "id")
    )
    return [_message_data(m) for m in rows]


def _contact_data(contact: Contact) -> dict[str, Any]:
    return {
        "id": str(contact.id),
        "name": contact.name,
        "phone": contact.phone,
        "phone2": contact.phone2,
        "email": contact.email,
        "note": contact.note,
        "created_at": _iso(contact.created_at),
    }


def _appointments(qs: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": str(a.id),
            "date": _iso(a.date),
            "start": a.start.strftime("%H:%M"),
            "duration": a.duration,
            "note": a.note,
            "status": a.status,
            "contact": str(a.contact_id) if a.contact_id else None,
        }
        for a in qs.order_by("date", "start")
    ]


def contact_export(*, user: User, contact: Contact, ip: str | None = None) -> dict[str, Any]:
    """Everything held about a contact: its card, the messages about it (with replies and
    copies), its appointments. Traced."""
    require_data_officer(user)
    data: dict[str, Any] = {
        "kind": "contact",
        "generated_at": _iso(timezone.now()),
        "permanence": user.permanence.name,
        "client": {"id": str(contact.client_id), "name": contact.client.name},
        "contact": _contact_data(contact),
        "messages": _messages(
            Message.objects.filter(permanence_id=user.permanence_id, contact_id=contact.pk)
        ),
        "appointments": _appointments(
            Appointment.objects.filter(permanence_id=user.permanence_id, contact_id=contact.pk)
        ),
    }
    audit_record(
        permanence_id=user.permanence_id,
        actor=user,
        kind=AuditEvent.EXPORTED,
        target=f"contact:{contact.pk}",
        detail={"messages": len(data["messages"])},
        ip=ip,
    )
    return data


def client_export(*, user: User, client: Client, ip: str | None = None) -> dict[str, Any]:
    """Everything held about a client: its file, settings, contacts, users, instructions,
    messages (with replies and copies) and appointments. Traced."""
    require_data_officer(user)
    data: dict[str, Any] = {
        "kind": "client",
        "generated_at": _iso(timezone.now()),
        "permanence": user.permanence.name,
        "client": {
            "id": str(client.id),
            "name": client.name,
            "trade": client.trade,
            "email": client.email,
            "mobile": client.mobile,
            "fax": client.fax,
            "created_at": _iso(client.created_at),
        },
        "users": [
            {"id": str(u.id), "name": u.name, "email": u.email, "mobile": u.mobile}
            for u in client.users.order_by("email")
        ],
        "contacts": [_contact_data(c) for c in client.contacts.order_by("name", "id")],
        "instructions": [
            {"text": i.text, "created_at": _iso(i.created_at)}
            for i in client.instructions.order_by("created_at")
        ],
        "messages": _messages(
            Message.objects.filter(Q(client_id=client.pk), permanence_id=user.permanence_id)
        ),
        "appointments": _appointments(
            Appointment.objects.filter(permanence_id=user.permanence_id, client_id=client.pk)
        ),
    }
    audit_record(
        permanence_id=user.permanence_id,
        actor=user,
        kind=AuditEvent.EXPORTED,
        target=f"client:{client.pk}",
        detail={"messages": len(data["messages"])},
        ip=ip,
    )
    return data


def export_pdf(data: dict[str, Any]) -> bytes:
    messages = data["messages"]
    context = {
        "data": data,
        "messages": messages[:PDF_MAX_MESSAGES],
        "cut": max(0, len(messages) - PDF_MAX_MESSAGES),
    }
    return html_to_pdf(render_to_string("audit/export.html", context))
