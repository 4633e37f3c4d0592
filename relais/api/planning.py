"""Planning through the API: a client's appointments (book, change, move, cancel), the journal
of their movements, the motifs, and the « Joindre » PDFs (a message's attachment, a report).

Same rights and services as the pages: « Planning avec rendez-vous » to read, « Ajout
rendez-vous » to book, change and cancel, « Motifs de rendez-vous » to manage the motifs. The
planning is staff only: a client user gets 403 (its planning reaches it as a PDF attached to a
message, which it downloads from GET /messages/{id}/attachment like any reader of the message).
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from relais.api.auth import current_user
from relais.api.errors import ERROR_RESPONSES, ErrorOut
from relais.api.pagination import Cursor, clamp_limit, cursor_query
from relais.api.schemas import Day, Flag, Number, Ref, Text, local, ref
from relais.audit.models import MessageRead
from relais.audit.services import message_reads_record
from relais.clients.selectors import access_client_by_id
from relais.core.errors import NotFound, ValidationFailed
from relais.exports.reports import (
    Reader,
    attachment_filename,
    message_attachment,
    report_build,
    report_pdf,
)
from relais.messaging.attachments import clean_attach
from relais.messaging.selectors import access_message_by_id
from relais.planning.formats import monday_of
from relais.planning.models import Appointment, AppointmentType, Movement
from relais.planning.selectors import (
    access_appointment_by_id,
    access_appointment_type_by_id,
    appointment_list,
    appointment_movements,
    appointment_type_list,
    movement_list,
    require_planning_reader,
)
from relais.planning.services import (
    appointment_cancel,
    appointment_create,
    appointment_type_create,
    appointment_type_update,
    appointment_update,
    version_of,
)

router = Router(tags=["Planning"])

MAX_DAYS = 366
BAD_CURSOR = "Curseur invalide : reprenez la liste depuis le début."
PDF_RESPONSE = {
    "responses": {
        200: {
            "description": "Le PDF (A4, en français).",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


FROM_DAY = Query(None, alias="from", description="YYYY-MM-DD; this week's Monday by default.")
TO_DAY = Query(
    None,
    description="YYYY-MM-DD, not before `from` (else 422), at most 366 days after it; six "
    "days after `from` by default.",
)
CANCELLED = Query(True, description="false: booked appointments only.")
LIMIT = Query(None, ge=1, description="At most 200; 50 by default.")
CURSOR = cursor_query()
REPORT_KIND = Query(
    ..., description="planning, movements_staff, movements_staff_unread or movements_all."
)
REPORT_FROM = Query(..., alias="from", description="YYYY-MM-DD")
REPORT_TO = Query(
    ..., description="YYYY-MM-DD, not before `from` (else 422), at most a year after it."
)


# --- shapes ------------------------------------------------------------------------------------


class AppointmentTypeOut(Schema):
    id: str
    name: str
    colour: str = Field(description="#rrggbb")
    duration: int = Field(description="Default duration in minutes.")
    is_active: bool


class AppointmentTypeIn(Schema):
    name: Text
    colour: Text = Field(description="#rrggbb")
    duration: Number = 15
    is_active: Flag = True


class AppointmentTypePatch(Schema):
    name: Text | None = None
    colour: Text | None = None
    duration: Number | None = None
    is_active: Flag | None = None


class MovementOut(Schema):
    kind: str = Field(description="created, moved, modified, cancelled or notice.")
    label: str
    at: dt.datetime
    actor: Ref | None
    appointment: str | None = Field(
        description="The appointment id; null for a notice (« Patients prévenus »)."
    )
    summary: str = Field(description="The appointment after the movement, in French.")
    detail: str = Field(description='What changed, e.g. "Déplacé du 30/11 10:00 au 01/12 14:30".')
    changes: dict[str, Any] = Field(description="{field: [before, after]}.")


class AppointmentOut(Schema):
    id: str
    client: Ref
    date: dt.date
    start: str = Field(description="HH:MM, Paris time.")
    end: str
    duration: int = Field(description="Minutes.")
    type: AppointmentTypeOut | None
    contact: Ref | None
    note: str
    status: str = Field(description="booked or cancelled.")
    version: str = Field(description="Send it back to refuse a change made on a stale copy.")
    created_by: Ref | None
    created_at: dt.datetime
    cancelled_at: dt.datetime | None


class AppointmentDetailOut(AppointmentOut):
    movements: list[MovementOut]


class AppointmentPage(Schema):
    items: list[AppointmentOut]
    next: str | None


class MovementPage(Schema):
    items: list[MovementOut]
    next: str | None


class AppointmentIn(Schema):
    date: Day
    start: Text = Field(description="HH:MM")
    duration: Number | None = Field(None, description="Minutes; the motif's default, else 15.")
    type: str | None = Field(None, description="Motif id.")
    contact: str | None = Field(None, description="Contact id (one of the client's).")
    note: Text = ""


class AppointmentPatch(Schema):
    date: Day | None = None
    start: Text | None = Field(None, description="HH:MM")
    duration: Number | None = None
    type: str | None = Field(None, description='Motif id; "" for none.')
    contact: str | None = Field(None, description='Contact id; "" for none.')
    note: Text | None = None
    version: Text | None = Field(None, description="The version read; 409 if it changed since.")


class CancelIn(Schema):
    reason: Text = ""
    version: Text | None = None


def type_out(t: AppointmentType | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "id": str(t.id),
        "name": t.name,
        "colour": t.colour,
        "duration": t.duration,
        "is_active": t.is_active,
    }


def appointment_out(a: Appointment) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "client": ref(a.client),
        "date": a.date,
        "start": a.start.strftime("%H:%M"),
        "end": a.end.strftime("%H:%M"),
        "duration": a.duration,
        "type": type_out(a.type),
        "contact": ref(a.contact),
        "note": a.note,
        "status": a.status,
        "version": version_of(a),
        "created_by": ref(a.created_by),
        "created_at": local(a.created_at),
        "cancelled_at": local(a.cancelled_at),
    }


def movement_out(m: Movement) -> dict[str, Any]:
    return {
        "kind": m.kind,
        "label": m.get_kind_display(),
        "at": local(m.at),
        "actor": ref(m.actor),
        "appointment": str(m.appointment_id) if m.appointment_id else None,
        "summary": m.summary,
        "detail": m.detail,
        "changes": m.changes,
    }


def _detail(user: Any, a: Appointment) -> dict[str, Any]:
    return {
        **appointment_out(a),
        "movements": [movement_out(m) for m in appointment_movements(user=user, appointment=a)],
    }


def _movement_cursor(movement: Movement) -> str:
    text = f"v|{movement.at.isoformat()}|{movement.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _read_movement_cursor(cursor: str | None) -> tuple[dt.datetime, int] | None:
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode()
        kind, at, line = text.split("|")
        moment = dt.datetime.fromisoformat(at)
        if kind != "v" or moment.tzinfo is None:
            raise ValueError
        return moment, int(line)
    except (ValueError, UnicodeError):
        raise ValidationFailed.on("cursor", BAD_CURSOR) from None


def _pdf(filename: str, pdf: bytes) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- appointments ------------------------------------------------------------------------------


@router.get("/clients/{client_id}/appointments", response={200: AppointmentPage, **ERROR_RESPONSES})
def appointments_list(
    request: HttpRequest,
    client_id: str,
    from_: dt.date | None = FROM_DAY,
    to: dt.date | None = TO_DAY,
    cancelled: bool = CANCELLED,
) -> Any:
    """The client's appointments from `from` to `to` included (at most 366 days), by day and
    time."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_planning_reader(user)
    start = from_ or monday_of(timezone.localdate())
    end = to or start + dt.timedelta(days=6)
    if end < start:
        raise ValidationFailed.on("to", "La période se termine avant de commencer.")
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed.on("to", "La période ne peut pas dépasser un an.")
    rows = appointment_list(
        user=user, client=client, start=start, end=end, include_cancelled=cancelled
    )
    return {"items": [appointment_out(a) for a in rows], "next": None}


@router.post(
    "/clients/{client_id}/appointments",
    response={201: AppointmentDetailOut, **ERROR_RESPONSES},
)
def appointments_create(request: HttpRequest, client_id: str, payload: AppointmentIn) -> Any:
    """Books an appointment (« Ajout rendez-vous »); the journal gets a « Rendez-vous pris »
    line. 422 with the errors on their fields, nothing saved, when a value is wrong."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    appointment = appointment_create(user=user, client=client, data=payload.dict())
    appointment = access_appointment_by_id(user, appointment.id)
    return Status(201, _detail(user, appointment))


@router.get(
    "/appointments/{appointment_id}", response={200: AppointmentDetailOut, **ERROR_RESPONSES}
)
def appointment_detail(request: HttpRequest, appointment_id: str) -> Any:
    """One appointment with its journal lines, oldest first."""
    user = current_user(request)
    return _detail(user, access_appointment_by_id(user, appointment_id))


@router.patch(
    "/appointments/{appointment_id}",
    response={200: AppointmentDetailOut, 409: ErrorOut, **ERROR_RESPONSES},
)
def appointment_change(request: HttpRequest, appointment_id: str, payload: AppointmentPatch) -> Any:
    """Changes the fields sent: a new `date` or `start` moves it (« Déplacé du 30/11 10:00 au
    01/12 14:30 »). With `version`, a change made by someone else since answers 409."""
    user = current_user(request)
    appointment = access_appointment_by_id(user, appointment_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    appointment_update(user=user, appointment=appointment, data=data, expected_version=version)
    return _detail(user, access_appointment_by_id(user, appointment_id))


@router.post(
    "/appointments/{appointment_id}/cancel",
    response={200: AppointmentDetailOut, 409: ErrorOut, **ERROR_RESPONSES},
)
def appointment_cancel_endpoint(
    request: HttpRequest, appointment_id: str, payload: CancelIn
) -> Any:
    """Cancels it (it stays, as cancelled); 409 when it already is."""
    user = current_user(request)
    appointment = access_appointment_by_id(user, appointment_id)
    appointment_cancel(
        user=user, appointment=appointment, reason=payload.reason, expected_version=payload.version
    )
    return _detail(user, access_appointment_by_id(user, appointment_id))


@router.get("/clients/{client_id}/movements", response={200: MovementPage, **ERROR_RESPONSES})
def movements_list(
    request: HttpRequest,
    client_id: str,
    limit: int | None = LIMIT,
    cursor: Cursor | None = CURSOR,
) -> Any:
    """The journal of the client's planning, newest first."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    size = clamp_limit(limit)
    rows = movement_list(
        user=user, client=client, before=_read_movement_cursor(cursor), limit=size + 1
    )
    return {
        "items": [movement_out(m) for m in rows[:size]],
        "next": _movement_cursor(rows[size - 1]) if len(rows) > size else None,
    }


# --- motifs ------------------------------------------------------------------------------------


@router.get("/appointment-types", response={200: list[AppointmentTypeOut], **ERROR_RESPONSES})
def types_list(request: HttpRequest) -> Any:
    """The permanence's motifs in their order (archived ones included, `is_active` false)."""
    return [type_out(t) for t in appointment_type_list(user=current_user(request))]


@router.post("/appointment-types", response={201: AppointmentTypeOut, **ERROR_RESPONSES})
def types_create(request: HttpRequest, payload: AppointmentTypeIn) -> Any:
    """A new motif (« Motifs de rendez-vous »)."""
    created = appointment_type_create(user=current_user(request), **payload.dict())
    return Status(201, type_out(created))


@router.patch("/appointment-types/{type_id}", response={200: AppointmentTypeOut, **ERROR_RESPONSES})
def types_change(request: HttpRequest, type_id: str, payload: AppointmentTypePatch) -> Any:
    """Renames, recolours, changes the default duration; `is_active: false` archives it."""
    user = current_user(request)
    found = access_appointment_type_by_id(user, type_id)
    values = {
        "name": found.name,
        "colour": found.colour,
        "duration": found.duration,
        "is_active": found.is_active,
        **payload.dict(exclude_unset=True, exclude_none=True),
    }
    return type_out(appointment_type_update(user=user, appointment_type=found, **values))


# --- the PDFs ----------------------------------------------------------------------------------


@router.get(
    "/messages/{message_id}/attachment",
    response=ERROR_RESPONSES,
    openapi_extra=PDF_RESPONSE,
    tags=["Messages"],
)
def message_attachment_pdf(request: HttpRequest, message_id: str) -> Any:
    """The PDF the message asked for with `attach`, built for me: nothing in it that I may not
    see (others' private messages, client remarks; the planning only for the permanence's staff
    and the client's own users). 404 when the message has none."""
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    seen: list[Any] = [message.id]
    attached = message_attachment(
        message=message, reader=Reader.of_user(user, message.client), seen=seen
    )
    if attached is None:
        raise NotFound("Ce message n'a pas de pièce jointe.")
    message_reads_record(user=user, message_ids=seen, via=MessageRead.PDF, request=request)
    return _pdf(*attached)


@router.get(
    "/clients/{client_id}/report",
    response=ERROR_RESPONSES,
    openapi_extra=PDF_RESPONSE,
)
def client_report_pdf(
    request: HttpRequest,
    client_id: str,
    kind: Text = REPORT_KIND,
    from_: Text = REPORT_FROM,
    to: Text = REPORT_TO,
) -> Any:
    """The same PDF as « Joindre » for a period, built for me (staff with « Planning avec
    rendez-vous »)."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_planning_reader(user)
    attach = clean_attach({"kind": kind, "from": from_, "to": to})
    start, end = dt.date.fromisoformat(attach["from"]), dt.date.fromisoformat(attach["to"])
    report = report_build(
        client=client,
        kind=attach["kind"],
        start=start,
        end=end,
        reader=Reader.of_user(user, client),
    )
    message_reads_record(
        user=user, message_ids=report.message_ids(), via=MessageRead.REPORT, request=request
    )
    return _pdf(attachment_filename(client.name, attach["kind"], start, end), report_pdf(report))
