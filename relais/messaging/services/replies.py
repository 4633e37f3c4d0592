"""Replies on a thread (« Valider », « Valider + Tâche à faire »)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from relais.clients.models import Contact
from relais.core.errors import PermissionDenied, ValidationFailed
from relais.core.inputs import is_blank
from relais.events import publish as events_publish
from relais.messaging import rules
from relais.messaging.models import HistoryEvent, Message, ReadState, Reply
from relais.messaging.services.common import BODY_MAX, history_rows
from relais.messaging.services.tasks import require_task_right
from relais.tenancy.models import User


def _reply_text(body: str) -> str:
    text = (body or "").strip("\n\r ")
    if is_blank(text):
        raise ValidationFailed.on("body", "Réponse : ce champ est obligatoire.")
    if len(text) > BODY_MAX:
        raise ValidationFailed.on(
            "body", f"Réponse : {BODY_MAX} caractères au maximum ({len(text)} saisis)."
        )
    return text


def reply_post(*, author: User, message: Message, body: str, make_task: bool = False) -> Reply:
    """Posts a reply on a thread; "Valider + Tâche à faire" also makes it a to-do."""
    if not rules.may_write_messages(author):
        raise PermissionDenied()
    if make_task:
        require_task_right(author, message)
    text = _reply_text(body)
    return reply_record(message=message, author=author, body=text, make_task=make_task)


def reply_record(
    *,
    message: Message,
    author: User | None,
    body: str,
    make_task: bool = False,
    via: str = Reply.PAGE,
    sender_contact: Contact | None = None,
    sender_name: str = "",
    note: str = "",
) -> Reply:
    """The write of a reply, whoever it comes from (rights and text checked by the caller:
    reply_post for the pages and the API, relais.inbound for e-mail and SMS): the thread
    moves up, everyone but the author has something new to read, a history line."""
    now = timezone.now()
    with transaction.atomic():
        reply = Reply.objects.create(
            message=message,
            author=author,
            body=body,
            via=via,
            sender_contact=sender_contact,
            sender_name=sender_name[:254],
            note=note[:300],
        )
        updates: dict[str, Any] = {"last_activity_at": now, "reply_count": F("reply_count") + 1}
        detail = "" if via == Reply.PAGE else f"{reply.get_via_display()} — {reply.sender_label}"
        events = [history_rows(message, HistoryEvent.REPLIED, actor=author, at=now, detail=detail)]
        if make_task and message.status != Message.STATUS_TODO:
            updates.update(status=Message.STATUS_TODO, done_by=None, done_at=None)
            events.append(history_rows(message, HistoryEvent.TASK_TODO, actor=author, at=now))
        Message.objects.filter(pk=message.pk).update(**updates)
        # Everyone else now has something new to read; the author has read it.
        if author is None:
            ReadState.objects.filter(message=message).delete()
        else:
            ReadState.objects.filter(message=message).exclude(user=author).delete()
            ReadState.objects.update_or_create(
                message=message, user=author, defaults={"read_at": now}
            )
        HistoryEvent.objects.bulk_create(events)
        events_publish.message_event("message.replied", message, actor=author)
    message.refresh_from_db()
    return reply
