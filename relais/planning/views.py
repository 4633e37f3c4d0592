"""Planning pages: the week view of a client file, the appointment popup (create, change, move,
cancel), the journal of movements, the client's activity over a period (and its PDF), the PDF
attached to a message, and the motifs (gérant).

Views authenticate (ui.decorators.page), fetch through access helpers, read the input and call
one service; the rules live in relais.planning.services and relais.exports.reports.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from relais.audit.models import MessageRead
from relais.audit.services import message_reads_record
from relais.clients.models import Client
from relais.clients.selectors import access_client_by_id, instruction_list
from relais.core.errors import Conflict, NotFound, ValidationFailed
from relais.exports.reports import (
    PLANNING_HIDDEN,
    Reader,
    attachment_filename,
    message_attachment,
    report_build,
    report_pdf,
)
from relais.messaging import rules
from relais.messaging.attachments import KINDS as ATTACH_KINDS
from relais.messaging.attachments import clean_attach
from relais.messaging.selectors import access_message_by_id
from relais.planning.formats import day_short, monday_of
from relais.planning.models import Appointment, AppointmentType
from relais.planning.selectors import (
    access_appointment_by_id,
    access_appointment_type_by_id,
    appointment_movements,
    appointment_type_list,
    movement_list,
    require_planning_reader,
    week_view,
)
from relais.planning.services import (
    DEFAULT_DURATION,
    FIELDS,
    appointment_cancel,
    appointment_create,
    appointment_type_create,
    appointment_type_update,
    appointment_update,
    summary_of,
    version_of,
)
from relais.tenancy import permissions as perms
from relais.tenancy.access import require_right
from relais.tenancy.models import User
from relais.ui.decorators import current_user, is_htmx, page

MOVEMENTS_SHOWN = 12
JOURNAL_PAGE = 50
TYPE_COLOURS = [
    ("#1d4ed8", "Bleu"),
    ("#15803d", "Vert"),
    ("#b45309", "Orange"),
    ("#7c3aed", "Violet"),
    ("#be123c", "Rouge"),
    ("#0e7490", "Turquoise"),
    ("#4d7c0f", "Olive"),
    ("#6b7280", "Gris"),
]


def _parse_day(value: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat((value or "")[:10]) if value else default
    except ValueError:
        return default


def head_context(user: User, client: Client) -> dict[str, Any]:
    """What the client header (ui/partials/client_head.html) shows for this user."""
    return {
        "client": client,
        "nav": "clients",
        "link_name": True,
        "can_write": rules.may_write_messages(user),
        "can_edit": user.has_right(perms.CLIENTS_EDIT),
        "can_settings": user.has_right(perms.CLIENTS_SETTINGS),
    }


def _week_context(request: HttpRequest, client: Client, day: dt.date) -> dict[str, Any]:
    user = current_user(request)
    today = timezone.localdate()
    week = week_view(user=user, client=client, day=day, today=today)
    context = head_context(user, client)
    context.update(
        {
            "week": week,
            "week_label": f"{day_short(week.monday)} au {day_short(week.sunday)}/{week.sunday:%Y}",
            "movements": movement_list(user=user, client=client, limit=MOVEMENTS_SHOWN),
            "agenda_instructions": [
                i for i in instruction_list(user=user, client=client) if i.show_agenda
            ],
            "can_book": user.has_right(perms.PLANNING_ADD),
            "can_notify": user.has_right(perms.PLANNING_NOTICE),
            "tab": "planning",
        }
    )
    return context


@page(staff_only=True)
@require_GET
def week(request: HttpRequest, client_id: str) -> HttpResponse:
    """Monday to Sunday of ?semaine= (any day of the week; this week by default)."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_planning_reader(user)
    day = _parse_day(request.GET.get("semaine"), timezone.localdate())
    context = _week_context(request, client, day)
    if is_htmx(request) and request.GET.get("partial") == "1":
        return render(request, "planning/week.html#planning-body", context)
    return render(request, "planning/week.html", context)


# --- the appointment popup ---------------------------------------------------------------------


def _form_context(
    request: HttpRequest,
    client: Client,
    values: dict[str, Any],
    *,
    appointment: Appointment | None = None,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    user = current_user(request)
    types = appointment_type_list(user=user, active_only=True)
    if appointment is not None and appointment.type is not None and appointment.type not in types:
        types.append(appointment.type)  # an archived motif stays selectable where it is set
    return {
        "client": client,
        "appointment": appointment,
        "v": values,
        "errors": errors or {},
        "types": types,
        "can_book": user.has_right(perms.PLANNING_ADD),
        "history": (
            appointment_movements(user=user, appointment=appointment) if appointment else []
        ),
    }


def _render_form(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    if is_htmx(request):
        return render(request, "planning/partials/appointment_form.html", context, status=status)
    context.update(head_context(current_user(request), context["client"]))
    return render(request, "planning/appointment_page.html", context, status=status)


def _posted(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {
        "date": post.get("date", "")[:30],
        "start": post.get("start", "")[:10],
        "duration": post.get("duration", "")[:10],
        "type": post.get("type", "")[:64],
        "contact": post.get("contact", "")[:64],
        "contact_name": post.get("contact_name", "")[:200],
        "note": post.get("note", "")[:3000],
        "version": post.get("version", "")[:64],
    }


def _saved(
    request: HttpRequest, client: Client, appointment: Appointment, text: str
) -> HttpResponse:
    """After a change: back to the week of the appointment (htmx: the refreshed planning in
    place of the old one, and the popup closes)."""
    week_url = reverse("ui:planning:week", args=[client.id]) + f"?semaine={appointment.date}"
    if not is_htmx(request):
        messages.success(request, text)
        return redirect(week_url)
    context = _week_context(request, client, appointment.date)
    context["saved"] = text
    context["week_url"] = week_url
    response = render(request, "planning/week.html#planning-body", context)
    response = retarget(reswap(response, "outerHTML"), "#planning-body")
    # After the swap: closing the popup earlier would take the requesting form out of the page
    # and htmx would drop the swap.
    return trigger_client_event(
        response, "relais:planning-saved", {"url": week_url}, after="settle"
    )


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def appointment_new(request: HttpRequest, client_id: str) -> HttpResponse:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_planning_reader(user)
    if request.method == "GET":
        today = timezone.localdate()
        day = _parse_day(request.GET.get("date"), today)
        start = request.GET.get("heure", "")[:5] or "09:00"
        values = {"date": day.isoformat(), "start": start, "duration": DEFAULT_DURATION}
        return _render_form(request, _form_context(request, client, values))
    values = _posted(request)
    try:
        appointment = appointment_create(
            user=user, client=client, data={k: values[k] for k in FIELDS}
        )
    except ValidationFailed as exc:
        return _render_form(
            request, _form_context(request, client, values, errors=exc.errors), status=422
        )
    return _saved(request, client, appointment, f"Rendez-vous pris : {summary_of(appointment)}.")


def _values_of(appointment: Appointment) -> dict[str, Any]:
    return {
        "date": appointment.date.isoformat(),
        "start": appointment.start.strftime("%H:%M"),
        "duration": appointment.duration,
        "type": str(appointment.type_id or ""),
        "contact": str(appointment.contact_id or ""),
        "contact_name": appointment.contact.name if appointment.contact else "",
        "note": appointment.note,
        "version": version_of(appointment),
    }


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def appointment_edit(request: HttpRequest, client_id: str, appointment_id: str) -> HttpResponse:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    appointment = access_appointment_by_id(user, appointment_id, client=client)
    if request.method == "GET":
        context = _form_context(request, client, _values_of(appointment), appointment=appointment)
        return _render_form(request, context)
    values = _posted(request)
    try:
        appointment = appointment_update(
            user=user,
            appointment=appointment,
            data={k: values[k] for k in FIELDS},
            expected_version=values["version"] or None,
        )
    except (ValidationFailed, Conflict) as exc:
        errors = exc.errors or {"form": [exc.detail]}
        if isinstance(exc, Conflict):
            # Show the appointment as it is now; what was typed is lost only in that case.
            fresh = access_appointment_by_id(user, appointment_id, client=client)
            context = _form_context(
                request, client, _values_of(fresh), appointment=fresh, errors=errors
            )
            # htmx swaps 422 answers only: the popup must show the fresh version.
            return _render_form(request, context, status=422 if is_htmx(request) else 409)
        context = _form_context(request, client, values, appointment=appointment, errors=errors)
        return _render_form(request, context, status=422)
    return _saved(
        request, client, appointment, f"Rendez-vous enregistré : {summary_of(appointment)}."
    )


@page(staff_only=True)
@require_POST
def appointment_cancel_view(
    request: HttpRequest, client_id: str, appointment_id: str
) -> HttpResponse:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    appointment = access_appointment_by_id(user, appointment_id, client=client)
    try:
        appointment = appointment_cancel(
            user=user,
            appointment=appointment,
            reason=request.POST.get("reason", "")[:1000],
            expected_version=request.POST.get("version", "")[:64] or None,
        )
    except (ValidationFailed, Conflict) as exc:
        fresh = access_appointment_by_id(user, appointment_id, client=client)
        values = _values_of(fresh)
        values["reason"] = request.POST.get("reason", "")[:1000]
        errors = exc.errors or {"form": [exc.detail]}
        context = _form_context(request, client, values, appointment=fresh, errors=errors)
        status = 422 if is_htmx(request) else exc.status
        return _render_form(request, context, status=status)
    return _saved(request, client, appointment, f"Rendez-vous annulé : {summary_of(appointment)}.")


# --- the journal -------------------------------------------------------------------------------


@page(staff_only=True)
@require_GET
def journal(request: HttpRequest, client_id: str) -> HttpResponse:
    """Every movement of the client's planning, newest first, 50 a page (?avant=<at>_<line>
    of the last line shown)."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_planning_reader(user)
    before = None
    try:
        at, line = request.GET.get("avant", "").split("_")
        before = (dt.datetime.fromisoformat(at), int(line))
    except ValueError:
        before = None
    if before is not None and before[0].tzinfo is None:
        before = None
    rows = movement_list(user=user, client=client, before=before, limit=JOURNAL_PAGE + 1)
    context = head_context(user, client)
    context.update(
        {
            "movements": rows[:JOURNAL_PAGE],
            "more": (
                f"{rows[JOURNAL_PAGE - 1].at.isoformat()}_{rows[JOURNAL_PAGE - 1].id}"
                if len(rows) > JOURNAL_PAGE
                else None
            ),
            "tab": "journal",
        }
    )
    return render(request, "planning/journal.html", context)


# --- activity over a period, and the PDFs -------------------------------------------------------


def _period_input(request: HttpRequest) -> dict[str, str]:
    today = timezone.localdate()
    monday = monday_of(today)
    return {
        "kind": request.GET.get("quoi", "movements_all")[:40],
        "from": request.GET.get("du", "")[:30] or monday.isoformat(),
        "to": request.GET.get("au", "")[:30] or (monday + dt.timedelta(days=6)).isoformat(),
    }


def _pdf_response(filename: str, pdf: bytes) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@page(staff_only=True)
@require_GET
def activity(request: HttpRequest, client_id: str) -> HttpResponse:
    """The client's planning, or its movements and messages, over a period, as the PDF of
    « Joindre » shows them to the current user (?quoi=&du=&au=), with the PDF to download."""
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_planning_reader(user)
    values = _period_input(request)
    context = head_context(user, client)
    context.update(
        {
            "v": values,
            "kinds": ATTACH_KINDS,
            "tab": "activity",
            "errors": {},
            "hidden": PLANNING_HIDDEN,
        }
    )
    status = 200
    try:
        attach = clean_attach(values)
    except ValidationFailed as exc:
        context["errors"], status = exc.errors, 422
    else:
        report = report_build(
            client=client,
            kind=attach["kind"],
            start=dt.date.fromisoformat(attach["from"]),
            end=dt.date.fromisoformat(attach["to"]),
            reader=Reader.of_user(user, client),
        )
        message_reads_record(
            user=user, message_ids=report.message_ids(), via=MessageRead.REPORT, request=request
        )
        context["report"] = report
        context["pdf_url"] = (
            reverse("ui:planning:activity_pdf", args=[client.id])
            + f"?quoi={attach['kind']}&du={attach['from']}&au={attach['to']}"
        )
    return render(request, "planning/activity.html", context, status=status)


@page(staff_only=True)
@require_GET
def activity_pdf(request: HttpRequest, client_id: str) -> HttpResponse:
    user = current_user(request)
    client = access_client_by_id(user, client_id)
    require_planning_reader(user)
    try:
        attach = clean_attach(_period_input(request))
    except ValidationFailed:
        return activity(request, client_id)
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
    return _pdf_response(
        attachment_filename(client.name, attach["kind"], start, end), report_pdf(report)
    )


@page()
@require_GET
def message_attachment_view(request: HttpRequest, message_id: str) -> HttpResponse:
    """The PDF a message asked for with « Joindre », for whoever can see the message, built for
    that reader: nothing in it that the reader may not see (relais.exports.reports)."""
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    seen: list[Any] = [message.id]
    attached = message_attachment(
        message=message, reader=Reader.of_user(user, message.client), seen=seen
    )
    if attached is None:
        raise NotFound("Ce message n'a pas de pièce jointe.")
    message_reads_record(user=user, message_ids=seen, via=MessageRead.PDF, request=request)
    return _pdf_response(*attached)


# --- motifs (gérant) -----------------------------------------------------------------------------


def _type_values(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {
        "name": post.get("name", "")[:300],
        "colour": post.get("colour", "")[:20],
        "duration": post.get("duration", "")[:10],
        "is_active": post.get("is_active") == "on",
    }


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def types(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require_right(user, perms.PLANNING_TYPES)
    values: dict[str, Any] = {"colour": TYPE_COLOURS[0][0], "duration": DEFAULT_DURATION}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = _type_values(request)
        try:
            created = appointment_type_create(
                user=user,
                name=values["name"],
                colour=values["colour"],
                duration=values["duration"],
            )
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, f"Motif « {created.name} » ajouté.")
            return redirect("ui:planning:types")
    context = {
        "nav": "planning_types",
        "types": appointment_type_list(user=user),
        "v": values,
        "errors": errors,
        "colours": TYPE_COLOURS,
    }
    return render(request, "planning/types.html", context, status=status)


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, type_id: str) -> HttpResponse:
    user = current_user(request)
    found: AppointmentType = access_appointment_type_by_id(user, type_id)
    values: dict[str, Any] = {
        "name": found.name,
        "colour": found.colour,
        "duration": found.duration,
        "is_active": found.is_active,
    }
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = _type_values(request)
        try:
            appointment_type_update(user=user, appointment_type=found, **values)
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        else:
            messages.success(request, f"Motif « {found.name} » enregistré.")
            return redirect("ui:planning:types")
    colours = list(TYPE_COLOURS)
    if found.colour not in dict(colours):
        colours.append((found.colour, "Couleur actuelle"))
    context = {
        "nav": "planning_types",
        "type": found,
        "v": values,
        "errors": errors,
        "colours": colours,
    }
    return render(request, "planning/type_edit.html", context, status=status)
