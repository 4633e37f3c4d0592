"""Replies on a thread (« Valider », « Valider + Tâche à faire »)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from relais.core.errors import PermissionDenied, ValidationFailed
from relais.core.inputs import is_blank
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
    now = timezone.now()
    with transaction.atomic():
        reply = Reply.objects.create(message=message, author=author, body=text)
        updates: dict[str, Any] = {"last_activity_at": now, "reply_count": F("reply_count") + 1}
        events = [history_rows(message, HistoryEvent.REPLIED, actor=author, at=now)]
        if make_task and message.status != Message.STATUS_TODO:
            updates.update(status=Message.STATUS_TODO, done_by=None, done_at=None)
            events.append(history_rows(message, HistoryEvent.TASK_TODO, actor=author, at=now))
        Message.objects.filter(pk=message.pk).update(**updates)
        # Everyone else now has something new to read; the author has read it.
        ReadState.objects.filter(message=message).exclude(user=author).delete()
        ReadState.objects.update_or_create(message=message, user=author, defaults={"read_at": now})
        HistoryEvent.objects.bulk_create(events)
    message.refresh_from_db()
    return reply
