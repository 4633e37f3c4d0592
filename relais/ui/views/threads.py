"""One thread: read it (marks it read), poll it, reply, change its task state, mark unread."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget

from relais.audit.models import MessageRead
from relais.audit.services import message_read_record
from relais.core.errors import ValidationFailed
from relais.escalation.services import acknowledge_in_portal
from relais.messaging import rules
from relais.messaging.models import Message
from relais.messaging.selectors import access_message_by_id, thread_detail, thread_version
from relais.messaging.services import message_mark_read, message_mark_unread, reply_post, task_set
from relais.tenancy import permissions as perms
from relais.ui.decorators import current_user, is_htmx, page


def thread_context(request: HttpRequest, message: Message, **extra: Any) -> dict[str, Any]:
    user = current_user(request)
    context: dict[str, Any] = {
        "message": message,
        "client": message.client,
        "thread_version": thread_version(message=message),
        "can_act": rules.may_write_messages(user),
        "can_task": rules.may_change_task(user, client_id=message.client_id),
        "reply_body": "",
        "reply_errors": {},
        "task_errors": {},
    }
    context.update(thread_detail(user=user, message=message))
    context.update(extra)
    return context


@page()
@require_GET
def thread_view(request: HttpRequest, message_id: str) -> HttpResponse:
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    if not getattr(message, "is_read", True):
        message_mark_read(user=user, message=message)
    if user.is_client_user:  # the client opening the thread takes it into account
        acknowledge_in_portal(user=user, message=message)
    # The e-mail copy's link carries ?lien=email (delivery.content.EMAIL_LINK_QUERY).
    via = MessageRead.LINK if request.GET.get("lien") == "email" else MessageRead.PAGE
    message_read_record(user=user, message_id=message.id, via=via, request=request)
    context = thread_context(request, message)
    context["shows_reads"] = user.has_right(perms.AUDIT_READ)
    context["can_erase"] = user.has_right(perms.DATA_POLICY)
    return render(request, "ui/thread.html", context)


@page()
@require_GET
def thread_poll(request: HttpRequest, message_id: str) -> HttpResponse:
    """The thread's body fragment, polled: 204 when nothing changed since version v.
    Polling does not mark the thread read (only opening it does)."""
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    if request.GET.get("v", "") == thread_version(message=message):
        return HttpResponse(status=204)
    context = thread_context(request, message, oob=True)
    return render(request, "ui/partials/thread_detail.html", context)


def _after_action(
    request: HttpRequest, message: Message, status: int = 200, **extra: Any
) -> HttpResponse:
    """htmx: the refreshed thread (history out of band); otherwise back to the thread page."""
    if is_htmx(request):
        context = thread_context(request, message, oob=True, **extra)
        return render(request, "ui/partials/thread_detail.html", context, status=status)
    if status >= 400:
        context = thread_context(request, message, **extra)
        return render(request, "ui/thread.html", context, status=status)
    return redirect("ui:thread", message.id)


@page()
@require_POST
def reply_view(request: HttpRequest, message_id: str) -> HttpResponse:
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    body = request.POST.get("body", "")
    try:
        reply_post(
            author=user, message=message, body=body, make_task=request.POST.get("make_task") == "1"
        )
    except ValidationFailed as exc:
        if not is_htmx(request):
            return _after_action(request, message, 422, reply_body=body, reply_errors=exc.errors)
        # Only the reply box is replaced: the typed text comes back with the error.
        response = render(
            request,
            "ui/partials/reply_form.html",
            {"message": message, "reply_body": body, "reply_errors": exc.errors},
            status=422,
        )
        return retarget(reswap(response, "outerHTML"), "#reply-form")
    message = access_message_by_id(user, message_id)
    return _after_action(request, message)


@page()
@require_POST
def task_view(request: HttpRequest, message_id: str) -> HttpResponse:
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    try:
        task_set(
            user=user,
            message=message,
            action=request.POST.get("action", "")[:20],
            due_date=request.POST.get("due_date", "")[:30] or None,
        )
    except ValidationFailed as exc:
        return _after_action(request, message, 422, task_errors=exc.errors)
    message = access_message_by_id(user, message_id)
    return _after_action(request, message)


@page()
@require_POST
def mark_unread_view(request: HttpRequest, message_id: str) -> HttpResponse:
    user = current_user(request)
    message = access_message_by_id(user, message_id)
    message_mark_unread(user=user, message=message)
    if user.is_client_user:
        return redirect("ui:home")
    return redirect("ui:client", message.client_id)
