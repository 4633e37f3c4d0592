"""« Réponses à vérifier » (held replies), and what a reply taken in carries: its attachments
and its original text — each served only to readers of the thread."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from relais.core.errors import NotFound, RelaisError
from relais.inbound.models import InboundItem
from relais.inbound.selectors import access_held_by_id, held_list
from relais.inbound.services import held_attach, held_discard
from relais.messaging.models import Reply, ReplyAttachment
from relais.messaging.selectors import access_message_by_id, visible_messages
from relais.tenancy.access import parse_id
from relais.ui.decorators import current_user, page

CANDIDATES = 8


@page(staff_only=True)
@require_GET
def held_view(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    items = list(held_list(user=user))
    query = request.GET.get("q", "").strip()[:100]
    chosen = request.GET.get("item", "")
    candidates = []
    if query and chosen:
        words = Q()
        for word in query.split()[:5]:
            words &= Q(subject__icontains=word) | Q(client__name__icontains=word)
        candidates = list(
            visible_messages(user)
            .filter(words)
            .select_related("client")
            .order_by("-last_activity_at")[:CANDIDATES]
        )
    return render(
        request,
        "ui/held_replies.html",
        {
            "items": items,
            "nav": "held",
            "query": query,
            "chosen": chosen,
            "candidates": candidates,
            "error": request.GET.get("erreur", ""),
        },
    )


@page(staff_only=True)
@require_POST
def held_attach_view(request: HttpRequest, item_id: str) -> HttpResponse:
    user = current_user(request)
    item = access_held_by_id(user, item_id)
    try:
        message = access_message_by_id(user, request.POST.get("message", ""))
        held_attach(user=user, item=item, message=message)
    except NotFound:
        return redirect(f"{_held_url()}?erreur=fil")
    except RelaisError as exc:
        if exc.status in {403}:
            raise
        return redirect(f"{_held_url()}?erreur=traite")
    return redirect("ui:thread", message.id)


@page(staff_only=True)
@require_POST
def held_discard_view(request: HttpRequest, item_id: str) -> HttpResponse:
    user = current_user(request)
    item = access_held_by_id(user, item_id)
    try:
        held_discard(user=user, item=item)
    except RelaisError as exc:
        if exc.status in {403}:
            raise
    return redirect("ui:held_replies")


def _held_url() -> str:
    return reverse("ui:held_replies")


@page()
@require_GET
def reply_attachment_view(request: HttpRequest, attachment_id: str) -> HttpResponse:
    user = current_user(request)
    attachment = (
        ReplyAttachment.objects.select_related("reply").filter(id=parse_id(attachment_id)).first()
    )
    if attachment is None:
        raise NotFound()
    # Readers of the thread only: the same answer as an unknown file otherwise.
    access_message_by_id(user, attachment.reply.message_id)
    # At most 10 MB per e-mail: read whole. Never shown inline (no HTML of a sender's in
    # our origin): always a download.
    with attachment.file.open("rb") as fh:
        response = HttpResponse(fh.read(), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, attachment.name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@page()
@require_GET
def reply_original_view(request: HttpRequest, reply_id: str) -> HttpResponse:
    user = current_user(request)
    reply = Reply.objects.filter(id=parse_id(reply_id)).first()
    if reply is None:
        raise NotFound()
    message = access_message_by_id(user, reply.message_id)
    item = InboundItem.objects.filter(reply_id=reply.id).first()
    if item is None:
        raise NotFound()
    return render(
        request,
        "ui/reply_original.html",
        {"reply": reply, "item": item, "message": message, "nav": ""},
    )
