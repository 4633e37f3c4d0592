"""Read and unread (« Marquer non lu »), per user and thread."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from relais.events import publish as events_publish
from relais.messaging import urgent
from relais.messaging.models import HistoryEvent, Message, ReadState
from relais.tenancy.models import User


def message_mark_read(*, user: User, message: Message) -> bool:
    """Marks the thread read for the user; returns True when it was unread."""
    now = timezone.now()
    _, created = ReadState.objects.get_or_create(
        message=message, user=user, defaults={"read_at": now}
    )
    if created:
        HistoryEvent.objects.create(message=message, actor=user, kind=HistoryEvent.READ, at=now)
        events_publish.message_read_event(message, user=user, read=True)
    return created


def message_mark_unread(*, user: User, message: Message) -> bool:
    """Marks the thread unread for the user; returns True when it was read."""
    with transaction.atomic():
        deleted, _ = ReadState.objects.filter(message=message, user=user).delete()
        if deleted:
            HistoryEvent.objects.create(
                message=message, actor=user, kind=HistoryEvent.UNREAD, at=timezone.now()
            )
            # Unread again: the user's « Urgent » count must see it (messaging.urgent).
            urgent.note_unread(user, message)
            events_publish.message_read_event(message, user=user, read=False)
    return bool(deleted)
