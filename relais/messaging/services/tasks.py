"""Task transitions: to do (optionally on a day), done, cancelled. Each is one conditional
UPDATE, so two simultaneous clicks end in one state with one history line."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from relais.core.errors import PermissionDenied, ValidationFailed
from relais.escalation.services import escalation_stop
from relais.events import publish as events_publish
from relais.messaging import rules, urgent
from relais.messaging.models import HistoryEvent, Message
from relais.messaging.services.common import parse_due_date
from relais.tenancy.models import User


def task_may_change(user: User, message: Message) -> bool:
    """rules.may_change_task for this message."""
    return rules.may_change_task(user, client_id=message.client_id)


def require_task_right(user: User, message: Message) -> None:
    if not task_may_change(user, message):
        if user.is_client_user:
            raise PermissionDenied("Seul le client du dossier peut changer cette tâche.")
        raise PermissionDenied()


def _record(
    message: Message, user: User, changed: int, kind: str, *, at: dt.datetime, detail: str = ""
) -> None:
    if changed:
        HistoryEvent.objects.create(message=message, actor=user, kind=kind, detail=detail, at=at)


def _mine(message: Message) -> QuerySet[Message]:
    return Message.objects.filter(pk=message.pk)


def task_mark_todo(*, user: User, message: Message, due_date: Any = None) -> Message:
    """« Tâche à faire » (on a day when due_date is given); a done task opens again."""
    require_task_right(user, message)
    due: dt.date | None = parse_due_date(due_date)
    with transaction.atomic():
        changed = (
            _mine(message)
            .exclude(status=Message.STATUS_TODO, due_date=due)
            .update(status=Message.STATUS_TODO, due_date=due, done_by=None, done_at=None)
        )
        detail = f"A faire le {due:%d/%m/%Y}" if due else ""
        _record(message, user, changed, HistoryEvent.TASK_TODO, at=timezone.now(), detail=detail)
        if changed:
            # Perhaps a done task open again: the « Urgent » counts must see it.
            urgent.note_reopened(message)
            events_publish.message_event("message.task", message, actor=user, action="todo")
    message.refresh_from_db()
    return message


def task_mark_done(*, user: User, message: Message) -> Message:
    """« Passer à Tâche faite »: only an open task becomes done."""
    require_task_right(user, message)
    now = timezone.now()
    with transaction.atomic():
        changed = (
            _mine(message)
            .filter(status=Message.STATUS_TODO)
            .update(status=Message.STATUS_DONE, done_by=user, done_at=now)
        )
        _record(message, user, changed, HistoryEvent.TASK_DONE, at=now)
        if changed:
            # Dealt with: no more acknowledgement reminders (relais.escalation).
            escalation_stop(message=message, reason="task_done", actor=user)
            events_publish.message_event("message.task", message, actor=user, action="done")
    message.refresh_from_db()
    return message


def task_cancel(*, user: User, message: Message) -> Message:
    """« Annuler la tâche à faire »: the message is a plain one again."""
    require_task_right(user, message)
    with transaction.atomic():
        changed = (
            _mine(message)
            .exclude(status=Message.STATUS_NORMAL)
            .update(status=Message.STATUS_NORMAL, due_date=None, done_by=None, done_at=None)
        )
        _record(message, user, changed, HistoryEvent.TASK_CANCEL, at=timezone.now())
        if changed:
            urgent.note_reopened(message)
            escalation_stop(message=message, reason="task_cancel", actor=user)
            events_publish.message_event("message.task", message, actor=user, action="cancel")
    message.refresh_from_db()
    return message


TASK_ACTIONS = ("todo", "done", "cancel")


def task_set(*, user: User, message: Message, action: str, due_date: Any = None) -> Message:
    """The verbs behind the page's and the API's `action` field ("todo", "done", "cancel")."""
    if action == "todo":
        return task_mark_todo(user=user, message=message, due_date=due_date)
    if action == "done":
        return task_mark_done(user=user, message=message)
    if action == "cancel":
        return task_cancel(user=user, message=message)
    require_task_right(user, message)
    raise ValidationFailed.on("action", "Action inconnue : todo, done ou cancel.")
