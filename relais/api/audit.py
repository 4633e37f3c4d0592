"""Traces, lifetime and rights of the people (API.md « Traces, lifetime and tokens »):
who read a message, the permanence's security trace, erasing a message on request, and
everything held about a contact or a client."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from relais.api.auth import current_user
from relais.api.errors import ERROR_RESPONSES
from relais.api.messages import router as messages_router
from relais.api.pagination import clamp_limit
from relais.api.schemas import Ref, Text, local
from relais.audit.models import AuditEvent
from relais.audit.rights import (
    client_export,
    contact_export,
    export_pdf,
    message_erase,
    require_data_officer,
)
from relais.audit.selectors import audit_events, reads_for_message
from relais.audit.services import client_ip
from relais.clients.models import Contact
from relais.clients.selectors import access_client_by_id
from relais.core.errors import NotFound, ValidationFailed
from relais.messaging.selectors import access_message_by_id
from relais.tenancy.access import access_user_by_id, parse_id
from relais.tenancy.models import User

router = Router(tags=["Traces et données personnelles"])

Via = Literal["page", "api", "pdf", "report", "outbox", "link"]


class ReadItem(Schema):
    user: Ref
    at: dt.datetime
    via: Via
    ip: str | None


class ReadList(Schema):
    items: list[ReadItem]


@router.get("/messages/{message_id}/reads", response={200: ReadList, **ERROR_RESPONSES})
def message_reads(request: HttpRequest, message_id: str) -> Any:
    """« Consultations »: who read this message's content, when, from which address and how
    (`page`, `api`, `pdf`, `report`, `outbox` or `link`), newest first (the last 200).
    Gérant, or the right « SÉCURITÉ / Traces et consultations »."""
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    reads = reads_for_message(user=user, message_id=message.id)
    return {
        "items": [
            {
                "user": {"id": str(r.user_id), "name": r.user.name},
                "at": local(r.at),
                "via": r.via,
                "ip": r.ip,
            }
            for r in reads
        ]
    }


class AuditItem(Schema):
    id: str
    at: dt.datetime
    kind: str
    label: str
    actor: Ref | None
    target: str
    detail: dict[str, Any]
    ip: str | None


class AuditPage(Schema):
    items: list[AuditItem]
    next: str | None


BAD_CURSOR = "Curseur invalide : reprenez la liste depuis le début."


def _cursor(value: int) -> str:
    return base64.urlsafe_b64encode(f"a{value}".encode()).decode().rstrip("=")


def _read_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value = int(text[1:]) if text.startswith("a") else -1
        if not 0 < value < 2**63:
            raise ValueError
        return value
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed.on("cursor", BAD_CURSOR) from None


AUDIT_FROM = Query(None, alias="from", description="From that day (included).")
AUDIT_TO = Query(None, alias="to", description="To that day (included).")
AUDIT_USER = Query(None, description="Only what that user did.")
AUDIT_KIND = Query(None, description="One kind: " + ", ".join(k for k, _ in AuditEvent.KINDS) + ".")
AUDIT_LIMIT = Query(None, ge=1, description="At most 200; 50 by default.")
AUDIT_CURSOR = Query(None, max_length=100, description="The `next` of the previous page.")


@router.get("/audit", response={200: AuditPage, **ERROR_RESPONSES})
def audit_list(
    request: HttpRequest,
    start: dt.date | None = AUDIT_FROM,
    end: dt.date | None = AUDIT_TO,
    user: Text | None = AUDIT_USER,
    kind: Text | None = AUDIT_KIND,
    limit: int | None = AUDIT_LIMIT,
    cursor: Text | None = AUDIT_CURSOR,
) -> Any:
    """The permanence's security trace, newest first: logins and failures, tokens, rights and
    roles, settings, erasures, exports, purges (gérant)."""
    me = current_user(request)
    actor = access_user_by_id(me, user) if user else None
    qs = audit_events(user=me, actor=actor, kind=kind or None, start=start, end=end)
    before = _read_cursor(cursor)
    if before is not None:
        qs = qs.filter(id__lt=before)
    size = clamp_limit(limit)
    rows = list(qs.order_by("-id")[: size + 1])
    items = [
        {
            "id": str(e.id),
            "at": local(e.at),
            "kind": e.kind,
            "label": e.kind_label,
            "actor": {"id": str(e.actor_id), "name": e.actor.name} if e.actor else None,
            "target": e.target,
            "detail": e.detail,
            "ip": e.ip,
        }
        for e in rows[:size]
    ]
    return {"items": items, "next": _cursor(rows[size - 1].id) if len(rows) > size else None}


class EraseIn(Schema):
    reason: Text


# On the messages router: the same path as GET /messages/{id} (one URL, several methods).
@messages_router.delete("/messages/{message_id}", response={204: None, **ERROR_RESPONSES})
def message_delete(request: HttpRequest, message_id: str, payload: EraseIn) -> Any:
    """Erases the message on request (« droit à l'effacement »): the message, its replies,
    history, copies and outbox bodies. The trace keeps that it was erased, by whom, when and
    why (`reason`, required). Gérant (« SÉCURITÉ / Conservation, effacement et accès »)."""
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    message_erase(user=user, message=message, reason=payload.reason, ip=client_ip(request))
    return Status(204, None)


PDF_OR_JSON = {
    "responses": {
        "200": {
            "description": "Toutes les données (JSON), ou le PDF avec `?format=pdf`.",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}
FORMAT = Query("json", description="`json` (default) or `pdf`.")


def _export_response(data: dict[str, Any], fmt: str, name: str) -> HttpResponse:
    if fmt == "pdf":
        response = HttpResponse(export_pdf(data), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    else:
        body = json.dumps(data, ensure_ascii=False, indent=1)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


def _format(value: str) -> str:
    if value not in ("json", "pdf"):
        raise ValidationFailed.on("format", "Format inconnu : json ou pdf.")
    return value


def access_contact_for_export(user: User, contact_id: Any) -> Contact:
    require_data_officer(user)
    contact = (
        Contact.objects.filter(id=parse_id(contact_id), permanence_id=user.permanence_id)
        .select_related("client")
        .first()
    )
    if contact is None:
        raise NotFound("Contact introuvable.")
    return contact


@router.get("/contacts/{contact_id}/export", response=ERROR_RESPONSES, openapi_extra=PDF_OR_JSON)
def contact_data_export(request: HttpRequest, contact_id: str, format: Text = FORMAT) -> Any:
    """Everything held about a contact (« droit d'accès »): its card, the messages about it
    with their replies and copies, its appointments. Gérant; traced."""
    user = current_user(request)
    fmt = _format(format)
    contact = access_contact_for_export(user, contact_id)
    data = contact_export(user=user, contact=contact, ip=client_ip(request))
    return _export_response(data, fmt, f"contact-{str(contact.id)[:8]}")


@router.get("/clients/{client_id}/export", response=ERROR_RESPONSES, openapi_extra=PDF_OR_JSON)
def client_data_export(request: HttpRequest, client_id: str, format: Text = FORMAT) -> Any:
    """Everything held about a client: its file, users, contacts, instructions, messages
    (with replies and copies) and appointments. Gérant; traced."""
    user = current_user(request)
    fmt = _format(format)
    require_data_officer(user)
    client = access_client_by_id(user, client_id)
    data = client_export(user=user, client=client, ip=client_ip(request))
    return _export_response(data, fmt, f"client-{str(client.id)[:8]}")
