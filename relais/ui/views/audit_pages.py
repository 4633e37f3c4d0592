"""Traces, lifetimes and second factor pages: « Consultations » of a message (a fragment of the
thread page), reads per user (with CSV), the security journal, the permanence's lifetimes and
session rules, erasing a message, and the staff's « Double authentification »."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relais.audit.models import AuditEvent, MessageRead
from relais.audit.policy import LIMITS, data_policy_update, policy_for, policy_values
from relais.audit.rights import message_erase, require_data_officer
from relais.audit.selectors import (
    audit_events,
    reads_csv,
    reads_for_message,
    reads_for_permanence,
    require_audit_reader,
)
from relais.audit.services import client_ip
from relais.audit.sessions import ENROL_KEY
from relais.audit.totp import (
    confirmed_device,
    enrolment_device,
    otpauth_uri,
    qr_svg,
    secret_text,
    totp_disable,
    totp_enrol_confirm,
    totp_required,
)
from relais.core.errors import NotFound, ValidationFailed
from relais.messaging.selectors import access_message_by_id
from relais.tenancy.access import access_user_by_id
from relais.tenancy.models import User
from relais.ui.decorators import current_user, page

PAGE_SIZE = 50


def _date(value: str | None, field: str, errors: dict[str, list[str]]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        errors[field] = [_("Date invalide.")]
        return None


def _staff_choices(user: User) -> list[User]:
    return list(
        User.objects.filter(permanence_id=user.permanence_id, kind=User.STAFF).order_by(
            "first_name", "last_name"
        )
    )


@page(staff_only=True)
@require_GET
def message_reads_fragment(request: HttpRequest, message_id: str) -> HttpResponse:
    """The thread page's « Consultations » block (loaded after the page, gérant only)."""
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    reads = reads_for_message(user=user, message_id=message.id, limit=100)
    return render(request, "ui/audit/reads_block.html", {"reads": reads, "message": message})


@page(staff_only=True)
@require_GET
def reads_view(request: HttpRequest) -> HttpResponse:
    """Who read what, for the whole permanence or one user, over a period; CSV with
    ?format=csv."""
    user = current_user(request)
    require_audit_reader(user)
    errors: dict[str, list[str]] = {}
    start = _date(request.GET.get("du"), "du", errors)
    end = _date(request.GET.get("au"), "au", errors)
    reader = None
    if request.GET.get("utilisateur"):
        try:
            reader = access_user_by_id(user, request.GET["utilisateur"])
        except NotFound:
            errors["utilisateur"] = [_("Utilisateur inconnu.")]
    rows: Any = []
    try:
        if not errors:
            rows = reads_for_permanence(user=user, reader=reader, start=start, end=end)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if request.GET.get("format") == "csv" and not errors:
        response = StreamingHttpResponse(
            reads_csv(rows.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
        )
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="consultations-{stamp}.csv"'
        response["Cache-Control"] = "private, no-store"
        # page() is typed for HttpResponse; a streamed answer goes through it the same way.
        return cast(HttpResponse, response)
    page_obj = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")) if rows != [] else None
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "ui/audit/reads.html",
        {
            "nav": "reads",
            "page_obj": page_obj,
            "staff": _staff_choices(user),
            "v": {
                "utilisateur": request.GET.get("utilisateur", "")[:40],
                "du": request.GET.get("du", "")[:10],
                "au": request.GET.get("au", "")[:10],
            },
            "errors": errors,
            "query": query.urlencode(),
            "vias": dict(MessageRead.VIAS),
        },
        status=422 if errors else 200,
    )


@page(staff_only=True)
@require_GET
def journal_view(request: HttpRequest) -> HttpResponse:
    """The permanence's security journal: logins, failures, tokens, rights, settings, erasures,
    exports, purges."""
    user = current_user(request)
    require_audit_reader(user)
    errors: dict[str, list[str]] = {}
    start = _date(request.GET.get("du"), "du", errors)
    end = _date(request.GET.get("au"), "au", errors)
    kind = request.GET.get("type", "")[:30]
    if kind and kind not in AuditEvent.KIND_LABELS:
        errors["type"] = [_("Type inconnu.")]
    actor = None
    if request.GET.get("utilisateur"):
        try:
            actor = access_user_by_id(user, request.GET["utilisateur"])
        except NotFound:
            errors["utilisateur"] = [_("Utilisateur inconnu.")]
    page_obj = None
    if not errors:
        try:
            qs = audit_events(user=user, actor=actor, kind=kind or None, start=start, end=end)
            page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        except ValidationFailed as exc:
            errors.update(exc.errors)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "ui/audit/journal.html",
        {
            "nav": "journal",
            "page_obj": page_obj,
            "staff": _staff_choices(user),
            "kinds": AuditEvent.KINDS,
            "v": {
                "utilisateur": request.GET.get("utilisateur", "")[:40],
                "type": kind,
                "du": request.GET.get("du", "")[:10],
                "au": request.GET.get("au", "")[:10],
            },
            "errors": errors,
            "query": query.urlencode(),
        },
        status=422 if errors else 200,
    )


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def retention_view(request: HttpRequest) -> HttpResponse:
    """« Conservation et sécurité »: lifetimes per kind of data, the idle timeout, whether the
    second factor is required."""
    user = current_user(request)
    require_data_officer(user)
    errors: dict[str, list[str]] = {}
    values = policy_values(policy_for(user.permanence_id))
    status = 200
    if request.method == "POST":
        data: dict[str, Any] = {name: request.POST.get(name, "")[:12] for name in LIMITS}
        data["totp_required"] = request.POST.get("totp_required") == "1"
        try:
            data_policy_update(user=user, data=data, ip=client_ip(request))
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
            values.update(data)
        else:
            messages.success(request, _("Durées de conservation et règles enregistrées."))
            return redirect("ui:retention")
    fields = [
        {
            "name": name,
            "label": limit.label,
            "value": values[name],
            "minimum": limit.minimum,
            "maximum": limit.maximum,
            "default": limit.default,
            "unit": limit.unit,
            "errors": errors.get(name, []),
        }
        for name, limit in LIMITS.items()
    ]
    return render(
        request,
        "ui/audit/retention.html",
        {
            "nav": "retention",
            "fields": fields,
            "totp_required": values["totp_required"],
            "errors": errors,
        },
        status=status,
    )


@page(staff_only=True)
@require_POST
def message_erase_view(request: HttpRequest, message_id: str) -> HttpResponse:
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    require_data_officer(user)
    try:
        message_erase(
            user=user,
            message=message,
            reason=request.POST.get("reason", "")[:600],
            ip=client_ip(request),
        )
    except ValidationFailed as exc:
        messages.error(request, exc.detail)
        return redirect("ui:thread", message.id)
    messages.success(request, _("Message effacé. L'effacement est inscrit au journal."))
    return redirect("ui:client", message.client_id)


@page(staff_only=True)
@require_http_methods(["GET", "POST"])
def totp_view(request: HttpRequest) -> HttpResponse:
    """« Double authentification »: enrol an authenticator app (secret, otpauth URI, QR code),
    confirm it with a code; remove it when the permanence does not require it."""
    user = current_user(request)
    errors: dict[str, list[str]] = {}
    status = 200
    device = confirmed_device(user)
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "disable" and device is not None:
            totp_disable(user=user, request=request)
            messages.success(request, _("Double authentification retirée."))
            return redirect("ui:totp")
        if action == "confirm" and device is None:
            pending = enrolment_device(user)
            try:
                totp_enrol_confirm(
                    user=user,
                    device=pending,
                    code=request.POST.get("code", "")[:20],
                    request=request,
                )
            except ValidationFailed as exc:
                errors, status = exc.errors, 422
            else:
                request.session.pop(ENROL_KEY, None)
                messages.success(request, _("Double authentification activée."))
                return redirect("ui:totp")
    context: dict[str, Any] = {
        "nav": "totp",
        "enabled": device is not None,
        "required": totp_required(user),
        "must_enrol": bool(request.session.get(ENROL_KEY)),
        "errors": errors,
    }
    if device is None:
        pending = enrolment_device(user)
        uri = otpauth_uri(user, pending)
        context.update({"uri": uri, "secret": secret_text(pending), "qr": qr_svg(uri)})
    return render(request, "ui/audit/totp.html", context, status=status)
